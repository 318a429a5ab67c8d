/**
 * Run locks as leases, end to end with the built CLI: a run killed in another container (UTS and
 * pid namespaces of its own, pid 1 there, as an OOM-killed pod) leaves a lock that is taken over once its lease expires;
 * a run suspended past its lease stops before its next write when it wakes; `unlock`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { StateStore, lockVacancy, type RunLockHolder } from '../../engine/state/store.js';
import { CLI, JSONL_PIPELINE, ROOT, chargebeeEnv, tempDir } from './helpers.js';
import { assertExactlyOnce } from './kill-resume.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));
const TTL_SECONDS = 3;

let fake: FakeChargebee;
let work: ReturnType<typeof tempDir>;
let statePath: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
  fake = await startFakeChargebee({ customers: 300 });
  fake.faults.delayMs = 150;
  work = tempDir();
  statePath = join(work.dir, 'state.db');
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await fake.close();
  work.cleanup();
});

const env = () => ({ ...chargebeeEnv(fake, join(work.dir, 'out')), LEDGERSYNC_LOCK_TTL_SECONDS: String(TTL_SECONDS) });
const runArgs = () => [CLI, 'run', JSONL_PIPELINE, '--state', statePath, '--json'];
/** Without --json: warnings (a lock taken over) are printed on stderr. */
const plainRun = () => cli('run', JSONL_PIPELINE, '--state', statePath);

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(command: string, args: string[]): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(command, args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Finished>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

const cli = (...args: string[]) => start(process.execPath, [CLI, ...args]).done;

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function holder(): RunLockHolder | undefined {
  if (!existsSync(statePath)) return undefined;
  const state = StateStore.open(statePath);
  try {
    return state.lockHolder('chargebee-to-jsonl');
  } finally {
    state.close();
  }
}

/** A run started in namespaces of its own (`unshare`), as in a container: its own hostname, and pid 1 with `--pid`. */
function startContained(namespaces: string[]): { child: ChildProcess; done: Promise<Finished> } {
  const probe = spawnSync('unshare', [...namespaces, '--fork', 'true']);
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `this test needs unshare ${namespaces.join(' ')} (util-linux, run as root or with user namespaces): ${probe.error?.message ?? probe.stderr.toString()}`,
    );
  }
  const script = 'hostname "$0" && exec "$@"';
  return start('unshare', [...namespaces, '--fork', '--kill-child', 'sh', '-c', script, 'pod-7f9c', process.execPath, ...runArgs()]);
}

describe.skipIf(!built)('run locks are leases', () => {
  it(`a run killed in another container is taken over once its ${TTL_SECONDS} s lease expires, and the next run writes every record once`, async () => {
    const contained = startContained(['--uts', '--pid']);
    const held = await until('the contained run to hold the lock and write', () => (fake.requests.length >= 8 ? holder() : undefined));
    expect(held).toMatchObject({ hostname: 'pod-7f9c', pid: 1 });
    expect(held.expiresAt! - held.heartbeatAt!).toBe(TTL_SECONDS);
    contained.child.kill('SIGKILL');
    const killedAt = Date.now();
    await contained.done;

    // Its lease is still live: a run now is refused (exit 4), however dead its holder is.
    const early = await cli(...runArgs().slice(1));
    if (Date.now() < held.expiresAt! * 1000) expect(early.code, early.stderr).toBe(4);

    const vacantAt = await until('the lease to expire', () => {
      const current = holder();
      return current && lockVacancy(current, Math.floor(Date.now() / 1000)) === 'expired' ? Date.now() : undefined;
    });
    const takeoverMs = vacantAt - killedAt;
    console.log(`lease takeover: ${takeoverMs} ms after SIGKILL (TTL ${TTL_SECONDS} s, heartbeat every ${TTL_SECONDS / 3} s)`);
    // Leases are kept in whole seconds: expiry is at most one TTL after the last renewal, which was at most a third of a TTL before the kill.
    expect(takeoverMs).toBeLessThanOrEqual(TTL_SECONDS * 1000 + 1000);
    expect(takeoverMs).toBeGreaterThanOrEqual(((TTL_SECONDS * 2) / 3) * 1000 - 1000);

    fake.faults.delayMs = 0;
    const resumed = await plainRun();
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/took over the lock of pipeline 'chargebee-to-jsonl' from run \S+ \(pid 1 on pod-7f9c\): its lease had expired/);
    assertExactlyOnce(fake, work.dir);
  }, 60_000);

  it('a run suspended past its lease is taken over, and when it wakes it stops before its next write (exit 3, run_lease_lost)', async () => {
    const first = start(process.execPath, runArgs());
    await until('the first run to hold the lock and write', () => (fake.requests.length >= 8 ? holder() : undefined));
    first.child.kill('SIGSTOP');
    fake.faults.delayMs = 0;
    expect((await cli(...runArgs().slice(1))).code, 'the suspended run still holds a live lease').toBe(4);
    await until('the lease to expire', () => {
      const current = holder();
      return current && lockVacancy(current, Math.floor(Date.now() / 1000)) === 'expired' ? true : undefined;
    });
    const second = await plainRun();
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('its lease had expired');
    first.child.kill('SIGCONT');
    const woken = await first.done;
    expect(woken.code, woken.stderr).toBe(3);
    expect(JSON.parse(woken.stdout)).toMatchObject({ status: 'failed', error: { code: 'run_lease_lost', kind: 'transient' } });
    assertExactlyOnce(fake, work.dir);
    const again = await cli(...runArgs().slice(1));
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).streams.customers.written).toBe(0);
  }, 60_000);

  it('unlock refuses a live lease, and --force releases it naming the holder, which then stops before its next write', async () => {
    fake.faults.delayMs = 500;
    const first = start(process.execPath, runArgs());
    const held = await until('the first run to hold the lock', () => (fake.requests.length >= 5 ? holder() : undefined));
    const refused = await cli('unlock', JSONL_PIPELINE, '--state', statePath);
    expect(refused.code).toBe(4);
    expect(refused.stdout).toMatch(
      new RegExp(
        `^pipeline chargebee-to-jsonl is locked by a live lease \\(run ${held.runId}, pid ${first.child.pid} on .+; lease renewed \\d+ s ago, valid until .+\\); not released\\.`,
      ),
    );
    const forced = await cli('unlock', JSONL_PIPELINE, '--state', statePath, '--force', '--json');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({
      pipeline: 'chargebee-to-jsonl',
      outcome: 'released',
      reason: 'forced',
      holder: { run_id: held.runId, pid: first.child.pid },
    });
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(3);
    expect(JSON.parse(stopped.stdout).error).toMatchObject({ code: 'run_lease_lost', fix: expect.stringContaining('ledgersync unlock --force') });
    // Its run keeps the status unlock gave it, saying why it ended, with its own error beside it.
    const state = StateStore.open(statePath);
    try {
      expect(state.recentRuns('chargebee-to-jsonl', 10).find((r) => r.id === held.runId)).toMatchObject({ status: 'unlocked', exitCode: 3 });
    } finally {
      state.close();
    }
    expect(await cli('unlock', JSONL_PIPELINE, '--state', statePath)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^pipeline chargebee-to-jsonl is not locked/),
    });
    fake.faults.delayMs = 0;
    const resumed = await cli(...runArgs().slice(1));
    expect(resumed.code, resumed.stderr).toBe(0);
    assertExactlyOnce(fake, work.dir);
  }, 60_000);
});
