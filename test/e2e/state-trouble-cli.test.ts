/**
 * Every command that opens state, given a state file it cannot use: one line naming the file and the
 * fix (no stack trace), exit 2, and with --json the command's JSON object, carrying the error.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../engine/state/store.js';
import { CLI, JSONL_PIPELINE, ROOT, tempDir } from './helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));
const REVREC = join(ROOT, 'pipelines/examples/chargebee-revrec-to-dualentry.yaml');
/** Root writes to read-only files: the read-only case runs the CLI as an unprivileged user. */
const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

function cli(
  args: string[],
  env: Record<string, string>,
  user: { uid?: number; gid?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...user,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let work: ReturnType<typeof tempDir>;
let env: Record<string, string>;
beforeEach(() => {
  work = tempDir('ledgersync-state-trouble-');
  env = {
    CHARGEBEE_SITE: 'acme-test',
    CHARGEBEE_API_KEY: 'test_key_123',
    CHARGEBEE_BASE_URL: 'http://127.0.0.1:9',
    DUALENTRY_API_KEY: 'de_key_123',
    DUALENTRY_COMPANY_ID: '4242',
    DUALENTRY_BASE_URL: 'http://127.0.0.1:9',
    LEDGERSYNC_OUT: join(work.dir, 'out'),
  };
});
afterEach(() => {
  chmodSync(work.dir, 0o755);
  work.cleanup();
});

const noStack = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe.skipIf(!built)('commands given a state file they cannot use', () => {
  it('a file that is not a database: run, status, reset and post say so in one line, exit 2, and --json prints the object', async () => {
    const state = join(work.dir, 'state.db');
    writeFileSync(state, 'garbage that is no database\n'.repeat(100));
    const message = `the state file ${state} is not a ledgersync state file or is damaged (file is not a database)`;

    const runJson = await cli(['run', JSONL_PIPELINE, '--state', state, '--json'], env);
    expect(runJson.code).toBe(2);
    expect(JSON.parse(runJson.stdout)).toMatchObject({
      status: 'failed',
      exit_code: 2,
      pipeline: 'chargebee-to-jsonl',
      error: { code: 'state_corrupt', message },
    });

    const runText = await cli(['run', JSONL_PIPELINE, '--state', state], env);
    expect(runText.code).toBe(2);
    expect(runText.stdout).toContain(`error: ${message}\nfix: restore it and its -wal file from a backup`);
    noStack(runText.stdout + runText.stderr);

    const status = await cli(['status', JSONL_PIPELINE, '--state', state, '--json'], env);
    expect(status.code).toBe(2);
    expect(JSON.parse(status.stdout)).toMatchObject({ pipeline: 'chargebee-to-jsonl', error: { code: 'state_corrupt', message } });

    const reset = await cli(['reset', JSONL_PIPELINE, '--state', state], env);
    expect(reset.code).toBe(2);
    expect(reset.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^error: ${message.replace(/[()]/g, '\\$&')} Fix: restore it`))]);

    const post = await cli(['post', REVREC, '--period', '2025-03', '--state', state, '--json'], env);
    expect(post.code).toBe(2);
    expect(JSON.parse(post.stdout)).toMatchObject({ status: 'failed', exit_code: 2, error: { code: 'state_corrupt', message } });
  });

  it('a state file written by a newer ledgersync, or with a damaged write-ahead log, is refused the same way', async () => {
    const state = join(work.dir, 'state.db');
    StateStore.open(state).close();
    const db = new Database(state);
    db.pragma('user_version = 999');
    db.close();
    const newer = await cli(['run', JSONL_PIPELINE, '--state', state, '--json'], env);
    expect(newer.code).toBe(2);
    expect(JSON.parse(newer.stdout).error).toMatchObject({ code: 'state_too_new', fix: expect.stringMatching(/upgrade/) });

    const other = join(work.dir, 'other.db');
    StateStore.open(other).close();
    writeFileSync(`${other}-wal`, Buffer.alloc(1024, 7));
    const wal = await cli(['status', JSONL_PIPELINE, '--state', other], env);
    expect(wal.code).toBe(2);
    expect(wal.stdout).toMatch(/^error: the write-ahead log of the state file .*other\.db is damaged: .*\nfix: /);
  });

  it('state migrate from a path with no state file: exit 2 naming it, and no empty file created there', async () => {
    const missing = join(work.dir, 'typo.db');
    const migrate = await cli(['state', 'migrate', '--from', missing, '--to', join(work.dir, 'copy.db')], env);
    expect(migrate.code, migrate.stdout + migrate.stderr).toBe(2);
    expect(migrate.stderr).toMatch(/--from .*typo\.db: there is no state file there/);
    noStack(migrate.stderr);
    expect(existsSync(missing)).toBe(false);
  });

  it('a read-only state file: state_read_only, naming the file and what to give write access to', async () => {
    const state = join(work.dir, 'state.db');
    StateStore.open(state).close();
    chmodSync(state, 0o444);
    chmodSync(work.dir, 0o555);
    const run = await cli(['run', JSONL_PIPELINE, '--state', state, '--json'], env, asNobody);
    expect(run.code, run.stderr).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'failed',
      exit_code: 2,
      error: {
        code: 'state_read_only',
        message: expect.stringContaining(`the state file ${state} cannot be written`),
        fix: expect.stringMatching(/write access/),
      },
    });
  });
});
