/**
 * Logs for schedulers: with --log-format json (or LEDGERSYNC_LOG_FORMAT=json) every line a command
 * writes on stderr is one JSON object, even under run --json, and every --json output on stdout
 * keeps one convention (snake_case keys, ISO-8601 times).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { startFakeDualEntry } from '../fakes/dualentry/index.js';
import { CLI, JSONL_PIPELINE, ROOT, chargebeeEnv, tempDir } from './helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));

function cli(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every stderr line parsed; fails on the first that is not a JSON log line. */
function logLines(stderr: string): Array<Record<string, unknown>> {
  const lines = stderr.split('\n').filter((l) => l !== '');
  return lines.map((line) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(parsed).slice(0, 4), line).toEqual(['time', 'level', 'scope', 'message']);
    expect(new Date(String(parsed['time'])).toISOString(), line).toBe(parsed['time']);
    expect(['debug', 'info', 'warn', 'error']).toContain(parsed['level']);
    return parsed;
  });
}

function expectSnakeCase(json: string): void {
  for (const key of json.match(/"[A-Za-z_]+":/g) ?? []) expect(key, 'a camelCase key').not.toMatch(/[a-z][A-Z]/);
}

describe.skipIf(!built)('JSON logs', () => {
  let fake: FakeChargebee;
  let work: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    fake = await startFakeChargebee({ customers: 15 });
    work = tempDir();
  });
  afterEach(async () => {
    await fake.close();
    work.cleanup();
  });

  it('parse line by line for run, status, validate, test and reset', async () => {
    const pipeline = join(work.dir, 'strict.yaml');
    writeFileSync(pipeline, readFileSync(join(ROOT, 'test/fixtures/pipelines/e2e/strict-lookup.yaml'), 'utf8'));
    const env = { ...chargebeeEnv(fake, join(work.dir, 'out')), LEDGERSYNC_STATE: join(work.dir, 'state.db') };

    const run = await cli(['run', pipeline, '--json', '--log-format', 'json'], env);
    expect(run.code, run.stderr).toBe(1);
    const runLogs = logLines(run.stderr);
    expect(runLogs.find((l) => l['message'] === 'transactions: started')).toMatchObject({ scope: 'ledgersync:run', stream: 'transactions' });
    expect(runLogs.find((l) => String(l['message']).startsWith('transactions: done in'))).toMatchObject({ stream: 'transactions', failed: expect.any(Number) });
    expect(runLogs.at(-1)).toMatchObject({ level: 'info', command: 'run', exit_code: 1, duration_ms: expect.any(Number) });
    const summary = JSON.parse(run.stdout) as { dead_letter_causes: Array<{ code: string; count: number; records: unknown[] }> };
    expectSnakeCase(run.stdout);
    expect(summary.dead_letter_causes.length).toBeGreaterThan(0);
    expect(summary.dead_letter_causes.every((c) => c.code === 'lookup_missing' && c.count === c.records.length)).toBe(true);
    // The first five records of a cause are warned about one by one, then one line says the rest are not: the summary counts them all.
    const failedTransactions = summary.dead_letter_causes.flatMap((c) => c.records as Array<{ stream: string }>).filter((r) => r.stream === 'transactions');
    expect(failedTransactions.length).toBeGreaterThan(5);
    expect(runLogs.filter((l) => l['level'] === 'warn' && /^transactions \S+: /.test(String(l['message'])))).toHaveLength(5);
    expect(runLogs.filter((l) => /^transactions: more records fail with lookup_missing; not listed one by one/.test(String(l['message'])))).toHaveLength(1);

    const status = await cli(['status', pipeline, '--json'], { ...env, LEDGERSYNC_LOG_FORMAT: 'json' });
    expect(status.code).toBe(0);
    expect(logLines(status.stderr).at(-1)).toMatchObject({ command: 'status', exit_code: 0 });
    expectSnakeCase(status.stdout);
    const report = JSON.parse(status.stdout) as { runs: Array<Record<string, unknown>>; checkpoints: Array<Record<string, unknown>> };
    expect(report.runs[0]).toMatchObject({ status: 'partial', exit_code: 1, started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(report.checkpoints[0]!['updated_at']).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);

    const validate = await cli(['--log-format=json', 'validate', pipeline], env);
    expect(validate.code).toBe(0);
    expect(logLines(validate.stderr).map((l) => l['message'])).toEqual(['1 file(s) checked, 0 error(s)', 'validate finished, exit 0']);

    const explained = await cli(['validate', pipeline, '--explain', '--format', 'json'], env);
    expect(explained.code).toBe(0);
    expectSnakeCase(explained.stdout);
    expect((JSON.parse(explained.stdout) as { expressions: Array<Record<string, unknown>> }).expressions[0]).toHaveProperty('stream_engine', 'compiled');

    const cases = join(work.dir, 'strict.cases.yaml');
    writeFileSync(cases, 'cases:\n  - name: card\n    stream: transactions\n    input: { id: t1, payment_method: card }\n    expect: { method: CARD }\n');
    const test = await cli(['test', pipeline, cases, '--format', 'junit', '--log-format', 'json'], env);
    expect(test.code, test.stderr).toBe(0);
    expect(test.stdout).toMatch(/^<\?xml/);
    expect(logLines(test.stderr).some((l) => /1 passed, 0 failed/.test(String(l['message'])))).toBe(true);

    const reset = await cli(['reset', pipeline, '--stream', 'transaction', '--log-format', 'json'], env);
    expect(reset.code).toBe(2);
    expect(logLines(reset.stderr).at(-1)).toMatchObject({ command: 'reset', exit_code: 2 });
  }, 60_000);

  it('the error that stops a run is a line with its code, kind and fix as fields', async () => {
    const env = { ...chargebeeEnv(fake, join(work.dir, 'out')), CHARGEBEE_API_KEY: 'wrong_key', LEDGERSYNC_STATE: join(work.dir, 'state.db') };
    const run = await cli(['run', JSONL_PIPELINE, '--log-format', 'json'], env);
    expect(run.code).toBe(3);
    expect(logLines(run.stderr).find((l) => l['level'] === 'error')).toMatchObject({
      scope: 'ledgersync:run',
      code: 'chargebee_auth_failed',
      kind: 'auth',
      fix: expect.stringMatching(/^check CHARGEBEE_API_KEY/),
    });
  });

  it('parse line by line for post, a connector command, whose --json is snake_case too', async () => {
    const ledger = await startFakeDualEntry();
    try {
      const env = {
        PATH: process.env['PATH'],
        CHARGEBEE_SITE: 'acme-test',
        CHARGEBEE_API_KEY: 'test_key',
        DUALENTRY_API_KEY: ledger.apiKey,
        DUALENTRY_COMPANY_ID: String(ledger.companyId),
        DUALENTRY_BASE_URL: ledger.url,
        LEDGERSYNC_STATE: join(work.dir, 'post.db'),
        LEDGERSYNC_LOG_FORMAT: 'json',
      };
      const post = await cli(['post', 'pipelines/examples/chargebee-revrec-to-dualentry.yaml', '--period', '2025-03', '--json'], env);
      expect(post.code, post.stderr).toBe(0);
      expectSnakeCase(post.stdout);
      expect(JSON.parse(post.stdout)).toMatchObject({ exit_code: 0, api_calls: 0 });
      expect(logLines(post.stderr).at(-1)).toMatchObject({ command: 'post', exit_code: 0 });
    } finally {
      await ledger.close();
    }
  });

  it('carry commander errors and an unknown command as JSON lines too', async () => {
    const env = { PATH: process.env['PATH'], LEDGERSYNC_LOG_FORMAT: 'json' };
    const unknown = await cli(['runn', JSONL_PIPELINE], env);
    expect(unknown.code).toBe(2);
    const lines = logLines(unknown.stderr);
    expect(lines[0]).toMatchObject({ level: 'error', message: expect.stringContaining("unknown command 'runn'") });
  });
});
