/**
 * Benchmark: seconds from a Chargebee webhook's arrival to the document in the target.
 *
 *   npm run bench:webhooks [-- events [interval-ms]] [--target quickbooks-online|acumatica]
 *
 * The fake Chargebee and the fake target run in this process; `ledgersync serve` runs as a user
 * runs it, in its own process, with the target's example pipeline after a first scheduled sync.
 * QuickBooks Online (default): each event changes one invoice's due date in Chargebee, and the
 * clock runs from the POST to the moment QuickBooks holds the new due date. Acumatica: each event
 * changes one customer's company name (a released invoice is not edited there), until Acumatica's
 * Customer holds the new name; its example's licence limit (100 requests a minute) stays on.
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
import { qboPipelineEnv, startFakeQbo } from '../fakes/qbo/index.js';
import { startFakeAcumatica } from '../fakes/acumatica/index.js';

const targetFlag = process.argv.indexOf('--target');
const TARGET = targetFlag > 0 ? process.argv[targetFlag + 1] : 'quickbooks-online';
const positional = process.argv.slice(2).filter((_, i, all) => all[i] !== '--target' && all[i - 1] !== '--target');
const EVENTS = Number(positional[0] ?? 100);
const INTERVAL_MS = Number(positional[1] ?? (TARGET === 'acumatica' ? 2000 : 1500));
const SECRET = 'bench-webhook-secret-0123456789';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isoDate = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

function summary(label: string, seconds: number[]): string {
  const sorted = [...seconds].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `${label}: median ${at(0.5).toFixed(3)} s, p90 ${at(0.9).toFixed(3)} s, worst ${sorted.at(-1)!.toFixed(3)} s (${sorted.length} events)`;
}

/** What the bench needs of a target: its example, its environment, one change per event and how to see it land. */
interface Target {
  label: string;
  pipeline: string;
  env: Record<string, string>;
  /** Source records an event may be about (singular: the event content's key). */
  singular: 'invoice' | 'customer';
  candidates(cb: Awaited<ReturnType<typeof startFakeChargebee>>): string[];
  /** Changes the record in Chargebee; returns what the target must then hold. */
  change(cb: Awaited<ReturnType<typeof startFakeChargebee>>, id: string, n: number): string;
  /** Source ids whose document holds the value expected of it, among those waited for. */
  landed(waiting: ReadonlyMap<string, { value: string }>): string[];
  writes(): number;
  throttled(): number;
  close(): Promise<void>;
}

async function quickbooksTarget(): Promise<Target> {
  const qbo = await startFakeQbo();
  return {
    label: 'QuickBooks Online',
    pipeline: 'chargebee-to-quickbooks',
    env: qboPipelineEnv(qbo),
    singular: 'invoice',
    candidates: (cb) =>
      cb.state
        .all('invoices')
        .filter((i) => !i.deleted && i.status === 'payment_due')
        .map((i) => i.id),
    change(cb, id, n) {
      const due = cb.state.get('invoices', id)!.due_date! + 86_400 * n;
      cb.state.touch('invoices', id, { due_date: due });
      return isoDate(due);
    },
    landed: (waiting) =>
      qbo.state.entities('Invoice').flatMap((invoice) => {
        const id = String(invoice['DocNumber']);
        return waiting.get(id)?.value === invoice['DueDate'] ? [id] : [];
      }),
    writes: () => qbo.state.writes.length,
    throttled: () => qbo.state.throttled,
    close: () => qbo.close(),
  };
}

async function acumaticaTarget(): Promise<Target> {
  const acu = await startFakeAcumatica({});
  return {
    label: 'Acumatica',
    pipeline: 'chargebee-to-acumatica',
    env: {
      ACUMATICA_URL: acu.url,
      ACUMATICA_TENANT: acu.tenant,
      ACUMATICA_USERNAME: acu.username,
      ACUMATICA_PASSWORD: acu.password,
      ACUMATICA_CLIENT_ID: acu.clientId,
      ACUMATICA_CLIENT_SECRET: acu.clientSecret,
    },
    singular: 'customer',
    candidates: (cb) =>
      cb.state
        .all('customers')
        .filter((c) => !c.deleted && c.company)
        .map((c) => c.id),
    change(cb, id, n) {
      const company = `Bench Company ${n}`;
      cb.state.touch('customers', id, { company });
      return company;
    },
    landed: (waiting) => [...waiting.entries()].flatMap(([id, { value }]) => (acu.state.record('Customer', id)?.['CustomerName'] === value ? [id] : [])),
    writes: () => acu.state.writes.length,
    throttled: () => acu.state.throttled,
    close: () => acu.close(),
  };
}

