/**
 * Logs for schedulers, for connectors' own commands (`ledgersync post`) and for every command an
 * error stops (`report`, `init`, `show`…): an `error` line with `code`, `kind` and `fix` as fields,
 * under the command's scope, before its `<command> finished` line; `post --json` names the pipeline as it
 * names itself and has `run_id: null` when no run was recorded, as `run --json` does.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConnectorCommand } from '../../engine/connector/command.js';
import type { ConnectorRegistry } from '../../engine/connector/registry.js';
import { createLogger } from '../../engine/log.js';
import { runConnectorCommand } from '../../engine/run/command.js';
import { ROOT, runCli, tempDir } from '../e2e/helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));
const REVREC = join(ROOT, 'pipelines/examples/chargebee-revrec-to-dualentry.yaml');
const JSONL = join(ROOT, 'pipelines/examples/chargebee-to-jsonl.yaml');
const work = tempDir('ledgersync-command-logs-');
afterAll(() => work.cleanup());

const env = (extra: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  PATH: process.env['PATH'],
  CHARGEBEE_SITE: 'acme-test',
  CHARGEBEE_API_KEY: 'test_fake_key',
  CHARGEBEE_BASE_URL: 'http://127.0.0.1:9/api/v2',
  DUALENTRY_API_KEY: 'de_key',
  DUALENTRY_COMPANY_ID: '4242',
  DUALENTRY_BASE_URL: 'http://127.0.0.1:9',
  LEDGERSYNC_OUT: join(work.dir, 'out'),
  LEDGERSYNC_STATE: join(work.dir, 'state.db'),
  ...extra,
});

/** Every stderr line parsed: each must be a JSON log line. */
const logLines = (stderr: string): Array<Record<string, unknown>> =>
  stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** The error line and the finished line a command's JSON log ends with. */
function ending(stderr: string, command: string): { error: Record<string, unknown> | undefined; finished: Record<string, unknown> | undefined } {
  const lines = logLines(stderr);
  return {
    error: lines.find((l) => l['level'] === 'error'),
    finished: lines.find((l) => l['message'] === `${command} finished, exit 2`),
  };
}

describe.skipIf(!built)('ledgersync post: errors on the log, as run logs them', () => {
  it('an unset variable is an invalid_configuration error line, as run gives it, then post finished', async () => {
    const post = await runCli(['post', REVREC, '--period', '2024-03', '--log-format', 'json'], env({ DUALENTRY_API_KEY: undefined }));
    expect(post.code).toBe(2);
    const { error, finished } = ending(post.stderr, 'post');
    expect(error, post.stderr).toMatchObject({ scope: 'ledgersync:post', code: 'invalid_configuration', kind: 'config' });
    expect(String(error?.['message'])).toMatch(/DUALENTRY_API_KEY is not set/);
    expect(finished).toMatchObject({ scope: 'ledgersync:post', exit_code: 2 });
  });

  it('an invalid --period is an error line with code, kind and fix as fields', async () => {
    const post = await runCli(['post', REVREC, '--period', '2024-13', '--log-format', 'json'], env());
    expect(post.code).toBe(2);
    expect(ending(post.stderr, 'post').error).toMatchObject({
      scope: 'ledgersync:post',
      code: 'invalid_arguments',
      kind: 'config',
      fix: expect.stringMatching(/YYYY-MM/),
    });
  });

  it('a pipeline whose sink is not DualEntry is logged as command_not_applicable, not only printed', async () => {
    const post = await runCli(['post', JSONL, '--period', '2024-03', '--log-format', 'json', '--json'], env());
    expect(post.code).toBe(2);
    expect(ending(post.stderr, 'post').error).toMatchObject({
      code: 'command_not_applicable',
      kind: 'config',
      fix: 'give it a pipeline whose sink is dualentry',
    });
    expect(JSON.parse(post.stdout)).toMatchObject({ pipeline: 'chargebee-to-jsonl', run_id: null });
  });

  it('in text logs the error is on stderr too, as run writes it', async () => {
    const post = await runCli(['post', REVREC, '--period', '2024-03'], env({ DUALENTRY_API_KEY: undefined }));
    expect(post.code).toBe(2);
    expect(post.stderr).toMatch(/^ERROR \[ledgersync:post\] .*DUALENTRY_API_KEY is not set/m);
  });

  it('--json names an invalid pipeline by its name, with run_id null, as run --json does', async () => {
    const post = await runCli(['post', REVREC, '--period', '2024-03', '--json'], env({ DUALENTRY_API_KEY: undefined }));
    const run = await runCli(['run', REVREC, '--json'], env({ DUALENTRY_API_KEY: undefined }));
    for (const command of [post, run]) {
      const summary = JSON.parse(command.stdout) as Record<string, unknown>;
      expect(summary).toMatchObject({ status: 'invalid', exit_code: 2, pipeline: 'chargebee-revrec-to-dualentry', run_id: null });
    }
  });

  it('a pipeline loaded in the worker thread (over 256 KB) is named by its name too', async () => {
    const big = join(work.dir, 'big-revrec.yaml');
    writeFileSync(big, readFileSync(REVREC, 'utf8') + `\n${'# padding, as a long lookup table would\n'.repeat(8000)}`);
    const run = await runCli(['run', big, '--json'], env({ DUALENTRY_API_KEY: undefined }));
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'invalid', pipeline: 'chargebee-revrec-to-dualentry', run_id: null });
  });

  it('--json names a file it could not read by its path, as run --json does', async () => {
    const missing = join(work.dir, 'missing.yaml');
    const post = await runCli(['post', missing, '--period', '2024-03', '--json'], env());
    const run = await runCli(['run', missing, '--json'], env());
    expect(JSON.parse(post.stdout)).toMatchObject({ pipeline: missing, run_id: null });
    expect(JSON.parse(run.stdout)).toMatchObject({ pipeline: missing, run_id: null });
  });
});

