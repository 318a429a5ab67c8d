import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { CLI, readJsonl, tempDir, versionCounts } from './helpers.js';
import { runCli, runCliUntilKilled } from './kill-resume.js';

const STREAMS = ['customers', 'invoices', 'credit_notes', 'transactions'] as const;
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

export function assertExactlyOnce(fakeSite: FakeChargebee, dir: string): void {
  for (const stream of STREAMS) {
    const rows = readJsonl(join(dir, 'out', `${stream}.jsonl`));
    const duplicates = [...versionCounts(rows)].filter(([, n]) => n > 1);
    expect(duplicates, `${stream}: duplicated (id, resource_version)`).toEqual([]);
    const ids = new Set(rows.map((r) => String(r.id)));
    expect(ids.size, `${stream}: every record present`).toBe(fakeSite.state.entries(stream).length);
  }
}

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