async function main(): Promise<void> {
  const root = packageRoot();
  const cb = await startFakeChargebee({ customers: 60 });
  const target = TARGET === 'acumatica' ? await acumaticaTarget() : await quickbooksTarget();
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-webhook-bench-'));
  const pipelinePath = join(dir, `${target.pipeline}.yaml`);
  const statePath = join(dir, 'state.db');
  const example = readFileSync(join(root, `pipelines/examples/${target.pipeline}.yaml`), 'utf8');
  // The first sync is the backfill, not what is measured: at Acumatica's smallest licence (100
  // requests a minute) it would take a quarter of an hour, so it runs as at a larger tier; serve
  // then runs with the example as it is.
  writeFileSync(
    pipelinePath,
    example.replace('rate_limit: { requests: 100, per_seconds: 60, concurrency: 3 }', 'rate_limit: { requests: 100000, per_seconds: 60, concurrency: 4 }'),
  );
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    CHARGEBEE_SITE: cb.site,
    CHARGEBEE_API_KEY: cb.apiKey,
    CHARGEBEE_BASE_URL: cb.url,
    ...target.env,
    LEDGERSYNC_SECRET_KEY: 'bench-secret-key-0123456789abcdef',
    LEDGERSYNC_WEBHOOK_SECRET: SECRET,
    LEDGERSYNC_LOG_LEVEL: 'info',
  };
  const first = await runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env, log: silentLogger });
  if (first.exitCode !== 0) throw new Error(`the first sync failed: ${JSON.stringify(first.error)}`);
  writeFileSync(pipelinePath, example);

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
  const url = `${/listening on (http:\/\/\S+:\d+)/.exec(out)![1]}/webhooks/${target.pipeline}`;
  const auth = { basic: { user: 'chargebee', password: SECRET } };

  const candidates = target.candidates(cb);
  let shift = 0;

  // One watcher for every event in flight, looking at the target only when it committed a write:
  // polling per event would load this process (where both fakes answer) and slow the very thing measured.
  const waiting = new Map<string, { value: string; landed: (at: number) => void }>();
  let seenWrites = target.writes();
  const watcher = setInterval(() => {
    if (target.writes() === seenWrites || !waiting.size) return;
    seenWrites = target.writes();
    const now = performance.now();
    for (const id of target.landed(waiting)) {
      waiting.get(id)?.landed(now);
      waiting.delete(id);
    }
  }, 2);

  /** Changes one record, delivers its event, and resolves with the seconds until the target holds the change (and the ack's). */
  async function oneEvent(id: string): Promise<{ landed: number; acked: number }> {
    const value = target.change(cb, id, ++shift);
    const event = eventsAbout(cb.state, target.singular, id).at(-1)!;
    const started = performance.now();
    const landed = new Promise<number>((resolve, reject) => {
      waiting.set(id, { value, landed: resolve });
      setTimeout(() => reject(new Error(`${target.singular} ${id} did not reach ${target.label} within two minutes`)), 120_000).unref();
    });
    const delivery = await deliverWebhook(url, webhookBody(event), auth);
    const acked = (performance.now() - started) / 1000;
    if (delivery.status !== 200) throw new Error(`delivery answered ${delivery.status}: ${delivery.body}`);
    return { landed: ((await landed) - started) / 1000, acked };
  }

  const burstIds = candidates.slice(0, Math.min(EVENTS, candidates.length));
  const burstStarted = performance.now();
  const burst = await Promise.all(burstIds.map((id) => oneEvent(id)));
  const burstSeconds = (performance.now() - burstStarted) / 1000;
  const burstThrottled = target.throttled();
  const burstStored = storedIn();

  const sequential: Array<{ landed: number; acked: number }> = [];
  for (let i = 0; i < EVENTS; i++) {
    const started = performance.now();
    sequential.push(await oneEvent(candidates[i % candidates.length]!));
    await sleep(Math.max(0, INTERVAL_MS - (performance.now() - started)));
  }
  const sequentialThrottled = target.throttled() - burstThrottled;
  const sequentialStored = storedIn().slice(burstStored.length);

  clearInterval(watcher);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await Promise.all([cb.close(), target.close()]);
  rmSync(dir, { recursive: true, force: true });

  process.stdout.write(
    [
      `webhook → document in ${target.label} (fake Chargebee and fake ${target.label} on loopback, ledgersync serve in its own process)`,
      summary(
        `burst of ${burst.length} distinct ${target.singular}s, arrival to document`,
        burst.map((s) => s.landed),
      ),
      summary(
        `burst of ${burst.length}, POST to 200 as the sender sees it`,
        burst.map((s) => s.acked),
      ),
      summary(`burst of ${burst.length}, request to event stored, inside serve`, burstStored),
      `burst: all ${burst.length} documents in ${target.label} after ${burstSeconds.toFixed(3)} s; ${target.label} throttled ${burstThrottled} request(s)`,
      summary(
        `one at a time, ${INTERVAL_MS} ms apart, arrival to document`,
        sequential.map((s) => s.landed),
      ),
      summary(
        'one at a time, POST to 200 as the sender sees it',
        sequential.map((s) => s.acked),
      ),
      summary('one at a time, request to event stored, inside serve', sequentialStored),
      `one at a time: ${target.label} throttled ${sequentialThrottled} request(s)`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
