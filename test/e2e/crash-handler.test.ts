/**
 * The CLI's last-resort handler (an error thrown outside every promise chain): exit 2, the message
 * and the stack masked like every other line, and under `--log-format json` one JSON error line
 * (`unexpected_error`, kind system, a fix) with the stack as a debug line. Before, it wrote
 * `error.stack` to stderr as it was: a registered secret in clear, and plain text among JSON lines.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, JSONL_PIPELINE, ROOT } from './helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));
const PRELOAD = join(ROOT, 'test/e2e/crash-handler-preload.mjs');
const KEY = 'live_crashhandler_Z7kQ2wNp5Rt9';
const dir = mkdtempSync(join(tmpdir(), 'ls-crash-'));
let hanging: Server;
let base = '';

beforeAll(async () => {
  // A Chargebee that never answers: the run is in flight when the throw comes.
  hanging = createServer(() => undefined);
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
});
afterAll(async () => {
  hanging.closeAllConnections();
  await new Promise((resolve) => hanging.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function crash(extra: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', PRELOAD, CLI, 'run', JSONL_PIPELINE, '--state', join(dir, 'state.db'), ...extra], {
    env: {
      PATH: process.env['PATH'] ?? '',
      CHARGEBEE_SITE: 'acme',
      CHARGEBEE_API_KEY: KEY,
      CHARGEBEE_BASE_URL: base,
      LEDGERSYNC_OUT: join(dir, 'out'),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe.skipIf(!built)('an unexpected error in the CLI', () => {
  it('in text: exit 2, the message with a fix, then the stack, the secret masked', async () => {
    const { code, stderr } = await crash([]);
    expect(code).toBe(2);
    expect(stderr).not.toContain(KEY);
    expect(stderr).toContain(
      'error: ledgersync stopped on an unexpected error: socket closed by peer while sending Authorization for *** Fix: report this as a ledgersync bug, with the log of the run at LEDGERSYNC_LOG_LEVEL=debug',
    );
    expect(stderr).toMatch(/\nError: socket closed by peer while sending Authorization for \*\*\*\n\s+at /);
  }, 60_000);

  it('under --log-format json: only JSON lines, an unexpected_error line with its fix, the stack at debug', async () => {
    const { code, stderr } = await crash(['--log-format', 'json'], { LEDGERSYNC_LOG_LEVEL: 'debug' });
    expect(code).toBe(2);
    expect(stderr).not.toContain(KEY);
    const lines = stderr
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const error = lines.find((line) => line['code'] === 'unexpected_error');
    expect(error).toMatchObject({
      level: 'error',
      message: 'ledgersync stopped on an unexpected error: socket closed by peer while sending Authorization for ***',
      kind: 'system',
      exit_code: 2,
    });
    expect(error?.['fix']).toMatch(/LEDGERSYNC_LOG_LEVEL=debug/);
    const stack = lines.find((line) => line['level'] === 'debug' && typeof line['stack'] === 'string');
    expect(stack?.['stack']).toMatch(/^Error: socket closed by peer while sending Authorization for \*\*\*\n\s+at /);
  }, 60_000);
});
