/**
 * Benchmark: seconds from a Chargebee webhook's arrival to the document in the target.
 *
 *   npm run bench:webhooks [-- events [interval-ms]]
 *
 * The fake Chargebee and the fake QuickBooks Online run in this process; `ledgersync serve` runs
 * as a user runs it, in its own process, with the example pipeline after a first scheduled sync.
 * Each event changes one invoice's due date in Chargebee and delivers the event; the clock runs
 * from the POST to the moment QuickBooks holds the new due date (polled every 2 ms).
 *
 * Two passes. A burst first: every open invoice's event at once (the queue drains in batches under
 * the run lock). Then `events` (default 100) one at a time, `interval-ms` apart (default 1500):
 * each write is one QBO batch request, and QBO allows 40 a minute per company, so events closer
 * together than 1.5 s measure QBO's throttle rather than ledgersync. The fake enforces that limit;
 * how many requests it throttled is printed with each pass.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { installedConnectors } from '../../app/registry.js';
import { silentLogger } from '../../engine/log.js';
import { packageRoot } from '../../engine/package-root.js';
import { runPipeline } from '../../engine/run/runner.js';
import { deliverWebhook, eventsAbout, startFakeChargebee, webhookBody } from '../fakes/chargebee/index.js';
import { startFakeQbo } from '../fakes/qbo/index.js';

const EVENTS = Number(process.argv[2] ?? 100);
const INTERVAL_MS = Number(process.argv[3] ?? 1500);
const SECRET = 'bench-webhook-secret-0123456789';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isoDate = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

function summary(label: string, seconds: number[]): string {
  const sorted = [...seconds].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `${label}: median ${at(0.5).toFixed(3)} s, p90 ${at(0.9).toFixed(3)} s, worst ${sorted.at(-1)!.toFixed(3)} s (${sorted.length} events)`;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const cb = await startFakeChargebee({ customers: 60 });
  const qbo = await startFakeQbo();
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-webhook-bench-'));
  const pipelinePath = join(dir, 'chargebee-to-quickbooks.yaml');
  const statePath = join(dir, 'state.db');
  writeFileSync(pipelinePath, readFileSync(join(root, 'pipelines/examples/chargebee-to-quickbooks.yaml'), 'utf8'));
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    CHARGEBEE_SITE: cb.site,
    CHARGEBEE_API_KEY: cb.apiKey,
    CHARGEBEE_BASE_URL: cb.url,
    QBO_REALM_ID: qbo.realmId,
    QBO_CLIENT_ID: qbo.clientId,
    QBO_CLIENT_SECRET: qbo.clientSecret,
    QBO_REFRESH_TOKEN: qbo.refreshToken,
    QBO_BASE_URL: qbo.url,
    QBO_TOKEN_URL: qbo.tokenUrl,
    LEDGERSYNC_SECRET_KEY: 'bench-secret-key-0123456789abcdef',
    LEDGERSYNC_WEBHOOK_SECRET: SECRET,
    LEDGERSYNC_LOG_LEVEL: 'info',
  };
  const first = await runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env, log: silentLogger });
  if (first.exitCode !== 0) throw new Error(`the first sync failed: ${JSON.stringify(first.error)}`);

  const child = spawn(process.execPath, [join(root, 'bin/ledgersync.js'), 'serve', pipelinePath, '--port', '0', '--state', statePath], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  /** What serve itself logs: from the request's handler to the event stored, in seconds. */
  const storedIn = () => [...log.matchAll(/queued in (\d+) ms/g)].map((m) => Number(m[1]) / 1000);
  while (!/listening on (http:\/\/\S+:\d+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(`ledgersync serve exited:\n${log}`);
    await sleep(20);
  }
  const url = `${/listening on (http:\/\/\S+:\d+)/.exec(out)![1]}/webhooks/chargebee-to-quickbooks`;
  const auth = { basic: { user: 'chargebee', password: SECRET } };

  const invoices = cb.state.all('invoices').filter((i) => !i.deleted && i.status === 'payment_due');
  let shift = 0;

  // One watcher for every event in flight, looking at QBO only when it committed a write: polling
  // per event would load this process (where both fakes answer) and slow the very thing measured.
  const waiting = new Map<string, { due: string; landed: (at: number) => void }>();
  let seenWrites = qbo.state.writes.length;
  const watcher = setInterval(() => {
    if (qbo.state.writes.length === seenWrites || !waiting.size) return;
    seenWrites = qbo.state.writes.length;
    const now = performance.now();
    for (const invoice of qbo.state.entities('Invoice')) {
      const wait = waiting.get(String(invoice['DocNumber']));
      if (wait && invoice['DueDate'] === wait.due) {
        waiting.delete(String(invoice['DocNumber']));
        wait.landed(now);
      }
    }
  }, 2);

  /** Changes one invoice, delivers its event, and resolves with the seconds until QBO holds the change (and the ack's). */
  async function oneEvent(invoiceId: string): Promise<{ landed: number; acked: number }> {
    const current = cb.state.get('invoices', invoiceId)!;
    const due = current.due_date! + 86_400 * ++shift;
    cb.state.touch('invoices', invoiceId, { due_date: due });
    const event = eventsAbout(cb.state, 'invoice', invoiceId).at(-1)!;
    const started = performance.now();
    const landed = new Promise<number>((resolve, reject) => {
      waiting.set(invoiceId, { due: isoDate(due), landed: resolve });
      setTimeout(() => reject(new Error(`invoice ${invoiceId} did not reach QBO within two minutes`)), 120_000).unref();
    });
    const delivery = await deliverWebhook(url, webhookBody(event), auth);
    const acked = (performance.now() - started) / 1000;
    if (delivery.status !== 200) throw new Error(`delivery answered ${delivery.status}: ${delivery.body}`);
    return { landed: ((await landed) - started) / 1000, acked };
  }

  const burstInvoices = invoices.slice(0, Math.min(EVENTS, invoices.length));
  const burstStarted = performance.now();
  const burst = await Promise.all(burstInvoices.map((invoice) => oneEvent(invoice.id)));
  const burstSeconds = (performance.now() - burstStarted) / 1000;
  const burstThrottled = qbo.state.throttled;
  const burstStored = storedIn();

  const sequential: Array<{ landed: number; acked: number }> = [];
  for (let i = 0; i < EVENTS; i++) {
    const started = performance.now();
    sequential.push(await oneEvent(invoices[i % invoices.length]!.id));
    await sleep(Math.max(0, INTERVAL_MS - (performance.now() - started)));
  }
  const sequentialThrottled = qbo.state.throttled - burstThrottled;
  const sequentialStored = storedIn().slice(burstStored.length);

  clearInterval(watcher);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await Promise.all([cb.close(), qbo.close()]);
  rmSync(dir, { recursive: true, force: true });

  process.stdout.write(
    [
      'webhook → document in QuickBooks Online (fake Chargebee and fake QBO on loopback, ledgersync serve in its own process)',
      summary(
        `burst of ${burst.length} distinct invoices, arrival to document`,
        burst.map((s) => s.landed),
      ),
      summary(
        `burst of ${burst.length}, POST to 200 as the sender sees it`,
        burst.map((s) => s.acked),
      ),
      summary(`burst of ${burst.length}, request to event stored, inside serve`, burstStored),
      `burst: all ${burst.length} documents in QBO after ${burstSeconds.toFixed(3)} s; QBO throttled ${burstThrottled} request(s)`,
      summary(
        `one at a time, ${INTERVAL_MS} ms apart, arrival to document`,
        sequential.map((s) => s.landed),
      ),
      summary(
        'one at a time, POST to 200 as the sender sees it',
        sequential.map((s) => s.acked),
      ),
      summary('one at a time, request to event stored, inside serve', sequentialStored),
      `one at a time: QBO throttled ${sequentialThrottled} request(s)`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
