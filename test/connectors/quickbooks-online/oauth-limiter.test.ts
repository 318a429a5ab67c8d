import { afterEach, describe, expect, it } from 'vitest';
import { quote } from '../../../connectors/quickbooks-online/api.js';
import { IntuitOAuth, REFRESH_TOKEN_SECRET } from '../../../connectors/quickbooks-online/oauth.js';
import { createConnection } from '../../../engine/http/connection.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';

let fake: FakeQbo | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('Intuit OAuth token manager', () => {
  it('refreshes before the access token expires (within the margin), not only after a 401', async () => {
    fake = await startFakeQbo();
    let now = 1_000_000;
    const secrets = new Map<string, string>();
    const oauth = new IntuitOAuth(createConnection({ label: 'Intuit OAuth', baseUrl: fake.tokenUrl }), {
      tokenUrl: fake.tokenUrl,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      configuredRefreshToken: fake.refreshToken,
      refreshMarginSeconds: 300,
      now: () => now,
    });
    oauth.bind({ get: (k) => secrets.get(k), set: (k, v) => void secrets.set(k, v) });
    const first = await oauth.accessToken();
    now += 3000 * 1000;
    expect(await oauth.accessToken()).toBe(first);
    now += 301 * 1000; // 3301 s: inside the 300 s margin of the 3600 s lifetime
    const second = await oauth.accessToken();
    expect(second).not.toBe(first);
    expect(fake.state.tokenRequests.map((t) => t.ok)).toEqual([true, true]);
    expect(secrets.get(REFRESH_TOKEN_SECRET)).toBe(fake.state.currentRefreshToken);
  });

  it('falls back to the configured refresh token when the stored chain was revoked by a reconnect', async () => {
    fake = await startFakeQbo();
    const secrets = new Map<string, string>([[REFRESH_TOKEN_SECRET, 'RT-from-an-old-connection']]);
    const oauth = new IntuitOAuth(createConnection({ label: 'Intuit OAuth', baseUrl: fake.tokenUrl }), {
      tokenUrl: fake.tokenUrl,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      configuredRefreshToken: fake.refreshToken,
      refreshMarginSeconds: 300,
    });
    oauth.bind({ get: (k) => secrets.get(k), set: (k, v) => void secrets.set(k, v) });
    await oauth.accessToken();
    expect(fake.state.tokenRequests.map((t) => t.ok)).toEqual([false, true]);
    expect(secrets.get(REFRESH_TOKEN_SECRET)).toBe(fake.state.currentRefreshToken);
  });
});

describe('QBO query literals', () => {
  it('quotes query literals the way QBO reads them', () => {
    expect(quote("O'Brien \\ Co")).toBe("'O\\'Brien \\\\ Co'");
  });
});
