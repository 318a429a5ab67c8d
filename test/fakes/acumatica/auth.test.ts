/** OAuth 2.0 and cookie sessions of the fake tenant, and the licence's seats, through real HTTP. */
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAcumatica, startFakeAcumatica } from './index.js';
import { AcumaticaTestClient } from './test-client.js';

let fake: FakeAcumatica;
afterEach(async () => fake?.close());

function tokenRequest(form: Record<string, string>): Promise<Response> {
  return fetch(fake.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
}

describe('OAuth 2.0 at /identity/connect/token', () => {
  it('issues tokens for the password grant, rotates the refresh token and refuses the old one', async () => {
    fake = await startFakeAcumatica();
    const client = new AcumaticaTestClient(fake);
    const granted = await client.oauth();
    expect(granted.status).toBe(200);
    expect(granted.json).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'api offline_access' });
    expect(typeof granted.json.refresh_token).toBe('string');
    expect((await client.api('GET', 'Customer')).status).toBe(200);

    const first = client.refreshToken!;
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', client_id: fake.clientId, client_secret: fake.clientSecret, refresh_token: first });
    expect(refreshed.status).toBe(200);
    const body = (await refreshed.json()) as { refresh_token: string; access_token: string };
    expect(body.refresh_token).not.toBe(first);
    expect(fake.state.currentRefreshTokens).toEqual([body.refresh_token]);

    const replayed = await tokenRequest({ grant_type: 'refresh_token', client_id: fake.clientId, client_secret: fake.clientSecret, refresh_token: first });
    expect(replayed.status).toBe(400);
    expect(await replayed.json()).toEqual({ error: 'invalid_grant' });
    // A refresh reuses the grant's session: still one seat.
    expect(fake.state.openSessions).toBe(1);
    expect(fake.state.tokenRequests.map((r) => `${r.grantType}:${r.ok}`)).toEqual(['password:true', 'refresh_token:true', 'refresh_token:false']);
  });

  it('refuses a wrong client, a wrong password, a missing api scope; only offline_access gets a refresh token', async () => {
    fake = await startFakeAcumatica();
    const base = { grant_type: 'password', client_id: fake.clientId, client_secret: fake.clientSecret, username: fake.username, password: fake.password };
    const wrongSecret = await tokenRequest({ ...base, client_secret: 'nope', scope: 'api' });
    expect([wrongSecret.status, await wrongSecret.json()]).toEqual([400, { error: 'invalid_client' }]);
    const wrongPassword = await tokenRequest({ ...base, password: 'nope', scope: 'api' });
    expect([wrongPassword.status, await wrongPassword.json()]).toEqual([400, { error: 'invalid_grant', error_description: 'invalid_username_or_password' }]);
    const noApi = await tokenRequest({ ...base, scope: 'offline_access' });
    expect([noApi.status, await noApi.json()]).toEqual([400, { error: 'invalid_scope' }]);
    const apiOnly = (await (await tokenRequest({ ...base, scope: 'api' })).json()) as Record<string, unknown>;
    expect(apiOnly['refresh_token']).toBeUndefined();
    const withTenant = await tokenRequest({ ...base, username: `${fake.username}@${fake.tenant}`, scope: 'api' });
    expect(withTenant.status).toBe(200);
    const unsupported = await tokenRequest({ ...base, grant_type: 'client_credentials' });
    expect([unsupported.status, await unsupported.json()]).toEqual([400, { error: 'unsupported_grant_type' }]);
  });

  it('answers 401 for an expired or unknown access token, and for no credentials at all', async () => {
    fake = await startFakeAcumatica({ accessTokenTtlSeconds: 60 });
    const client = new AcumaticaTestClient(fake);
    await client.oauth();
    fake.faults.expireAccessTokens();
    const expired = await client.api('GET', 'Customer');
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toMatch(/invalid_token.*expired/);
    expect(expired.json).toEqual({ message: 'You are not logged in.' });
    client.token = 'forged';
    expect((await client.api('GET', 'Customer')).status).toBe(401);
    client.token = undefined;
    expect((await client.api('GET', 'Customer')).status).toBe(401);
  });

  it('a revoked refresh token answers invalid_grant', async () => {
    fake = await startFakeAcumatica();
    const client = new AcumaticaTestClient(fake);
    await client.oauth();
    fake.faults.revokeRefreshTokens();
    const refreshed = await tokenRequest({
      grant_type: 'refresh_token',
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
      refresh_token: client.refreshToken!,
    });
    expect([refreshed.status, await refreshed.json()]).toEqual([400, { error: 'invalid_grant' }]);
  });
});

