/**
 * `ledgersync show` names the target object of every record it lists (README "`ledgersync show`"),
 * including one the run adopted: the ledger keeps no payload for it, so the object comes from the
 * audit trail. Against the fake Chargebee and the fake QuickBooks Online, in process.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { showRecord } from '../../../engine/run/show.js';
import { startSandbox, type Sandbox } from '../../connectors/quickbooks-online/e2e-harness.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function show(s: Sandbox, sourceId: string, json: boolean): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const code = await showRecord({
    connectors: installedConnectors,
    pipelinePath: s.pipelinePath,
    statePath: s.statePath,
    sourceId,
    stream: 'customers',
    json,
    out: sink,
  });
  return { code, out };
}

describe('ledgersync show of a record the run adopted', () => {
  it('names its target object (Customer), in JSON and in text, though the ledger kept no payload for it', async () => {
    const s = (sandbox = await startSandbox());
    const customer = s.cb.state.all('customers').find((c) => !c.deleted && c.company)!;
    // Keyed in QuickBooks before go-live, with the Chargebee id in Notes: the run links it and writes nothing.
    const held = s.qbo.state.company.preload('Customer', { DisplayName: `${customer.company} (by hand)`, Notes: customer.id });
    expect((await s.run({ streams: ['customers'] })).exitCode).toBe(0);

    const json = await show(s, customer.id, true);
    expect(json.code).toBe(0);
    const [record] = JSON.parse(json.out).streams.customers.records;
    expect(record).toMatchObject({ source_id: customer.id, target_object: 'Customer', target_id: held.Id, payload: null });

    const text = await show(s, customer.id, false);
    expect(text.out).toContain(`  ${customer.id} → Customer ${held.Id} (version ${held.SyncToken})`);
  });

  it('names the object of a record it created from the payload it kept, as before', async () => {
    const s = (sandbox = await startSandbox());
    expect((await s.run({ streams: ['customers'] })).exitCode).toBe(0);
    const customer = s.cb.state.all('customers').find((c) => !c.deleted)!;
    const [record] = JSON.parse((await show(s, customer.id, true)).out).streams.customers.records;
    expect(record).toMatchObject({ source_id: customer.id, target_object: 'Customer', action: 'upsert' });
    expect(record.payload).toMatchObject({ Notes: customer.id });
  });
});
