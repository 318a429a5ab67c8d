/**
 * The kill matrix (npm run soak): the Chargebee → JSONL pipeline killed with SIGKILL at
 * LEDGERSYNC_KILL_POINTS random points (default 20), each resumed; every record must end up in
 * the output exactly once. Prints the points and the outcome for the closing-note figures.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { tempDir } from '../integration/helpers.js';
import { assertExactlyOnce, runCli, runCliUntilKilled } from '../integration/kill-resume.js';

const points = Number(process.env.LEDGERSYNC_KILL_POINTS ?? 20);

let fake: FakeChargebee;
let work: ReturnType<typeof tempDir>;
beforeEach(async () => {
  fake = await startFakeChargebee({ customers: 300 });
  work = tempDir();
});
afterEach(async () => {
  await fake.close();
  work.cleanup();
});

describe('kill matrix: SIGKILL at random points, then resume', () => {
  // A clean run of this site makes about 25 requests; kill points are drawn over that range.
  const draws = Array.from({ length: points }, (_, i) => 1 + Math.floor(((i * 7919 + Date.now()) % 1000) / 1000 * 24));
  for (const [i, afterRequests] of draws.entries()) {
    it(`point ${i + 1}/${points}: killed after ${afterRequests} requests`, async () => {
      fake.faults.delayMs = 5 + (i % 4) * 5;
      const { killed } = await runCliUntilKilled(fake, work.dir, afterRequests);
      fake.faults.delayMs = 0;
      const resumed = await runCli(fake, work.dir);
      expect(resumed.code, resumed.stderr).toBe(0);
      assertExactlyOnce(fake, work.dir);
      process.stdout.write(`kill point ${afterRequests}: ${killed ? 'killed' : 'finished first'}, resumed, every record exactly once\n`);
    }, 120_000);
  }
});
