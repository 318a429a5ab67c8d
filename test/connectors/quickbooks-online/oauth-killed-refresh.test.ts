/**
 * A run killed while its refresh-token redemption was in flight (OOM, a deploy, a scheduler's
 * SIGKILL) leaves the attempt on record, neither cleared nor marked lost. When Intuit rotated the
 * token in that request, the next run must say the answer was lost, and when (README, QuickBooks
 * Online, "Intuit's rotation rule, and a lost answer"), not blame another deployment; when another
 * process of the same state file refreshed meanwhile, its token is used and nothing is reported.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import type { SecretStore } from '../../../engine/connector/types.js';
import { createConnection } from '../../../engine/http/connection.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';
import { factoryInput, sinkContext } from './harness.js';

let fake: FakeQbo | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const digest = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 16);

/** What the killed run's request did at Intuit after the process died: the token redeemed (and rotated). */
async function redeemedElsewhere(fake: FakeQbo, refreshToken: string): Promise<string> {
  const res = await fetch(fake.tokenUrl, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { refresh_token: string }).refresh_token;
}

async function openSink(secrets: Map<string, string>, store?: SecretStore): Promise<LedgersyncError | undefined> {
  const sink = connector.createSink!(factoryInput(fake!));
  const ctx = sinkContext(secrets);
  try {
    await sink.open!(store ? { ...ctx, secrets: store } : ctx);
    return undefined;
  } catch (error) {
    if (error instanceof LedgersyncError) return error;
    throw error;
  }
}

describe('a refresh whose run was killed while it was in flight', () => {
  it('when Intuit rotated the token in it: the lost answer, with the time it was sent, on this run and the next', async () => {
    fake = await startFakeQbo({ rotatedTokenGraceSeconds: 0 });
    const killedAt = '2025-03-04T05:06:07.890Z';
    const secrets = new Map([['qbo_refresh_attempt', JSON.stringify({ at: killedAt, token: digest(fake.refreshToken) })]]);
    await redeemedElsewhere(fake, fake.refreshToken);

    const first = await openSink(secrets);
    expect({ code: first?.code, kind: first?.kind }).toEqual({ code: 'qbo_refresh_answer_lost', kind: 'auth' });
    expect(first!.message).toBe(
      `Intuit refused the refresh token (invalid_grant) after the answer to its redemption at ${killedAt} was lost (the process that sent it ended before any answer was recorded): ` +
        'Intuit had rotated the refresh token then, and the new one never reached ledgersync',
    );
    expect(first!.fix).toMatch(/reconnect the QuickBooks company .* QBO_REFRESH_TOKEN/);
    const second = await openSink(secrets);
    expect(second).toMatchObject({ code: 'qbo_refresh_answer_lost', message: first!.message });
  });

  it('when Intuit still honours the token: redeemed again, the connection recovered and the attempt cleared', async () => {
    fake = await startFakeQbo({ rotatedTokenGraceSeconds: 86_400 });
    const secrets = new Map([['qbo_refresh_attempt', JSON.stringify({ at: '2025-03-04T05:06:07.890Z', token: digest(fake.refreshToken) })]]);
    await redeemedElsewhere(fake, fake.refreshToken);
    expect(await openSink(secrets)).toBeUndefined();
    expect(secrets.get('qbo_refresh_token')).toBe(fake.state.currentRefreshToken);
    expect(secrets.get('qbo_refresh_attempt')).toBe('');
  });

  it('an attempt still on record because a `plan` beside this run is redeeming the token: its new token is used, nothing is reported lost', async () => {
    fake = await startFakeQbo({ rotatedTokenGraceSeconds: 0 });
    const secrets = new Map([['qbo_refresh_attempt', JSON.stringify({ at: new Date().toISOString(), token: digest(fake.refreshToken) })]]);
    const rotated = await redeemedElsewhere(fake, fake.refreshToken);
    // The plan's answer arrives while this run's request is in flight: it stores the new token and clears its attempt.
    let planFinished = false;
    const store: SecretStore = {
      get: (name) => secrets.get(name),
      set: (name, value) => {
        secrets.set(name, value);
        if (name === 'qbo_refresh_attempt' && value !== '' && !planFinished) {
          planFinished = true;
          secrets.set('qbo_refresh_token', rotated);
          secrets.set('qbo_refresh_attempt', '');
        }
      },
    };
    expect(await openSink(secrets, store)).toBeUndefined();
    expect(fake.state.tokenRequests.map((t) => t.ok)).toEqual([true, false, true]);
    expect(secrets.get('qbo_refresh_token')).toBe(fake.state.currentRefreshToken);
    expect(secrets.get('qbo_refresh_attempt')).toBe('');
  });

  it('a token request that never left (connection refused) or that Intuit refused leaves nothing on record for the next run to mistake for a killed one', async () => {
    fake = await startFakeQbo({ rotatedTokenGraceSeconds: 0 });
    const secrets = new Map<string, string>();
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const unreachable = connector.createSink!({
      ...factoryInput(fake, { token_url: `http://127.0.0.1:${closedPort}/oauth2/v1/tokens/bearer` }),
      http: { connect: (o) => createConnection(o, { sleep: async () => {}, random: () => 0 }) },
    });
    await expect(unreachable.open!(sinkContext(secrets))).rejects.toMatchObject({ code: 'connection_failed', mayHaveSucceeded: false });
    expect(secrets.get('qbo_refresh_attempt')).toBe('');
    const wrongApp = connector.createSink!(factoryInput(fake, { client_secret: 'wrong' }));
    await expect(wrongApp.open!(sinkContext(secrets))).rejects.toMatchObject({ code: 'qbo_invalid_client' });
    expect(secrets.get('qbo_refresh_attempt')).toBe('');
  });
});
