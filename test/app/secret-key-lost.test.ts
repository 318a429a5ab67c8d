/**
 * A lost LEDGERSYNC_SECRET_KEY has a way out, and a wrong one loses nothing. The state keeps, beside
 * a connector's encrypted tokens, the digest of the configured refresh token they descend from:
 * undecryptable tokens of another refresh token than the configured one (the company was reconnected)
 * are discarded with a warning; under the same one they are kept and the run refused. Tokens stored
 * before that digest was kept are forgotten by `ledgersync reset <pipeline> --forget-tokens`.
 */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installedConnectors } from '../../app/registry.js';
import { createLogger } from '../../engine/log.js';
import { forgetStoredTokens } from '../../engine/run/forget-tokens.js';
import { StateStore } from '../../engine/state/store.js';
import { startSandbox, type Sandbox } from '../connectors/quickbooks-online/e2e-harness.js';

const PIPELINE = 'chargebee-to-quickbooks';
const SCOPE = 'quickbooks-online';
const NEW_KEY = 'a-brand-new-secret-key-0123456789';

let sandbox: Sandbox;
let stderr: string;
beforeEach(async () => {
  sandbox = await startSandbox();
  stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await sandbox.close();
});

function withState<T>(fn: (state: StateStore) => T): T {
  const state = StateStore.open(sandbox.statePath);
  try {
    return fn(state);
  } finally {
    state.close();
  }
}

const secretCount = () =>
  withState((state) => (state.driver.prepare('SELECT COUNT(*) AS n FROM secrets WHERE pipeline = ? AND scope = ?').get(PIPELINE, SCOPE) as { n: number }).n);

/** The first run stores the rotated token; the key is then lost and the company reconnected (a new refresh token). */
async function loseKeyAndReconnect(): Promise<Record<string, string>> {
  expect((await sandbox.run()).exitCode).toBe(0);
  const reconnected = sandbox.qbo.state.currentRefreshToken;
  expect(reconnected).not.toBe(sandbox.env['QBO_REFRESH_TOKEN']);
  return { ...sandbox.env, LEDGERSYNC_SECRET_KEY: NEW_KEY, QBO_REFRESH_TOKEN: reconnected };
}

async function forget(secretKey: string | undefined): Promise<{ code: number; out: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const code = await forgetStoredTokens({ connectors: installedConnectors, pipelinePath: sandbox.pipelinePath, statePath: sandbox.statePath, out, secretKey });
  return { code, out: text };
}

describe('a lost LEDGERSYNC_SECRET_KEY', () => {
  it('the company reconnected: the undecryptable tokens are discarded with a warning, and the run starts from the new refresh token', async () => {
    const env = await loseKeyAndReconnect();
    const before = secretCount();
    expect(before).toBeGreaterThan(0);

    // The run's own log (stderr here) carries the warning.
    const after = await sandbox.run({ env, log: createLogger({}) });

    expect(after.error, JSON.stringify(after.error)).toBeUndefined();
    expect(after.exitCode).toBe(0);
    expect(stderr).toMatch(new RegExp(`the ${before} secret\\(s\\) of QuickBooks Online \\(sink\\) .* were discarded`));
    expect(stderr).not.toContain(env['QBO_REFRESH_TOKEN']!);
    // The chain goes on under the new key.
    const stored = withState((state) => state.secretStore(PIPELINE, SCOPE, NEW_KEY).get('qbo_refresh_token'));
    expect(stored).toBe(sandbox.qbo.state.currentRefreshToken);
  });

  it('a wrong key with the same refresh token configured: refused, every stored token kept, nothing sent to the token endpoint', async () => {
    expect((await sandbox.run()).exitCode).toBe(0);
    const before = secretCount();
    const tokenRequests = sandbox.qbo.state.tokenRequests.length;

    const wrong = await sandbox.run({ env: { ...sandbox.env, LEDGERSYNC_SECRET_KEY: NEW_KEY } });

    expect(wrong.exitCode).toBe(2);
    expect(wrong.error?.code).toBe('secret_undecryptable');
    expect(wrong.error?.fix).toMatch(/reconnect the company and start from its new refresh token: put that token in sink\.refresh_token/);
    expect(secretCount()).toBe(before);
    expect(sandbox.qbo.state.tokenRequests.length).toBe(tokenRequests);
    // The right key still works: nothing was lost.
    expect((await sandbox.run()).exitCode).toBe(0);
  });

  it('tokens stored before the digest was kept: the fix names reset --forget-tokens, which forgets them, and the next run goes through', async () => {
    const env = await loseKeyAndReconnect();
    withState((state) => state.driver.prepare('DELETE FROM kv WHERE pipeline = ? AND scope = ?').run(PIPELINE, `${SCOPE}#secrets`));

    const refused = await sandbox.run({ env });
    expect(refused.error?.code).toBe('secret_undecryptable');
    expect(refused.error?.fix).toContain(`ledgersync reset ${sandbox.pipelinePath} --forget-tokens`);

    const forgotten = await forget(NEW_KEY);
    expect(forgotten.code).toBe(0);
    expect(forgotten.out).toMatch(/forgot the \d+ stored secret\(s\) of quickbooks-online, which cannot be decrypted with this LEDGERSYNC_SECRET_KEY/);
    expect(secretCount()).toBe(0);
    expect(withState((state) => state.recentRuns(PIPELINE)[0])).toMatchObject({ status: 'reset' });

    const after = await sandbox.run({ env });
    expect(after.error, JSON.stringify(after.error)).toBeUndefined();
    expect(after.exitCode).toBe(0);
  });

  it('reset --forget-tokens keeps tokens that decrypt with the current key (they may hold the newest refresh token)', async () => {
    expect((await sandbox.run()).exitCode).toBe(0);
    const before = secretCount();
    const kept = await forget(sandbox.env['LEDGERSYNC_SECRET_KEY']);
    expect(kept.out).toMatch(/the stored secrets of quickbooks-online decrypt with this LEDGERSYNC_SECRET_KEY and are kept/);
    expect(secretCount()).toBe(before);
  });
});
