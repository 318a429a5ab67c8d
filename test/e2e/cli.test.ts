import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { committedKinds, generatedKinds, STACK_TRACE } from '../engine/config/corpus.js';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { startFakeDualEntry } from '../fakes/dualentry/index.js';
import { CLI, JSONL_PIPELINE, ROOT, chargebeeEnv, readJsonl, tempDir, runCli } from './helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));

const cli = (args: string[], env?: Record<string, string | undefined>) => runCli(args, env);

describe.skipIf(!built)('ledgersync CLI', () => {
  it('--help lists the commands', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const command of ['validate', 'run', 'status', 'reset', 'test', 'post']) expect(stdout).toContain(command);
  });

  it('post (a command of the DualEntry connector): JSON and text summaries, recorded as runs; refused for a pipeline that does not write to DualEntry', async () => {
    const ledger = await startFakeDualEntry();
    const work = tempDir();
    try {
      const env = {
        PATH: process.env['PATH'],
        CHARGEBEE_SITE: 'acme-test',
        CHARGEBEE_API_KEY: 'test_key',
        DUALENTRY_API_KEY: ledger.apiKey,
        DUALENTRY_COMPANY_ID: String(ledger.companyId),
        DUALENTRY_BASE_URL: ledger.url,
        LEDGERSYNC_STATE: join(work.dir, 'state.db'),
      };
      const pipeline = 'pipelines/examples/chargebee-revrec-to-dualentry.yaml';
      const json = await cli(['post', pipeline, '--period', '2025-03', '--json'], env);
      expect(json.code, json.stderr).toBe(0);
      const summary = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(summary).toEqual({
        status: 'nothing_to_post',
        exit_code: 0,
        pipeline: 'chargebee-revrec-to-dualentry',
        period: '2025-03',
        entries: [],
        api_calls: 0,
        run_id: expect.stringMatching(/^\d{8}T\d{6}-/),
      });

      const text = await cli(['post', pipeline, '--period', '2025-03'], env);
      expect(text.code).toBe(0);
      expect(text.stdout).toBe('period 2025-03: nothing_to_post, 0 DualEntry request(s), exit 0\n');
      const status = await cli(['status', pipeline], env);
      expect(status.stdout.match(/success\s+exit 0/g)).toHaveLength(2);

      const wrong = await cli(['post', JSONL_PIPELINE, '--period', '2025-03'], env);
      expect(wrong.code).toBe(2);
      expect(wrong.stdout).toBe(
        'error: ledgersync post is a command of the dualentry connector; pipeline chargebee-to-jsonl writes to jsonl\n' +
          'fix: give it a pipeline whose sink is dualentry\n' +
          'period 2025-03: invalid, 0 DualEntry request(s), exit 2\n',
      );
      const missing = await cli(['post', pipeline], env);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("required option '--period <period>' not specified");
    } finally {
      work.cleanup();
      await ledger.close();
    }
  });

  it('validate: exit 0 on the example pipelines, 2 with file:line:col on broken ones, JSON on request', async () => {
    const clean = await cli(['validate', 'pipelines/**/*.yaml']);
    expect(clean.code, clean.stdout).toBe(0);
    const all = Number(/(\d+) file\(s\) checked/.exec(clean.stderr)?.[1]);
    expect(all).toBeGreaterThanOrEqual(5);

    const some = await cli(['validate', 'pipelines/**/*.yaml', '!**/chargebee-to-*.yaml']);
    expect(some.code, some.stdout).toBe(0);
    // Every chargebee-to-* example and its mapping cases file are left out.
    const excluded = readdirSync(join(ROOT, 'pipelines/examples')).filter((f) => /^chargebee-to-.*\.yaml$/.test(f)).length;
    expect(excluded).toBeGreaterThanOrEqual(6);
    expect(some.stderr).toContain(`${all - excluded} file(s) checked, 0 error(s)`);
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
      // The reset is in the recent runs with what it did, not a sync's totals of nothing.
      const afterReset = await cli(['status', JSONL_PIPELINE, '--state', state], env);
      expect(afterReset.stdout).toMatch(/reset\s+exit 0 {2}reset invoices, removed 1$/m);
      expect(afterReset.stdout).not.toContain('NaN');

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
      expect(status.stdout).toMatch(/no entry for '\w+' in lookup table 'payment_methods'.*\n\s+fix: add '\w+' under lookups\.payment_methods\.values/);

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

  describe('validate over the broken-config corpus', () => {
    const generated = generatedKinds();
    afterAll(() => generated.cleanup());
    const kinds = [...committedKinds().filter((k) => k.mode === 'validate'), ...generated.kinds];

    it('answers every kind in one run: exit 2, a JSON array with each file, no stack trace, within seconds', async () => {
      const started = Date.now();
      const json = await cli(['validate', '--format', 'json', ...kinds.map((k) => k.path)]);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(json.code).toBe(2);
      expect(json.stderr).toBe('');
      const problems = JSON.parse(json.stdout) as Array<{ file: string; line: number; column: number; code: string; message: string; severity: string }>;
      for (const kind of kinds) {
        const lookupFile = kind.expect?.[0] && /^\S+ at (lookups\/[^:]+):/.exec(kind.expect[0])?.[1];
        const file = lookupFile ? `test/fixtures/pipelines/broken/${lookupFile}` : kind.path;
        expect(
          problems.some((p) => p.file === file),
          kind.name,
        ).toBe(true);
      }
      for (const p of problems) {
        expect(p.message).not.toMatch(STACK_TRACE);
        expect(p.line).toBeGreaterThanOrEqual(1);
        expect(p.column).toBeGreaterThanOrEqual(1);
      }

      const text = await cli(['validate', ...kinds.map((k) => k.path)]);
      expect(text.code).toBe(2);
      const lines = text.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(problems.length);
      for (const line of lines) expect(line).toMatch(/^[^\n]+:\d+:\d+: \S/);
      expect(text.stderr).toBe(`${kinds.length} file(s) checked, ${problems.filter((p) => p.severity === 'error').length} error(s)\n`);
    });
  });

  describe('validate runs each file in a worker', () => {
    it('stops a file that takes longer than LEDGERSYNC_VALIDATE_TIMEOUT_SECONDS and still checks the next one', async () => {
      const work = tempDir();
      const rows = Array.from({ length: 100_000 }, (_, i) => `      k${i}: v${i}`).join('\n');
      const big = join(work.dir, 'big.yaml');
      writeFileSync(
        big,
        `version: 1\nname: big\nsource: { connector: chargebee, site: acme, api_key: "\${K}" }\nsink: { connector: jsonl, dir: out }\nlookups:\n  t:\n    values:\n${rows}\nstreams: []\n`,
      );
      const { code, stdout } = await cli(['validate', '--format', 'json', big, 'test/fixtures/pipelines/broken/wrong-type.yaml'], {
        PATH: process.env['PATH'],
        LEDGERSYNC_VALIDATE_TIMEOUT_SECONDS: '0.5',
      });
      expect(code).toBe(2);
      const problems = JSON.parse(stdout) as Array<{ file: string; code: string; message: string }>;
      expect(problems.map((p) => [p.file, p.code])).toEqual([
        [big, 'validate_timeout'],
        ['test/fixtures/pipelines/broken/wrong-type.yaml', 'schema_type'],
      ]);
      expect(problems[0]?.message).toBe(
        'checking this file took longer than 0.50 s and was stopped: it is too large or too complex (LEDGERSYNC_VALIDATE_TIMEOUT_SECONDS to allow more)',
      );
      work.cleanup();
    });

    it('honours SIGTERM at once while a big file is being checked', async () => {
      const work = tempDir();
      const rows = Array.from({ length: 200_000 }, (_, i) => `      k${i}: v${i}`).join('\n');
      const big = join(work.dir, 'big.yaml');
      writeFileSync(big, `version: 1\nname: big\nlookups:\n  t:\n    values:\n${rows}\n`);
      const child = spawn(process.execPath, [CLI, 'validate', big], { cwd: ROOT, stdio: 'ignore' });
      await new Promise((resolve) => setTimeout(resolve, 800));
      const sent = Date.now();
      child.kill('SIGTERM');
      const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, s) => resolve(s)));
      expect(signal).toBe('SIGTERM');
      expect(Date.now() - sent).toBeLessThan(2000);
      work.cleanup();
    });
  });
});
