/**
 * `--repost` of a period made final by a later posted one (no entries of its own): its amounts went to
 * the first open period, so the error says to repost that one, not to post this one (nothing to post).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDualEntrySink } from '../../../connectors/dualentry/index.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { at, factoryInput, memoryKv, monthlyInvoice, sinkContext } from './helpers.js';

let fake: FakeDualEntry;
beforeEach(async () => {
  fake = await startFakeDualEntry();
});
afterEach(async () => {
  await fake.close();
});

const base = () => ({ url: fake.url, apiKey: fake.apiKey, companyId: fake.companyId });

describe('revrec: --repost of a period final by the watermark', () => {
  it('the error does not send the user to a command that does nothing', async () => {
    const kv = memoryKv();
    const may = createDualEntrySink(factoryInput(base()), { now: () => at(2026, 5, 2) });
    await may.write([monthlyInvoice('inv_mar', 2026, 3, 10000), monthlyInvoice('inv_apr', 2026, 4, 10000)], sinkContext(kv));
    await may.close!(sinkContext(kv));
    const sink = createDualEntrySink(factoryInput(base()), { now: () => at(2026, 5, 20) });
    await sink.write([monthlyInvoice('inv_jan', 2026, 1, 5000)], sinkContext(kv));
    let fix = '';
    try {
      await sink.post('2026-01', { repost: true }, sinkContext(kv));
    } catch (error) {
      fix = String((error as { fix?: string }).fix);
    }
    // Posting it without --repost does nothing (README: its amounts go to the first open period)…
    expect((await sink.post('2026-01', { repost: false }, sinkContext(kv))).status).toBe('nothing_to_post');
    // …so the error must not offer that as the fix.
    expect(fix).not.toMatch(/post it without --repost/);
    expect(fix).toMatch(/first open period/);
  });
});