describe('cookie sessions at /entity/auth/login and /entity/auth/logout', () => {
  it('login sets the session cookie (204), the cookie authenticates API calls, logout ends the session', async () => {
    fake = await startFakeAcumatica();
    const client = new AcumaticaTestClient(fake);
    const login = await client.login();
    expect(login.status).toBe(204);
    expect(client.cookies.has('.ASPXAUTH')).toBe(true);
    expect(fake.state.sessions).toMatchObject([{ kind: 'cookie', user: fake.username, tenant: fake.tenant }]);
    expect((await client.api('GET', 'Customer')).status).toBe(200);
    expect((await client.logout()).status).toBe(204);
    expect(fake.state.openSessions).toBe(0);
    expect(fake.state.sessionsClosed).toBe(1);
    expect((await client.api('GET', 'Customer')).status).toBe(401);
  });

  it('accepts the legacy "company" member and form-encoded credentials; refuses wrong credentials without a session', async () => {
    fake = await startFakeAcumatica();
    const legacy = new AcumaticaTestClient(fake);
    expect((await legacy.login({ name: fake.username, password: fake.password, company: fake.tenant })).status).toBe(204);
    const form = new AcumaticaTestClient(fake);
    expect((await form.raw('POST', `${fake.url}/entity/auth/login`, { form: { name: fake.username, password: fake.password } })).status).toBe(204);
    await legacy.logout();
    await form.logout();
    const wrong = await new AcumaticaTestClient(fake).login({ name: fake.username, password: 'wrong', company: fake.tenant });
    expect(wrong.status).toBe(500);
    expect(wrong.json).toEqual({
      message: 'An error has occurred.',
      exceptionMessage: 'Invalid credentials. Please try again.',
      exceptionType: 'PX.Data.PXException',
    });
    expect(fake.state.openSessions).toBe(0);
  });

  it('a multi-tenant instance needs the tenant named, and refuses an unknown one', async () => {
    fake = await startFakeAcumatica({ tenants: ['Company', 'Sandbox'] });
    const client = new AcumaticaTestClient(fake);
    const unnamed = await client.login({ name: fake.username, password: fake.password });
    expect(unnamed.status).toBe(500);
    expect(unnamed.json.exceptionMessage).toMatch(/company ID cannot be determined/);
    expect((await client.login({ name: fake.username, password: fake.password, tenant: 'Nope' })).status).toBe(500);
    expect((await client.login({ name: fake.username, password: fake.password, tenant: 'sandbox' })).status).toBe(204);
    expect(fake.state.sessions[0]!.tenant).toBe('Sandbox');
  });
});

describe('licence seats ("Maximum Number of Web Services API Users")', () => {
  it('a session never logged out blocks the next login with API Login Limit until it is logged out', async () => {
    fake = await startFakeAcumatica({ licence: { maxApiUsers: 1 } });
    const leaky = new AcumaticaTestClient(fake);
    expect((await leaky.login()).status).toBe(204);
    const next = new AcumaticaTestClient(fake);
    const refused = await next.login();
    expect(refused.status).toBe(500);
    expect(refused.json).toEqual({ message: 'An error has occurred.', exceptionMessage: 'API Login Limit', exceptionType: 'PX.Data.PXException' });
    expect(fake.state.loginRefusals).toBe(1);
    const oauthRefused = await new AcumaticaTestClient(fake).oauth();
    expect([oauthRefused.status, oauthRefused.json]).toEqual([400, { error: 'invalid_grant', error_description: 'API Login Limit' }]);
    await leaky.logout();
    expect((await next.login()).status).toBe(204);
    expect(fake.state.openSessions).toBe(1);
  });

  it('OAuth grants hold a seat too; logout with the bearer token frees it; a session timeout frees every seat', async () => {
    fake = await startFakeAcumatica({ licence: { maxApiUsers: 2 } });
    const a = new AcumaticaTestClient(fake);
    const b = new AcumaticaTestClient(fake);
    await a.oauth();
    await b.login();
    expect(fake.state.openSessions).toBe(2);
    expect((await new AcumaticaTestClient(fake).login()).status).toBe(500);
    expect((await a.logout()).status).toBe(204);
    expect(fake.state.openSessions).toBe(1);
    expect((await a.api('GET', 'Customer')).status).toBe(401);
    fake.faults.expireSessions();
    expect(fake.state.openSessions).toBe(0);
    expect((await b.api('GET', 'Customer')).status).toBe(401);
    expect(fake.state.sessionsClosed).toBe(1);
  });

  it('signing in again on a live session reuses it instead of taking another seat', async () => {
    fake = await startFakeAcumatica({ licence: { maxApiUsers: 1 } });
    const client = new AcumaticaTestClient(fake);
    await client.login();
    expect((await client.login()).status).toBe(204);
    expect(fake.state.openSessions).toBe(1);
  });

  it('an idle session times out after the configured minutes and frees its seat', async () => {
    let clock = Date.UTC(2026, 0, 1);
    fake = await startFakeAcumatica({ licence: { maxApiUsers: 1 }, sessionIdleTimeoutMinutes: 20, now: () => clock });
    await new AcumaticaTestClient(fake).login();
    expect((await new AcumaticaTestClient(fake).login()).status).toBe(500);
    clock += 20 * 60_000;
    expect((await new AcumaticaTestClient(fake).login()).status).toBe(204);
  });
});
