import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { CLI, JSONL_PIPELINE, ROOT, chargebeeEnv, readJsonl, tempDir } from './helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));

function cli(
  args: string[],
  env: Record<string, string | undefined> = { PATH: process.env['PATH'] },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!built)('ledgersync CLI', () => {
  it('--help lists the commands', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const command of ['validate', 'run', 'status', 'reset', 'test']) expect(stdout).toContain(command);
  });

  it('validate: exit 0 on the example pipelines, 2 with file:line:col on broken ones, JSON on request', async () => {
    const clean = await cli(['validate', 'pipelines/**/*.yaml']);
    expect(clean.code, clean.stdout).toBe(0);
    const all = Number(/(\d+) file\(s\) checked/.exec(clean.stderr)?.[1]);
    expect(all).toBeGreaterThanOrEqual(5);

    const some = await cli(['validate', 'pipelines/**/*.yaml', '!**/chargebee-to-*.yaml']);
    expect(some.code, some.stdout).toBe(0);
    // Three example pipelines and their three mapping cases files.
    expect(some.stderr).toContain(`${all - 6} file(s) checked, 0 error(s)`);
    const emptied = await cli(['validate', 'pipelines/**/*.yaml', '!pipelines/**']);
    expect(emptied.code).toBe(2);
    expect(emptied.stdout).toContain("pipelines/**/*.yaml:1:1: every file matching 'pipelines/**/*.yaml' is excluded by '!pipelines/**'");

    const broken = await cli(['validate', 'test/fixtures/pipelines/broken/unknown-lookup.yaml', 'test/fixtures/pipelines/broken/unknown-option.yaml']);
    expect(broken.code).toBe(2);
    expect(broken.stdout).toMatch(/^test\/fixtures\/pipelines\/broken\/unknown-lookup\.yaml:21:\d+: .*gl_acounts/m);
    expect(broken.stdout).toMatch(/^test\/fixtures\/pipelines\/broken\/unknown-option\.yaml:\d+:\d+: /m);

    const json = await cli(['validate', '--format', 'json', 'test/fixtures/pipelines/broken/unknown-lookup.yaml']);
    expect(json.code).toBe(2);
    const problems = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(problems[0]).toMatchObject({ line: 21, severity: 'error' });
    expect(Object.keys(problems[0]!).sort()).toEqual(['code', 'column', 'file', 'line', 'message', 'path', 'severity']);
  });

  it('run with a missing environment variable exits 2 naming the variable and its place', async () => {
    const { code, stdout } = await cli(['run', JSONL_PIPELINE, '--json', '--state', join(tempDir().dir, 's.db')], {
      PATH: process.env['PATH'],
      CHARGEBEE_SITE: 'acme-test',
    });
    expect(code).toBe(2);
    const summary = JSON.parse(stdout) as { status: string; problems: Array<{ message: string; line: number }> };
    expect(summary.status).toBe('invalid');
    expect(summary.problems.some((p) => /CHARGEBEE_API_KEY/.test(p.message))).toBe(true);
  });

  describe('against the fake Chargebee', () => {
    let fake: FakeChargebee;
    let work: ReturnType<typeof tempDir>;
    beforeEach(async () => {
      fake = await startFakeChargebee({ customers: 40 });
      work = tempDir();
    });
    afterEach(async () => {
      await fake.close();
      work.cleanup();
    });

    it('run --json prints one summary object; status shows cursors and runs; reset forgets cursors', async () => {
      const env = chargebeeEnv(fake, join(work.dir, 'out'));
      const state = join(work.dir, 'state.db');
      const run = await cli(['run', JSONL_PIPELINE, '--json', '--state', state], env);
      expect(run.code, run.stderr).toBe(0);
      const summary = JSON.parse(run.stdout) as { status: string; streams: Record<string, Record<string, number>> };
      expect(summary.status).toBe('success');
      expect(Object.keys(summary.streams)).toEqual(['customers', 'invoices', 'credit_notes', 'transactions']);
      expect(Object.keys(summary.streams['invoices']!).sort()).toEqual(['created', 'failed', 'read', 'skipped', 'updated', 'written']);

      const status = await cli(['status', JSONL_PIPELINE, '--state', state], env);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/invoices\s+updated_at ≥ \d{4}-/);
      expect(status.stdout).toMatch(/success\s+exit 0/);

      const reset = await cli(['reset', JSONL_PIPELINE, '--stream', 'invoices', '--state', state], env);
      expect(reset.code).toBe(0);
      expect(reset.stdout).toContain('forgot 1 cursor(s) of stream invoices');
      const statusJson = JSON.parse((await cli(['status', JSONL_PIPELINE, '--json', '--state', state], env)).stdout) as {
        checkpoints: Array<{ stream: string }>;
      };
      expect(statusJson.checkpoints.map((c) => c.stream)).not.toContain('invoices');

      const again = JSON.parse((await cli(['run', JSONL_PIPELINE, '--json', '--state', state], env)).stdout) as {
        streams: Record<string, Record<string, number>>;
      };
      expect(again.streams['invoices']!['read']).toBe(fake.state.entries('invoices').length);
      expect(again.streams['invoices']!['written']).toBe(0);
    });

    it('a record whose lookup is missing dead-letters with the fix (exit 1), and goes through once the table is fixed', async () => {
      const pipeline = join(work.dir, 'strict.yaml');
      writeFileSync(pipeline, readFileSync(join(ROOT, 'test/fixtures/pipelines/e2e/strict-lookup.yaml'), 'utf8'));
      const env = chargebeeEnv(fake, join(work.dir, 'out'));
      const state = join(work.dir, 'state.db');
      const first = await cli(['run', pipeline, '--json', '--state', state], env);
      expect(first.code).toBe(1);
      const summary = JSON.parse(first.stdout) as { status: string; streams: { transactions: { failed: number; created: number } } };
      expect(summary.status).toBe('partial');
      const methods = new Set(fake.state.entries('transactions').map((t) => String(t.record['payment_method'])));
      const nonCard = fake.state.entries('transactions').filter((t) => t.record['payment_method'] !== 'card').length;
      expect(summary.streams.transactions.failed).toBe(nonCard);

      const status = await cli(['status', pipeline, '--state', state], env);
      expect(status.stdout).toMatch(/dead letters \(retried on every run\): [1-9]/);
      expect(status.stdout).toMatch(/no entry for '\w+' in lookup table 'payment_methods'.*fix: add '\w+' under lookups\.payment_methods\.values/);

      const fixed = readFileSync(pipeline, 'utf8').replace('      card: CARD', [...methods].map((m) => `      ${m}: ${m.toUpperCase()}`).join('\n'));
      writeFileSync(pipeline, fixed);
      const second = await cli(['run', pipeline, '--json', '--state', state], env);
      expect(second.code, second.stdout).toBe(0);
      const rows = readJsonl(join(work.dir, 'out', 'transactions.jsonl'));
      expect(new Set(rows.map((r) => r['id'])).size).toBe(fake.state.entries('transactions').length);
      expect(rows.length).toBe(fake.state.entries('transactions').length);
      const quiet = JSON.parse((await cli(['status', pipeline, '--json', '--state', state], env)).stdout) as { dead_letters: unknown[] };
      expect(quiet.dead_letters).toEqual([]);
    });

    it('a stream of the other product catalog is a clear configuration error, not an empty stream', async () => {
      const pipeline = join(work.dir, 'plans.yaml');
      writeFileSync(
        pipeline,
        readFileSync(join(ROOT, 'test/fixtures/pipelines/e2e/strict-lookup.yaml'), 'utf8')
          .replace('name: strict-lookup', 'name: plans-on-v2')
          .replace('endpoint: transactions', 'endpoint: plans')
          .replace('method: $lookup("payment_methods", payment_method)', 'name: name'),
      );
      const run = await cli(['run', pipeline, '--json', '--state', join(work.dir, 'state.db')], chargebeeEnv(fake, join(work.dir, 'out')));
      expect(run.code).toBe(2);
      const summary = JSON.parse(run.stdout) as { error: { message: string; fix: string } };
      expect(summary.error.message).toMatch(/Product Catalog 1\.0 resource, but Chargebee site 'acme-test' runs Product Catalog 2\.0/);
      expect(summary.error.fix).toMatch(/items and item_prices/);
    });

    it('ledgersync test runs mapping cases declared as data', async () => {
      const cases = join(work.dir, 'cases.yaml');
      writeFileSync(
        cases,
        [
          'cases:',
          '  - name: company name wins',
          '    stream: customers',
          '    input: { id: cus_1, resource_version: 5, company: "Müller GmbH", first_name: Ann, created_at: 1700000000 }',
          '    expect: { id: cus_1, name: "Müller GmbH", created_on: "2023-11-14" }',
          '  - name: JPY totals have no decimals',
          '    stream: invoices',
          '    input: { id: inv_1, currency_code: JPY, total: 1234, amount_due: 0, line_items: [] }',
          '    expect: { total: "1234", amount_due: "0" }',
          '  - name: a wrong expectation fails',
          '    stream: invoices',
          '    input: { id: inv_2, currency_code: KWD, total: 1234, amount_due: 0, line_items: [] }',
          '    expect: { total: "12.34" }',
        ].join('\n'),
      );
      const result = await cli(['test', JSONL_PIPELINE, cases]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`ok   ${cases}:2  company name wins`);
      expect(result.stdout).toContain(`FAIL ${cases}:10  a wrong expectation fails\n       ${cases}:13:15: total: expected "12.34", got "1.234"\n`);
      expect(result.stdout).toContain('2 passed, 1 failed');
    });
  });
});
