/**
 * The QuickBooks example with its state in PostgreSQL, one Chargebee item price's accounting code
 * ending in U+0000: the gl_accounts lookup fails and the item is a `lookup_missing` dead letter whose
 * message quotes the code. The run goes on and posts every other document (exit 1), as on SQLite.
 * It used to stop on `state_unavailable` ("the state database … is unreachable: invalid message
 * format"), run after run, since PostgreSQL text cannot hold U+0000 and the protocol error it caused
 * was taken for a lost connection.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../engine/state/store.js';
import { startSandbox, type Sandbox } from '../connectors/quickbooks-online/e2e-harness.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

let server: TestPostgres | undefined;
let sandbox: Sandbox | undefined;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** A sandbox whose first item price with an accounting code has a U+0000 appended to it; its id. */
async function sandboxWithNulCode(): Promise<{ s: Sandbox; priceId: string }> {
  const s = await startSandbox({ customers: 12 });
  sandbox = s;
  const price = s.cb.state.all('item_prices').find((p) => (p as { accounting_detail?: { accounting_code?: string } }).accounting_detail?.accounting_code);
  if (!price) throw new Error('the fake Chargebee has no item price with an accounting code');
  const detail = (price as unknown as { accounting_detail: Record<string, unknown> }).accounting_detail;
  s.cb.state.touch('item_prices', price.id, { accounting_detail: { ...detail, accounting_code: `${String(detail['accounting_code'])}\u0000` } } as never);
  return { s, priceId: price.id };
}

describe('a lookup_missing dead letter quoting a value with U+0000, on PostgreSQL state', () => {
  it('is kept and the run goes on, posting what it posts on SQLite (exit 1)', async () => {
    const onSqlite = await sandboxWithNulCode();
    const sqlite = await onSqlite.s.run();
    expect(sqlite.exitCode, JSON.stringify(sqlite.error)).toBe(1);
    const posted = onSqlite.s.qbo.state.entities('Invoice').length;
    expect(posted).toBeGreaterThan(0);
    await onSqlite.s.close();
    sandbox = undefined;

    const { s, priceId } = await sandboxWithNulCode();
    const state = `${server!.url}?schema=nul_dead_letter`;
    const run = await s.run({ statePath: state });
    expect(run.error).toBeUndefined();
    expect(run.exitCode).toBe(1);
    expect(s.qbo.state.entities('Invoice').length).toBe(posted);
    const store = StateStore.open(state);
    try {
      const letters = store.deadLetters('chargebee-to-quickbooks', 'items');
      expect(letters.map((d) => [d.sourceId, d.errorCode])).toEqual([[priceId, 'lookup_missing']]);
      expect(letters[0]?.message).toMatch(/no entry for '[^']*\\u0000' in lookup table 'gl_accounts'/);
    } finally {
      store.close();
    }
  }, 120_000);
});
