/**
 * Figures: requests per synced document and documents per second against the fake gateway with
 * 100 ms added to every answer, at Intacct's default of 2 concurrent requests.
 * LEDGERSYNC_SOAK=1 measures 2,000 documents instead of 300.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { intacctGateway } from '../../../connectors/sage-intacct/index.js';
import { IntacctSink } from '../../../connectors/sage-intacct/sink.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import { intacctInput, intacctSinkSettings, record, seedCustomers, sinkContext } from './helpers.js';

const documents = process.env['LEDGERSYNC_SOAK'] ? 2_000 : 300;
let fake: FakeIntacct;
beforeAll(async () => {
  fake = await startFakeIntacct({ latencyMs: 100 });
  seedCustomers(fake, 'C1');
});
afterAll(() => fake.close());

it(`posts ${documents} invoices at 2 concurrent requests with 100 ms latency`, async () => {
  const input = intacctInput(fake);
  const gateway = intacctGateway(input);
  const sink = new IntacctSink(gateway, intacctSinkSettings(), input.log);
  const ctx = sinkContext();
  await sink.open();
  const before = gateway.counters.requests;
  const started = performance.now();
  for (let i = 0; i < documents; i += 100) {
    const batch = Array.from({ length: Math.min(100, documents - i) }, (_, j) =>
      record('ARINVOICE', `inv_${i + j}`, {
        customerid: 'C1',
        datecreated: '2024-03-01',
        datedue: '2024-03-31',
        invoiceno: `inv_${i + j}`,
        invoiceitems: [{ glaccountno: '4000', amount: '10.00', memo: 'plan', taxentries: [{ detailid: 'Sales Tax', trx_tax: '0.83' }] }],
      }),
    );
    const results = await sink.write(batch, ctx);
    expect(results.every((r) => r.status === 'created')).toBe(true);
  }
  const seconds = (performance.now() - started) / 1000;
  const requests = gateway.counters.requests - before;
  const perSecond = documents / seconds;
  console.log(
    `intacct throughput: ${documents} invoices in ${seconds.toFixed(2)} s = ${perSecond.toFixed(0)} documents/s; ${requests} requests = ${(requests / documents).toFixed(3)} requests per document; max ${fake.stats.maxConcurrent} in flight`,
  );
  expect(fake.stats.maxConcurrent).toBe(2);
  expect(requests / documents).toBeCloseTo(0.05, 2); // one lookup + four writes of 25 per 100
  expect(fake.state.arDocuments.size).toBe(documents);
});

it.skipIf(!process.env['LEDGERSYNC_SOAK'])(
  'the whole pipeline through the runner: 150 seeded Chargebee customers into Intacct at 100 ms latency',
  async () => {
    const { startSandbox } = await import('./e2e-harness.js');
    const s = await startSandbox({ cb: { customers: 150 }, intacct: { latencyMs: 100 } });
    try {
      const started = performance.now();
      const run = await s.run();
      const seconds = (performance.now() - started) / 1000;
      expect(run.exitCode, JSON.stringify(run.error ?? run.streams)).toBe(0);
      const written = Object.values(run.streams).reduce((n, c) => n + c.written, 0);
      const requests = s.intacct.stats.httpRequests;
      console.log(
        `intacct pipeline: ${written} documents in ${seconds.toFixed(1)} s = ${(written / seconds).toFixed(0)} documents/s; ${requests} Intacct requests = ${(requests / written).toFixed(3)} per document; max ${s.intacct.stats.maxConcurrent} in flight`,
      );
    } finally {
      await s.close();
    }
  },
  300_000,
);
