/**
 * SIGTERM (a scheduler stopping the pod) is honoured within 2 s in every phase of a run: while a
 * large pipeline loads, while records are mapped, while a rate-limit answer is waited out, and while
 * a request is in flight. Each time the run exits 3 (run_aborted) and the next run completes with
 * every record exactly once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { CLI, JSONL_PIPELINE, ROOT, chargebeeEnv, editFile, tempDir } from './helpers.js';
import { assertExactlyOnce } from './kill-resume.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));
const WITHIN_MS = 2000;

let fake: FakeChargebee;
let work: ReturnType<typeof tempDir>;
let pipeline: string;

beforeEach(async () => {
  fake = await startFakeChargebee({ customers: 150 });
  work = tempDir();
  pipeline = join(work.dir, 'chargebee-to-jsonl.yaml');
  copyFileSync(JSONL_PIPELINE, pipeline);
});
afterEach(async () => {
  fake.faults.clear();
  await fake.close();
  work.cleanup();
});

interface Stopped {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From SIGTERM to the process's exit. */
  stopMs: number;
}

/**
 * Runs the pipeline, sends SIGTERM once `ready()` says so (and again `repeatAfterMs` later, as a
 * scheduler that signals twice), and times how long the process takes to go.
 */
function runAndStop(ready: () => boolean, repeatAfterMs?: number): Promise<Stopped> {
  const child = spawn(process.execPath, [CLI, 'run', pipeline, '--state', join(work.dir, 'state.db'), '--json'], {
    env: chargebeeEnv(fake, join(work.dir, 'out')),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let sentAt: number | undefined;
  const poll = setInterval(() => {
    if (sentAt === undefined && ready()) {
      sentAt = Date.now();
      child.kill('SIGTERM');
      if (repeatAfterMs !== undefined) setTimeout(() => child.exitCode === null && child.kill('SIGTERM'), repeatAfterMs);
    }
  }, 5);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearInterval(poll);
      if (sentAt === undefined) throw new Error(`the run ended (exit ${code}) before it could be stopped:\n${stderr}`);
      resolve({ code, stdout, stderr, stopMs: Date.now() - sentAt });
    }),
  );
}

function resume(): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'run', pipeline, '--state', join(work.dir, 'state.db'), '--json'], {
    env: chargebeeEnv(fake, join(work.dir, 'out')),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

async function expectStoppedThenResumed(stopped: Stopped, phase: string): Promise<void> {
  console.log(`SIGTERM ${phase}: exited ${stopped.stopMs} ms after the signal`);
  expect(stopped.code, `exit ${stopped.code}: ${stopped.stderr}`).toBe(3);
  expect(JSON.parse(stopped.stdout)).toMatchObject({ status: 'failed', exit_code: 3, error: { code: 'run_aborted', kind: 'transient' } });
  expect(stopped.stopMs).toBeLessThan(WITHIN_MS);
  fake.faults.clear();
  const resumed = await resume();
  expect(resumed.code, resumed.stderr).toBe(0);
  assertExactlyOnce(fake, work.dir);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!built)('SIGTERM is honoured within 2 s in every phase', () => {
  it('while a large pipeline loads (a lookup table of 200 000 rows, 5 MB)', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => `      "SKU-${String(i).padStart(6, '0')}": "4${String(i % 1000).padStart(3, '0')}"`).join('\n');
    editFile(pipeline, [['lookups:\n', `lookups:\n  accounts:\n    values:\n${rows}\n`]]);
    expect(readFileSync(pipeline).length).toBeGreaterThan(5_000_000);
    const started = Date.now();
    const stopped = await runAndStop(() => Date.now() - started > 300); // often before the CLI has even loaded: still a clean stop;
    expect(fake.requests, `stopped before anything was read (exit ${stopped.code}): ${stopped.stderr}`).toHaveLength(0);
    expect(JSON.parse(stopped.stdout).error.message).toBe('stopped while the pipeline was loading, before anything was read or written');
    await expectStoppedThenResumed(stopped, 'while loading');
  }, 120_000);

  it('while a small pipeline loads in the main thread (no worker for it), or just after', async () => {
    const started = Date.now();
    const stopped = await runAndStop(() => Date.now() - started > 250);
    await expectStoppedThenResumed(stopped, 'while a small pipeline loads');
  }, 60_000);

  it('while records are mapped (each takes tens of milliseconds)', async () => {
    editFile(pipeline, [['          "id": id,\n', '          "id": id,\n          "busy": $count($filter([1..200000], function($v) { $v % 7 = 0 })),\n']]);
    const stopped = await runAndStop(() => fake.requests.some((r) => r.path.endsWith('/customers') && r.status === 200));
    await expectStoppedThenResumed(stopped, 'while mapping');
    const lines = readFileSync(join(work.dir, 'out', 'customers.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ busy: 28571 });
  }, 120_000);

  it('while a runaway mapping spins (a tail recursion that never ends, stopped by limits.mapping_ms)', async () => {
    const original = readFileSync(pipeline, 'utf8');
    editFile(pipeline, [['          "id": id,\n', '          "id": id,\n          "spin": ($f := function($n) { $f($n + 1) }; $f(0)),\n']]);
    let sentAt = 0;
    const stopped = await runAndStop(() => {
      const ready = fake.requests.some((r) => r.path.endsWith('/customers') && r.status === 200);
      if (ready && !sentAt) sentAt = Date.now();
      // Well inside the first record's half second of spinning (limits.mapping_ms).
      return ready && Date.now() - sentAt > 300;
    });
    // The operator fixes the mapping; the next run writes everything once.
    writeFileSync(pipeline, original);
    await expectStoppedThenResumed(stopped, 'while a runaway mapping spins');
  }, 120_000);

  it('while waiting out a 429 with Retry-After: 60', async () => {
    fake.faults.rateLimitNext(1, 60);
    const stopped = await runAndStop(() => fake.requests.some((r) => r.status === 429));
    await expectStoppedThenResumed(stopped, 'during a rate-limit wait');
  }, 120_000);

  it('a second SIGTERM while the run stops changes nothing: still a summary and exit 3, never a bare 143', async () => {
    fake.faults.delayMs = 60_000;
    const stopped = await runAndStop(() => fake.requests.length > 0, 10);
    await sleep(10);
    await expectStoppedThenResumed(stopped, 'signalled twice during a request');
  }, 120_000);

  it('while a request is in flight (the vendor takes a minute to answer)', async () => {
    fake.faults.delayMs = 60_000;
    const stopped = await runAndStop(() => fake.requests.length > 0);
    await sleep(10);
    await expectStoppedThenResumed(stopped, 'during a request');
  }, 120_000);
});