describe.skipIf(!built)('report, init and every other command: an error that stops them, under their own scope', () => {
  it('report logs its error as ledgersync:report and ends with report finished', async () => {
    const report = await runCli(['report', join(work.dir, 'missing.yaml'), 'mrr', '--log-format', 'json'], env());
    expect(report.code).toBe(2);
    const { error, finished } = ending(report.stderr, 'report');
    expect(error, report.stderr).toMatchObject({ scope: 'ledgersync:report', code: 'invalid_configuration', kind: 'config' });
    expect(finished).toMatchObject({ scope: 'ledgersync:report', command: 'report', exit_code: 2 });
  });

  it('init logs its error as ledgersync:init and ends with init finished; text logs keep the error: line', async () => {
    const args = ['init', 'no spaces allowed', '--target', 'dualentry', '--dir', join(work.dir, 'init')];
    const init = await runCli([...args, '--log-format', 'json'], env());
    expect(init.code).toBe(2);
    const { error, finished } = ending(init.stderr, 'init');
    expect(error, init.stderr).toMatchObject({ scope: 'ledgersync:init', code: 'invalid_customer', kind: 'config' });
    expect(finished).toMatchObject({ scope: 'ledgersync:init', command: 'init', exit_code: 2 });

    const text = await runCli(args, env());
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/^error: customer name "no spaces allowed"/);
  });

  it('state migrate, stopped by a state file that is not there, logs it under ledgersync:migrate and ends with migrate finished', async () => {
    const migrate = await runCli(['state', 'migrate', '--from', join(work.dir, 'absent.db'), '--to', join(work.dir, 'copy.db'), '--log-format', 'json'], env());
    expect(migrate.code).toBe(2);
    const { error, finished } = ending(migrate.stderr, 'migrate');
    expect(error, migrate.stderr).toMatchObject({ scope: 'ledgersync:migrate', code: 'state_unreadable', kind: 'config' });
    expect(finished).toMatchObject({ scope: 'ledgersync:migrate', command: 'migrate', exit_code: 2 });
  });
});

describe.skipIf(!built)('status, unlock and reset: the error that stops them is logged as well as printed', () => {
  it('status on a damaged state file logs state_corrupt under ledgersync:status before its finished line', async () => {
    const damaged = join(work.dir, 'damaged.db');
    writeFileSync(damaged, 'not a database, not at all, just text long enough');
    const status = await runCli(['status', JSONL, '--state', damaged, '--log-format', 'json'], env());
    expect(status.code).toBe(2);
    const { error, finished } = ending(status.stderr, 'status');
    expect(error, status.stderr).toMatchObject({ scope: 'ledgersync:status', code: 'state_corrupt', kind: 'config' });
    expect(finished).toMatchObject({ scope: 'ledgersync:status', exit_code: 2 });
  });

  it('status, unlock and reset of a pipeline that cannot be read log invalid_configuration under their own scope', async () => {
    for (const command of ['status', 'unlock', 'reset']) {
      const stopped = await runCli([command, join(work.dir, 'missing.yaml'), '--log-format', 'json'], env());
      expect(stopped.code).toBe(2);
      expect(ending(stopped.stderr, command).error, stopped.stderr).toMatchObject({ scope: `ledgersync:${command}`, code: 'invalid_configuration' });
    }
  });
});

describe('a connector command whose outcome is an error', () => {
  const registry: ConnectorRegistry = { descriptorsDir: 'test/fixtures/connectors', modules: {} };
  const failing: ConnectorCommand<{ closed: string }> = {
    name: 'close-books',
    description: 'close the books of a period',
    role: 'sink',
    options: [],
    emptyReport: () => ({ closed: '' }),
    run: async () => ({
      status: 'failed',
      report: { closed: '' },
      error: { code: 'unexpected_error', kind: 'transient', message: 'the ledger did not answer', fix: 'run it again' },
    }),
    format: (summary) => ({ lines: [], last: summary.status }),
  };

  it('logs it with its code, kind and fix, as a run logs the error that stopped it', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const summary = await runConnectorCommand({
      connectors: registry,
      connector: 'ledger',
      command: failing,
      pipelinePath: 'test/fixtures/pipelines/valid/full.yaml',
      statePath: join(work.dir, 'outcome-state.db'),
      values: {},
      env: { BILLING_API_KEY: 'bk_test', LEDGER_API_KEY: 'lk_test', LEDGER_COMPANY: 'acme-co' },
      log: createLogger({ json: true, write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }, 'ledgersync:close-books'),
    });
    expect(summary).toMatchObject({ status: 'failed', pipeline: 'full-example' });
    expect(lines.filter((l) => l['level'] === 'error')).toEqual([
      expect.objectContaining({ scope: 'ledgersync:close-books', code: 'unexpected_error', kind: 'transient', fix: 'run it again' }),
    ]);
  });
});
