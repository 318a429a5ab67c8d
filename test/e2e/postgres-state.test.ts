/**
 * The CLI on PostgreSQL state (LEDGERSYNC_STATE=postgres://…): the JSONL example synced twice (the
 * second run writes nothing), status and reset through the same URL, nothing written to a SQLite
 * file, the password never printed; a run SIGKILLed mid-way and resumed leaves every record once;
 * the QuickBooks sink killed right after a write leaves every document in QBO exactly once.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { CLI, JSONL_PIPELINE, ROOT, chargebeeEnv, tempDir } from './helpers.js';
import { assertExactlyOnce } from './kill-resume.js';
import { startSandbox } from '../connectors/quickbooks-online/e2e-harness.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));
let server: TestPostgres;
let schemas = 0;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(
  args: string[],
  env: Record<string, string | undefined>,
  cwd: string,
  killAfter?: { fake: FakeChargebee; requests: number },
): Promise<Cli & { killed: boolean }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const start = killAfter?.fake.requests.length ?? 0;
  const timer = killAfter
    ? setInterval(() => {
        if (!killed && killAfter.fake.requests.length - start >= killAfter.requests) killed = child.kill('SIGKILL');
      }, 2)
    : undefined;
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr, killed });
    }),
  );
}

describe.skipIf(!built)('the CLI on PostgreSQL state', () => {
  it('syncs the JSONL example twice (the second run writes nothing), reports status, resets, and writes no SQLite file', async () => {
    const fake = await startFakeChargebee({ customers: 40 });
    const work = tempDir();
    try {
      const state = `${server.url}?schema=e2e_${++schemas}`;
      const env = { ...chargebeeEnv(fake, join(work.dir, 'out')), LEDGERSYNC_STATE: state };
      const first = await cli(['run', JSONL_PIPELINE, '--json'], env, work.dir);
      expect(first.code, first.stderr).toBe(0);
      const second = await cli(['run', JSONL_PIPELINE, '--json'], env, work.dir);
      expect(second.code, second.stderr).toBe(0);
      const streams = (JSON.parse(second.stdout) as { streams: Record<string, { written: number }> }).streams;
      expect(Object.values(streams).every((s) => s.written === 0)).toBe(true);
      assertExactlyOnce(fake, work.dir);

      const status = await cli(['status', JSONL_PIPELINE, '--json'], env, work.dir);
      expect(status.code).toBe(0);
      const report = JSON.parse(status.stdout) as { runs: Array<{ status: string }>; checkpoints: unknown[] };
      expect(report.runs.map((r) => r.status)).toEqual(['success', 'success']);
      expect(report.checkpoints).toHaveLength(4);
      const text = await cli(['status', JSONL_PIPELINE], env, work.dir);
      expect(text.stdout).toContain('postgres://ledgersync:***@');

      const reset = await cli(['reset', JSONL_PIPELINE, '--stream', 'invoices'], env, work.dir);
      expect(reset.code, reset.stderr).toBe(0);
      const after = JSON.parse((await cli(['status', JSONL_PIPELINE, '--json'], env, work.dir)).stdout) as { checkpoints: unknown[] };
      expect(after.checkpoints).toHaveLength(3);

      // audit and show read the PostgreSQL state too (they looked for a file of that name: "0 entries", "never run").
      const audit = await cli(['audit', JSONL_PIPELINE, '--verify'], env, work.dir);
      expect(audit.code, audit.stdout + audit.stderr).toBe(0);
      const entries = Number(/(\d+) entries/.exec(audit.stdout)?.[1]);
      expect(entries).toBeGreaterThan(0);
      const customer = fake.state.all('customers')[0]!.id;
      const show = await cli(['show', JSONL_PIPELINE, customer, '--json'], env, work.dir);
      expect(show.code, show.stdout + show.stderr).toBe(0);
      const unknown = await cli(['show', JSONL_PIPELINE, 'no_such_record'], env, work.dir);

      for (const output of [first, second, status, text, reset, audit, show, unknown]) expect(output.stdout + output.stderr).not.toContain(server.password);
      expect(readdirSync(work.dir).sort()).toEqual(['out']);
    } finally {
      await fake.close();
      work.cleanup();
    }
  });

  it('a run SIGKILLed mid-way resumes from its checkpoint with every record exactly once', async () => {
    const fake = await startFakeChargebee({ customers: 150 });
    fake.faults.delayMs = 15;
    const work = tempDir();
    try {
      const state = `${server.url}?schema=e2e_${++schemas}`;
      const args = ['run', JSONL_PIPELINE, '--state', state, '--json'];
      const env = chargebeeEnv(fake, join(work.dir, 'out'));
      const killed = await cli(args, env, work.dir, { fake, requests: 3 + Math.floor(Math.random() * 8) });
      expect(killed.killed).toBe(true);
      fake.faults.delayMs = 0;
      const resumed = await cli(args, env, work.dir);
      expect(resumed.code, resumed.stderr).toBe(0);
      assertExactlyOnce(fake, work.dir);
    } finally {
      await fake.close();
      work.cleanup();
    }
  });

  it('the QuickBooks sink killed right after a write, resumed: every document in QBO exactly once', async () => {
    const s = await startSandbox();
    try {
      const state = `${server.url}?schema=e2e_${++schemas}`;
      const killPoint = 1 + Math.floor(Math.random() * 60);
      let writes = 0;
      const child = spawn(process.execPath, [join(ROOT, 'test/connectors/quickbooks-online/kill-child.mjs'), s.pipelinePath, state], {
        env: { ...process.env, ...s.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      s.qbo.faults.afterWrite = async () => {
        if (++writes === killPoint) {
          child.kill('SIGKILL');
          await exited;
        }
      };
      await exited;
      s.qbo.faults.afterWrite = undefined;
      const resumed = await s.run({ statePath: state });
      expect(resumed.exitCode, JSON.stringify(resumed.error)).toBe(0);
      const again = await s.run({ statePath: state });
      expect(Object.values(again.streams).reduce((n, c) => n + c.written, 0)).toBe(0);
      for (const [object, key] of [
        ['Customer', 'Notes'],
        ['Invoice', 'DocNumber'],
        ['Payment', 'PaymentRefNum'],
      ] as const) {
        const keys = s.qbo.state.entities(object).map((e) => String(e[key]));
        expect(keys.length, `${object} duplicated (kill point ${killPoint})`).toBe(new Set(keys).size);
      }
      expect(s.qbo.state.entities('Invoice').length).toBe(s.cb.state.all('invoices').filter((i) => !i.deleted).length);
      expect(existsSync(s.statePath)).toBe(false);
    } finally {
      await s.close();
    }
  });
});
