/**
 * Throughput against the fake QBO with Intuit's real throttles on (500 requests/min, 10 in flight,
 * 40 batch requests/min of ≤ 30 operations), with and without batching. Long: LEDGERSYNC_SOAK=1 only.
 * Prints requests per synced document, documents per second and the share of what the limits allow.
 */
import { describe, expect, it } from 'vitest';
import { StateStore } from '../../engine/state/store.js';
import { startSandbox } from '../connectors/quickbooks-online/e2e-harness.js';

const customers = Number(process.env['LEDGERSYNC_QBO_BENCH_CUSTOMERS'] ?? 300);

async function measure(useBatch: boolean, customerCount: number) {
  const s = await startSandbox({ customers: customerCount });
  try {
    if (!useBatch) s.edit([['  base_url: ${QBO_BASE_URL:-}', '  base_url: ${QBO_BASE_URL:-}\n  use_batch: false']]);
    const started = Date.now();
    const run = await s.run();
    const seconds = (Date.now() - started) / 1000;
    expect(run.error, JSON.stringify(run.error)).toBeUndefined();
    // The seeded site deletes some customers' invoices but keeps their payments: those payments must
    // wait for an invoice that will never come, and nothing else may fail.
    const store = StateStore.open(s.statePath);
    const letters = store.deadLetters('chargebee-to-quickbooks');
    store.close();
    for (const letter of letters) {
      const invoiceId = String((letter.record['linked_invoices'] as { invoice_id: string }[] | undefined)?.[0]?.invoice_id);
      expect(`${letter.stream} ${letter.errorCode} ${s.cb.state.get('invoices', invoiceId)?.deleted}`, letter.message).toBe(
        'payments reference_not_synced true',
      );
    }
    const documents = Object.values(run.streams).reduce((n, c) => n + c.written, 0);
    const requests = s.qbo.state.requests.length;
    const batches = s.qbo.state.requests.filter((r) => r.path.endsWith('/batch')).length;
    // The limits' own floor on this run's duration: the n-th request can start no sooner than
    // floor((n-1)/500) minutes in, the n-th batch no sooner than floor((n-1)/40) minutes in.
    const floorSeconds = 60 * Math.max(Math.floor((requests - 1) / 500), Math.floor((Math.max(1, batches) - 1) / 40));
    const perDocument = requests / documents;
    const steadyDocsPerSecond = (useBatch ? Math.min(500 / perDocument, (40 * documents) / Math.max(1, batches)) : 500 / perDocument) / 60;
    return {
      useBatch,
      deadLetters: letters.length,
      documents,
      requests,
      batches,
      seconds: Number(seconds.toFixed(1)),
      requestsPerDocument: Number(perDocument.toFixed(3)),
      docsPerSecond: Number((documents / seconds).toFixed(1)),
      steadyStateDocsPerSecondAllowed: Number(steadyDocsPerSecond.toFixed(1)),
      limitFloorSeconds: floorSeconds,
      fractionOfLimit: floorSeconds ? Number((floorSeconds / seconds).toFixed(2)) : null,
      throttled: s.qbo.state.throttled,
      maxInFlight: s.qbo.state.maxInFlight,
    };
  } finally {
    await s.close();
  }
}

describe.skipIf(!process.env['LEDGERSYNC_SOAK'])('QBO throughput under the real limits', () => {
  it('with batch requests', async () => {
    const figures = await measure(true, customers);
    console.log(`qbo throughput: ${JSON.stringify(figures)}`);
    expect(figures.throttled).toBe(0);
  }, 900_000);

  it('one request per document', async () => {
    const figures = await measure(false, Math.max(12, Math.round(customers / 3)));
    console.log(`qbo throughput: ${JSON.stringify(figures)}`);
    expect(figures.maxInFlight).toBeLessThanOrEqual(10);
  }, 900_000);
});
