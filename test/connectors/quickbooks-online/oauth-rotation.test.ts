/**
 * Intuit's rotating refresh token when the token endpoint's answer is lost (a 503 after Intuit
 * rotated it, a reset, garbage): the redemption is recorded first, the same token is redeemed again,
 * and when Intuit no longer honours it every run says exactly what happened and to reconnect.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import { createConnection } from '../../../engine/http/connection.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { exitCodeFor } from '../../../engine/exit-codes.js';
import { startFakeQbo, type FakeQbo, type FakeQboOptions } from '../../fakes/qbo/index.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { factoryInput, sinkContext } from './harness.js';
import { startSandbox } from './e2e-harness.js';

let fake: FakeQbo | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await fake?.close();
  proxy = undefined;
  fake = undefined;
});

async function start(options: FakeQboOptions): Promise<{ fake: FakeQbo; proxy: FaultProxy }> {
  fake = await startFakeQbo(options);
  proxy = await startFaultProxy(fake.url);
  return { fake, proxy };
}

const tokenPath = /\/oauth2\/v1\/tokens\/bearer/;

/** A sink whose token requests go through the proxy, without real backoff waits; `secrets` is the run's sealed store. */
async function openSink(secrets: Map<string, string>, connection: Record<string, unknown> = {}): Promise<LedgersyncError | undefined> {
  const input = {
    ...factoryInput(fake!, { token_url: `${proxy!.url}/oauth2/v1/tokens/bearer`, ...connection }),
    http: { connect: (o: Parameters<typeof createConnection>[0]) => createConnection(o, { sleep: async () => {}, random: () => 0 }) },
  };
  const sink = connector.createSink!(input);
  try {
    await sink.open!(sinkContext(secrets));
    return undefined;
  } catch (error) {
    if (error instanceof LedgersyncError) return error;
    throw error;
  }
}

describe('a refresh whose answer is lost', () => {
  it('is redeemed again at once: while Intuit honours the previous token (its OAuth docs: 24 hours), the company stays connected with the newest token', async () => {
    const { fake, proxy } = await start({ rotatedTokenGraceSeconds: 86_400 });
    proxy.inject({ method: 'POST', path: tokenPath, fault: { kind: 'status', status: 503 } });
    const secrets = new Map<string, string>();
    expect(await openSink(secrets)).toBeUndefined();
    expect(fake.state.tokenRequests.map((t) => t.ok)).toEqual([true, true]);
    expect(secrets.get('qbo_refresh_token')).toBe(fake.state.currentRefreshToken);
    expect(secrets.get('qbo_refresh_attempt')).toBe('');
  });

  it('when Intuit refused the previous token at once, says so and to reconnect, on this run and on every later one until reconnected', async () => {
    const { fake, proxy } = await start({ rotatedTokenGraceSeconds: 0 });
    proxy.inject({ method: 'POST', path: tokenPath, fault: { kind: 'reset-after' } });
    const secrets = new Map<string, string>();
    const first = await openSink(secrets);
    expect(first).toMatchObject({ code: 'qbo_refresh_answer_lost', kind: 'auth' });
    expect(first!.message).toMatch(
      /^Intuit refused the refresh token \(invalid_grant\) after the answer to its redemption at \d{4}-\d\d-\d\dT[\d:.]+Z was lost \(Intuit OAuth: POST http:\/\/127\.0\.0\.1:\d+ failed: .*\): Intuit had rotated the refresh token then, and the new one never reached ledgersync$/,
    );
    expect(first!.fix).toMatch(/reconnect the QuickBooks company .* QBO_REFRESH_TOKEN/);
    expect(exitCodeFor({ error: first! })).toBe(3);
    const second = await openSink(secrets);
    expect(second).toMatchObject({ code: 'qbo_refresh_answer_lost', message: first!.message });
    expect(JSON.stringify([first!.toJSON(), second!.toJSON()])).not.toContain(fake.refreshToken);

    // Reconnected: the consultant sets the refresh token the new consent gave.
    expect(await openSink(secrets, { refresh_token: fake.state.currentRefreshToken })).toBeUndefined();
    expect(secrets.get('qbo_refresh_attempt')).toBe('');
  });

  it('with the token endpoint failing for the whole run: transient (exit 3), the attempt kept for the next run, which redeems the same token', async () => {
    const { fake, proxy } = await start({ rotatedTokenGraceSeconds: 86_400 });
    proxy.inject({ method: 'POST', path: tokenPath, times: Infinity, fault: { kind: 'html-200' } });
    const secrets = new Map<string, string>();
    const down = await openSink(secrets);
    expect(down).toMatchObject({ code: 'qbo_token_unavailable', kind: 'transient' });
    expect(down!.message).toMatch(/tried again with the same token on the next run/);
    expect(JSON.parse(secrets.get('qbo_refresh_attempt')!)).toMatchObject({ lost: { reason: expect.stringMatching(/an HTML page/) } });
    proxy.clear();
    expect(await openSink(secrets)).toBeUndefined();
    expect(secrets.get('qbo_refresh_token')).toBe(fake.state.currentRefreshToken);
  });
});

describe('a run whose token answer is lost', () => {
  it('exits 3 with the message that says what happened, and the next run says it again', async () => {
    const s = await startSandbox({}, { rotatedTokenGraceSeconds: 0 });
    const tokenProxy = await startFaultProxy(s.qbo.url);
    try {
      s.env['QBO_TOKEN_URL'] = `${tokenProxy.url}/oauth2/v1/tokens/bearer`;
      tokenProxy.inject({ method: 'POST', path: tokenPath, fault: { kind: 'status', status: 502 } });
      const first = await s.run();
      expect(first).toMatchObject({ exitCode: 3, error: { code: 'qbo_refresh_answer_lost' } });
      const second = await s.run();
      expect(second).toMatchObject({ exitCode: 3, error: { code: 'qbo_refresh_answer_lost', message: first.error!.message } });
      expect(s.qbo.state.entities('Invoice')).toHaveLength(0);
    } finally {
      await tokenProxy.close();
      await s.close();
    }
  }, 60_000);
});
