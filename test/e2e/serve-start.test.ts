/**
 * `ledgersync serve` refuses to start, with exit 2 and what to fix, when it could not serve safely:
 * no secret, a source that sends no webhooks, two pipelines answering at one URL, a port in use.
 * Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, ROOT, tempDir } from './helpers.js';

const JSONL = join(ROOT, 'pipelines/examples/chargebee-to-jsonl.yaml');
const INTACCT_TO_CHARGEBEE = join(ROOT, 'pipelines/examples/intacct-payments-to-chargebee.yaml');

let work: ReturnType<typeof tempDir>;
beforeEach(() => {
  work = tempDir();
});
afterEach(() => work.cleanup());

const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env['PATH'] ?? '',
  CHARGEBEE_SITE: 'acme-test',
  CHARGEBEE_API_KEY: 'test_key_for_start_checks',
  INTACCT_SENDER_ID: 's',
  INTACCT_SENDER_PASSWORD: 'sender-password-1',
  INTACCT_COMPANY_ID: 'c',
  INTACCT_USER_ID: 'u',
  INTACCT_USER_PASSWORD: 'user-password-1',
  LEDGERSYNC_WEBHOOK_SECRET: 'a-webhook-secret-for-tests',
  ...extra,
});

function serve(args: string[], environment: Record<string, string> = env()): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'serve', ...args, '--state', join(work.dir, 'state.db')], {
      env: environment,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('ledgersync serve refuses to start', () => {
  it('without LEDGERSYNC_WEBHOOK_SECRET, or with a short one', async () => {
    const { LEDGERSYNC_WEBHOOK_SECRET: _unset, ...withoutSecret } = env();
    const missing = await serve([JSONL, '--port', '0'], withoutSecret);
    expect(missing.code).toBe(2);
    expect(missing.out).toMatch(/LEDGERSYNC_WEBHOOK_SECRET is not set: ledgersync serve accepts no webhook without it Fix: set LEDGERSYNC_WEBHOOK_SECRET/);
    const short = await serve([JSONL, '--port', '0'], env({ LEDGERSYNC_WEBHOOK_SECRET: 'tooshort' }));
    expect(short.code).toBe(2);
    expect(short.out).toMatch(/shorter than 16 characters/);
    expect(short.out).not.toContain('tooshort');
  });

  it('for a pipeline whose source sends no webhooks', async () => {
    const result = await serve([INTACCT_TO_CHARGEBEE, '--port', '0']);
    expect(result.code).toBe(2);
    expect(result.out).toMatch(/pipeline intacct-payments-to-chargebee reads from sage-intacct, which sends no webhooks ledgersync can take/);
  });

  it('for two pipelines with one name, and for an invalid pipeline, naming the file', async () => {
    const twice = await serve([JSONL, JSONL, '--port', '0']);
    expect(twice.code).toBe(2);
    expect(twice.out).toMatch(/are both named 'chargebee-to-jsonl'/);
    const { CHARGEBEE_API_KEY: _unset, ...withoutKey } = env();
    const invalid = await serve([JSONL, '--port', '0'], withoutKey);
    expect(invalid.code).toBe(2);
    expect(invalid.out).toMatch(/chargebee-to-jsonl\.yaml:\d+:\d+: .*CHARGEBEE_API_KEY/);
  });

  it('on a port another process holds, and on a port that is no port', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const taken = await serve([JSONL, '--port', String(port)]);
      expect(taken.code).toBe(2);
      expect(taken.out).toMatch(new RegExp(`cannot listen on 127.0.0.1:${port}: EADDRINUSE Fix: another process uses the port`));
    } finally {
      blocker.close();
    }
    const bad = await serve([JSONL, '--port', 'http']);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/--port must be a whole number from 0 to 65535, not 'http'/);
  });
});
