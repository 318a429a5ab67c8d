/**
 * The kill matrix (npm run soak): the Chargebee → JSONL pipeline killed with SIGKILL at
 * LEDGERSYNC_KILL_POINTS random points (default 20), each resumed; every record must end up in
 * the output exactly once. Prints the points and the outcome for the closing-note figures.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { tempDir } from '../e2e/helpers.js';
import { assertExactlyOnce, runCli, runCliUntilKilled } from '../e2e/kill-resume.js';

const points = Number(process.env['LEDGERSYNC_KILL_POINTS'] ?? 20);

let fake: FakeChargebee;
beforeEach(async () => {
  fake = await startFakeChargebee({ customers: 300 });
});
afterEach(async () => {
  await fake.close();
});

describe('kill matrix: SIGKILL at random points, then resume', () => {
  it(`leaves every record exactly once at ${points} random kill points`, async () => {
    // A clean reference run says how many requests a run makes; the kill points are drawn inside it.
    const reference = tempDir();
    const before = fake.requests.length;
    expect((await runCli(fake, reference.dir)).code).toBe(0);
    const requestsPerRun = fake.requests.length - before;
    reference.cleanup();

    const outcomes: string[] = [];
    for (let i = 0; i < points; i++) {
      const run = tempDir();
      try {
        const afterRequests = 1 + Math.floor(Math.random() * (requestsPerRun - 1));
        fake.faults.delayMs = 5 + (i % 4) * 5;
        const { killed } = await runCliUntilKilled(fake, run.dir, afterRequests);
        fake.faults.delayMs = 0;
        const resumed = await runCli(fake, run.dir);
        expect(resumed.code, resumed.stderr).toBe(0);
        assertExactlyOnce(fake, run.dir);
        outcomes.push(`${afterRequests}${killed ? '' : ' (finished first)'}`);
      } finally {
        run.cleanup();
      }
    }
    process.stdout.write(`kill matrix: ${requestsPerRun} requests per run; killed after ${outcomes.join(', ')}; every record exactly once after each resume\n`);
  }, 1_800_000);
});
