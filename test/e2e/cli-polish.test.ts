/**
 * The CLI's own manners: a version, help with examples and exit codes, one-line refusals that
 * name the valid choices (exit 2), and a repeatable --stream that never takes the pipeline.
 */
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { CLI, JSONL_PIPELINE, ROOT, chargebeeEnv, tempDir, runCli } from './helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));

const cli = (args: string[], env?: Record<string, string | undefined>) => runCli(args, env);

describe.skipIf(!built)('the CLI', () => {
  it('--version prints the installed version', async () => {
    const { code, stdout } = await cli(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('--help shows examples and the exit codes with what a scheduler should do', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Examples:\n  $ ledgersync validate "pipelines/**/*.yaml"');
    expect(stdout).toMatch(/^ {2}1 {2}finished, but some records failed .* {2}alert a person; the next run retries them$/m);
    expect(stdout).toMatch(/^ {2}4 {2}another run of the same pipeline holds the lock .* {2}skip this tick$/m);
  });

  it('an unknown command is exit 2 with the commands named', async () => {
    const { code, stderr } = await cli(['stauts', JSONL_PIPELINE]);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(
      "error: unknown command 'stauts' (did you mean 'status'?); the commands are: validate, run, status, reset, test, init, plan, show, check, serve, audit, replay, unlock, state, schedule, unschedule, enqueue, worker, workers, report, post",
    );
  });

  it('a missing argument or a bad choice is one line, without the whole help after it', async () => {
    const missing = await cli(['status']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("error: missing required argument 'pipeline'\n");
    const choice = await cli(['validate', '--format', 'xml', 'p.yaml']);
    expect(choice.code).toBe(2);
    expect(choice.stderr).toBe("error: option '--format <format>' argument 'xml' is invalid. Allowed choices are text, json.\n");
  });

  it('a --limit that is not a number is exit 2 saying what it expects', async () => {
    const { code, stderr } = await cli(['status', JSONL_PIPELINE, '--limit', 'ten']);
    expect(code).toBe(2);
    expect(stderr).toContain("expected a whole number from 1, not 'ten'");
  });

  it('a directory where a file is written or read is a one-line error, not EISDIR', async () => {
    const work = tempDir();
    try {
      const junit = await cli(['test', JSONL_PIPELINE, 'pipelines/examples/chargebee-to-jsonl.cases.yaml', '--format', 'junit', '--out', work.dir]);
      expect(junit.code).toBe(2);
      expect(junit.stderr).toBe(`error: cannot write the JUnit report to ${work.dir}: it is a directory; give a file path such as reports/mappings.xml\n`);
      const run = await cli(['run', 'pipelines/examples']);
      expect(run.code).toBe(2);
      expect(run.stdout.split('\n')[0]).toMatch(/pipelines\/examples:1:1: cannot read .*pipelines\/examples: it is a directory/);
      expect(run.stdout + run.stderr).not.toContain('EISDIR');
    } finally {
      work.cleanup();
    }
  });

  it('a reader that stops early (| head) ends the output, not the command: its own exit code, no EPIPE stack trace', async () => {
    const pipeline = join(ROOT, 'pipelines/examples/chargebee-to-acumatica.yaml');
    const child = spawn(process.execPath, [CLI, 'test', pipeline, pipeline.replace(/\.yaml$/, '.cases.yaml'), '--show-output'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Like `head -1`: the first chunk read, the pipe closed.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(code).toBe(0);
  });

  /** The CLI with stdout or stderr on /dev/full (a full disk): its exit code and what the other stream got. */
  function withFull(args: string[], full: 'stdout' | 'stderr', env: Record<string, string | undefined> = { PATH: process.env['PATH'] }) {
    const device = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', full === 'stdout' ? device : 'pipe', full === 'stderr' ? device : 'pipe'],
    });
    let other = '';
    (full === 'stdout' ? child.stderr : child.stdout)!.on('data', (d: Buffer) => (other += d.toString()));
    return new Promise<{ code: number | null; other: string }>((resolve) =>
      child.on('exit', (code) => {
        closeSync(device);
        resolve({ code, other });
      }),
    );
  }

  it('output that cannot be written is exit 2 saying so, never 1 ("records failed") with a stack trace', async () => {
    const { code, other } = await withFull(['validate', JSONL_PIPELINE, '--format', 'json'], 'stdout');
    expect(code).toBe(2);
    expect(other).toMatch(/^error: ledgersync could not write its output to stdout \(ENOSPC\)/m);
  });

  it('installed without its build (a git URL under --ignore-scripts) says so and how to install it, exit 2, no stack trace', async () => {
    const work = tempDir();
    try {
      mkdirSync(join(work.dir, 'bin'));
      copyFileSync(join(ROOT, 'bin/ledgersync.js'), join(work.dir, 'bin/ledgersync.js'));
      const child = spawn(process.execPath, [join(work.dir, 'bin/ledgersync.js'), '--version'], { env: { PATH: process.env['PATH'] } });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(2);
      expect(stderr).toMatch(/^error: ledgersync is installed without its build \(dist\/ is missing\)\. Fix: install it from a tarball/);
      expect(stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|at /);
    } finally {
      work.cleanup();
    }
  });

  describe('against the fake Chargebee', () => {
    let fake: FakeChargebee;
    let work: ReturnType<typeof tempDir>;
    beforeEach(async () => {
      fake = await startFakeChargebee({ customers: 12 });
      work = tempDir();
    });
    afterEach(async () => {
      await fake.close();
      work.cleanup();
    });

    it('a log that cannot be written (stderr on a full disk) does not stop the run: exit 0 and its summary', async () => {
      const env = { ...chargebeeEnv(fake, join(work.dir, 'out')), LEDGERSYNC_STATE: join(work.dir, 'state.db') };
      const { code, other } = await withFull(['run', JSONL_PIPELINE], 'stderr', env);
      expect(code).toBe(0);
      expect(other).toMatch(/^success \(run \S+\), exit 0$/m);
      const status = await cli(['status', JSONL_PIPELINE, '--json'], env);
      expect(JSON.parse(status.stdout).runs[0]).toMatchObject({ status: 'success' });
    });

    it('--stream before the pipeline keeps the pipeline; repeated or comma-separated names all count', async () => {
      const env = { ...chargebeeEnv(fake, join(work.dir, 'out')), LEDGERSYNC_STATE: join(work.dir, 'state.db') };
      const one = await cli(['run', '--stream', 'customers', JSONL_PIPELINE, '--json'], env);
      expect(one.code, one.stdout + one.stderr).toBe(0);
      expect(Object.keys((JSON.parse(one.stdout) as { streams: object }).streams)).toEqual(['customers']);
      const two = await cli(['run', '--stream', 'invoices,credit_notes', '--stream', 'customers', JSONL_PIPELINE, '--json'], env);
      expect(Object.keys((JSON.parse(two.stdout) as { streams: object }).streams)).toEqual(['customers', 'invoices', 'credit_notes']);
    });

    it('an unknown stream is exit 2 naming the streams, for run, status and reset', async () => {
      const env = { ...chargebeeEnv(fake, join(work.dir, 'out')), LEDGERSYNC_STATE: join(work.dir, 'state.db') };
      const run = await cli(['run', JSONL_PIPELINE, '--stream', 'invoice', '--json'], env);
      expect(run.code).toBe(2);
      expect((JSON.parse(run.stdout) as { error: { fix: string } }).error.fix).toBe('use one of: customers, invoices, credit_notes, transactions');
      // The reason is on stderr too, where a scheduler's log collector reads it, with its code and fix in a JSON log.
      expect(run.stderr).toContain("pipeline chargebee-to-jsonl has no stream 'invoice'");
      const logged = await cli(['run', JSONL_PIPELINE, '--stream', 'invoice', '--log-format', 'json'], env);
      const line = logged.stderr
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l['code'] === 'unknown_stream');
      expect(line).toMatchObject({ level: 'error', kind: 'config', fix: 'use one of: customers, invoices, credit_notes, transactions' });
      for (const command of ['status', 'reset']) {
        const result = await cli([command, JSONL_PIPELINE, '--stream', 'invoice'], env);
        expect(result.code, command).toBe(2);
        expect(result.stdout, command).toBe(
          "error: pipeline chargebee-to-jsonl has no stream 'invoice' Fix: use one of: customers, invoices, credit_notes, transactions\n",
        );
      }
    });

    it('--json answers in JSON on stdout whatever stops status, show and unlock: an unknown stream, an invalid pipeline, a damaged state', async () => {
      const env = { ...chargebeeEnv(fake, join(work.dir, 'out')), LEDGERSYNC_STATE: join(work.dir, 'state.db') };
      const unknown = await cli(['status', JSONL_PIPELINE, '--stream', 'invoice', '--json'], env);
      expect([unknown.code, JSON.parse(unknown.stdout)]).toEqual([
        2,
        {
          pipeline: 'chargebee-to-jsonl',
          error: { code: 'unknown_stream', kind: 'config', message: "pipeline chargebee-to-jsonl has no stream 'invoice'", fix: expect.any(String) },
        },
      ]);
      const broken = join(ROOT, 'test/fixtures/pipelines/broken/unknown-endpoint.yaml');
      for (const args of [
        ['status', broken],
        ['unlock', broken],
        ['show', broken, 'inv_1'],
      ]) {
        const invalid = await cli([...args, '--json'], env);
        expect(invalid.code, args[0]).toBe(2);
        expect(JSON.parse(invalid.stdout), args[0]).toMatchObject({
          error: { code: 'invalid_configuration', message: expect.stringContaining("unknown endpoint 'invoice'") },
        });
      }
      writeFileSync(join(work.dir, 'damaged.db'), 'not a database');
      for (const args of [
        ['show', JSONL_PIPELINE, 'inv_1'],
        ['unlock', JSONL_PIPELINE],
        ['status', JSONL_PIPELINE],
      ]) {
        const damaged = await cli([...args, '--json', '--state', join(work.dir, 'damaged.db')], env);
        expect(damaged.code, args[0]).toBe(2);
        expect(JSON.parse(damaged.stdout), args[0]).toMatchObject({ error: { code: 'state_corrupt', kind: 'config' } });
      }
    });
  });
});

describe.skipIf(!built)('a --json answer read through a pipe, as a scheduler reads it', () => {
  it('reaches a reader that starts late whole: the CLI exits only once stdout is written out', async () => {
    const fake = await startFakeChargebee({ customers: 300 });
    const work = tempDir();
    try {
      const env = { ...chargebeeEnv(fake, join(work.dir, 'out')), LEDGERSYNC_STATE: join(work.dir, 'state.db') };
      // Far more than a pipe holds (64 KiB); the reader starts a second late (a busy scheduler, a log shipper).
      const script = `set -o pipefail; "${process.execPath}" "${CLI}" plan "${JSONL_PIPELINE}" --json 2>/dev/null | (sleep 1; cat)`;
      const child = spawn('bash', ['-c', script], { env });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(0);
      expect(stdout.length).toBeGreaterThan(65_536);
      expect((JSON.parse(stdout) as { exit_code: number }).exit_code).toBe(0);
    } finally {
      await fake.close();
      work.cleanup();
    }
  }, 60_000);
});
