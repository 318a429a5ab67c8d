import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { CLI, tempDir } from './helpers.js';
import { assertExactlyOnce, runCli, runCliUntilKilled } from './kill-resume.js';

const built = existsSync(join(CLI, '../../dist/engine/cli.js'));

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
});
