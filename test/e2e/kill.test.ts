import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { spawn } from 'node:child_process';
import { CLI, JSONL_PIPELINE, chargebeeEnv, tempDir } from './helpers.js';
import { assertExactlyOnce, runCli, runCliUntilKilled } from './kill-resume.js';

const built = existsSync(join(CLI, '../../dist/app/cli.js'));

let fake: FakeChargebee;
let work: ReturnType<typeof tempDir>;

beforeEach(async () => {
  fake = await startFakeChargebee({ customers: 150 });
  fake.faults.delayMs = 15;
  work = tempDir();
});
afterEach(async () => {
  await fake.close();
  work.cleanup();
});

describe.skipIf(!built)('a run killed with SIGKILL and resumed', () => {
  for (const point of [3, 6, 10]) {
    it(`leaves every record exactly once when killed after ${point} requests`, async () => {
      const { killed } = await runCliUntilKilled(fake, work.dir, point);
      expect(killed).toBe(true);
      fake.faults.delayMs = 0;
      const resumed = await runCli(fake, work.dir);
      expect(resumed.code, resumed.stderr).toBe(0);
      const summary = JSON.parse(resumed.stdout) as { status: string };
      expect(summary.status).toBe('success');
      assertExactlyOnce(fake, work.dir);
    });
  }

  it('a SIGTERM (a scheduler stopping the pod) ends the run cleanly with exit 3, and the next run completes it', async () => {
    const child = spawn(process.execPath, [CLI, 'run', JSONL_PIPELINE, '--state', join(work.dir, 'state.db'), '--json'], {
      env: chargebeeEnv(fake, join(work.dir, 'out')),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    while (fake.requests.length < 5) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(3);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'failed', error: { code: 'run_aborted' } });
    fake.faults.delayMs = 0;
    const resumed = await runCli(fake, work.dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    assertExactlyOnce(fake, work.dir);
  });
});
