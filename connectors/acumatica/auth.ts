/**
 * Signing in to an Acumatica tenant and out again. Two ways, both holding one of the licence's API
 * seats until signed out:
 *
 * - OAuth 2.0 against the instance's identity server (`/identity/connect/token`): the
 *   resource-owner password grant with the connected application's client id and secret, scope
 *   `api offline_access`; later runs use the refresh token, which the identity server rotates: the
 *   new one is written to the encrypted secret store the moment it arrives. A refused refresh token
 *   falls back to the password grant.
 * - The legacy cookie session (`/entity/auth/login` with name, password, tenant): its cookies go on
 *   every request.
 *
 * Either way the run ends with `/entity/auth/logout`, also after a failure or a stop, because a
 * session nobody signs out keeps its seat and blocks the next sign-in ("API Login Limit"). When
 * every seat is taken the sign-in waits and tries again a few times.
 */
import { createHash } from 'node:crypto';
import type { SecretStore } from '../../engine/connector/types.js';
import { LedgersyncError } from '../../engine/errors.js';
import type { HttpConnection, HttpResponse } from '../../engine/http/connection.js';
import { type Logger, registerSecret } from '../../engine/log.js';
import { bodyOf, describeAcumaticaError, exceptionOf } from './errors.js';

export interface AuthOptions {
  method: 'oauth2' | 'cookie';
  /** Instance URL, without a trailing slash. */
  instanceUrl: string;
  paths: { token: string; login: string; logout: string };
  tenant: string;
  branch: string;
  username: string;
  password: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  refreshMarginSeconds: number;
  /** Seconds to wait before each new attempt while every seat is taken. */
  loginLimitWaits: readonly number[];
  /** Names the tenant in messages: `Acumatica tenant 'Company' at https://…`. */
  label: string;
  sleep(ms: number): Promise<void>;
  now?: () => number;
}

/**
 * The cookies of a login answer that authenticate (`.ASPXAUTH`, `ASP.NET_SessionId`, an anti-forgery
 * token): their values are secrets. The others (`CompanyID` = the tenant's name, `Locale`,
 * `UserBranch`) are not, and registering them masked the tenant's name in every stored payload,
 * keys included (`CompanyName` became `***Name`).
 */
const AUTHENTICATING_COOKIE = /auth|session|token/i;

/** The secret holding the newest refresh token (read by people and tests under this name). */
export const REFRESH_TOKEN_SECRET = 'acumatica_refresh_token';
/** Which user, client and instance the stored refresh token belongs to: another configuration starts over. */
const REFRESH_TOKEN_OWNER_SECRET = 'acumatica_refresh_token_owner';

export class AcumaticaAuth {
  private secrets: SecretStore | undefined;
  private access: { token: string; expiresAt: number } | undefined;
  private cookies: string | undefined;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;
  /** Token requests and logins made, for tests and figures. */
  signIns = 0;

  constructor(
    private readonly api: HttpConnection,
    private readonly logoutConnection: HttpConnection,
    private readonly options: AuthOptions,
    private readonly log: Logger,
  ) {
    this.now = options.now ?? Date.now;
    for (const secret of [options.password, options.clientSecret, options.clientId]) registerSecret(secret);
  }

  get signedIn(): boolean {
    return this.access !== undefined || this.cookies !== undefined;
  }

  bind(secrets: SecretStore): void {
    this.secrets = secrets;
  }

  /** Puts the session's credentials on a request, signing in first when there is no session. */
  async authorize(headers: Record<string, string>): Promise<void> {
    if (this.options.method === 'oauth2') {
      if (!this.access || this.access.expiresAt - this.options.refreshMarginSeconds * 1000 <= this.now()) await this.signIn();
      headers['authorization'] = `Bearer ${this.access!.token}`;
    } else {
      if (!this.cookies) await this.signIn();
      headers['cookie'] = this.cookies!;
    }
  }

  /** After a 401: the session or token expired; sign in again once for all requests in flight. */
  async renew(): Promise<boolean> {
    if (!this.inflight) {
      this.access = undefined;
      this.cookies = undefined;
    }
    await this.signIn();
    return true;
  }

  /**
   * `withPassword`: the password grant even when a refresh token is stored, so that `ledgersync check`
   * proves the password the pipeline holds (a refresh grant never presents it).
   */
  signIn(options: { withPassword?: boolean } = {}): Promise<void> {
    this.inflight ??= this.withSeat(options.withPassword === true).finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** Signs out (frees the seat); never throws, since it runs on failure paths too. */
  async signOut(): Promise<void> {
    const headers: Record<string, string> = {};
    if (this.access) headers['authorization'] = `Bearer ${this.access.token}`;
    else if (this.cookies) headers['cookie'] = this.cookies;
    else return;
    this.access = undefined;
    this.cookies = undefined;
    try {
      await this.logoutConnection.request({ method: 'POST', path: this.url(this.options.paths.logout), headers, skipAuth: true, idempotent: true });
    } catch (error) {
      this.log.warn(`${this.options.label}: signing out failed (${(error as Error).message}); the session keeps a licence seat until Acumatica times it out`);
    }
  }

  private url(path: string): string {
    return this.options.instanceUrl + path;
  }

  private async withSeat(withPassword: boolean): Promise<void> {
    const waits = this.options.loginLimitWaits;
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.options.method === 'oauth2') await this.token(withPassword);
        else await this.login();
        return;
      } catch (error) {
        if (!(error instanceof LedgersyncError) || error.code !== 'acumatica_login_limit' || attempt >= waits.length) throw error;
        const seconds = waits[attempt]!;
        this.log.warn(`${this.options.label}: every API seat of the licence is taken; signing in again in ${seconds} s`);
        await this.options.sleep(seconds * 1000);
      }
    }
  }

  // ---- cookie session ----

  private async login(): Promise<void> {
    const o = this.options;
    const body: Record<string, string> = { name: o.username, password: o.password };
    if (o.tenant) body['tenant'] = o.tenant;
    if (o.branch) body['branch'] = o.branch;
    const response = await this.api.request({
      method: 'POST',
      path: this.url(o.paths.login),
      json: body,
      skipAuth: true,
      idempotent: false,
      acceptErrors: true,
    });
    this.signIns++;
    if (response.status === 204 || response.status === 200) {
      const pairs = response.headers
        .getSetCookie()
        .map((cookie) => cookie.split(';')[0]!.trim())
        .filter((pair) => /^[^=]+=.+/.test(pair));
      if (pairs.length === 0) throw this.loginError(response);
      for (const pair of pairs) {
        const name = pair.slice(0, pair.indexOf('='));
        if (AUTHENTICATING_COOKIE.test(name)) registerSecret(pair.slice(pair.indexOf('=') + 1));
      }
      this.cookies = pairs.join('; ');
      registerSecret(this.cookies);
      return;
    }
    throw this.loginError(response);
  }

  private loginError(response: HttpResponse): LedgersyncError {
    const o = this.options;
    const { message } = exceptionOf(response);
    if (/API Login Limit/i.test(message)) return limitError(o.label);
    if (response.status === 500 || response.status === 401 || response.status === 403 || /credential|password|user name|tenant|company/i.test(message)) {
      return new LedgersyncError('acumatica_login_failed', 'auth', `${o.label} refused the sign-in of user '${o.username}': ${message}`, {
        fix: `check ACUMATICA_USERNAME and ACUMATICA_PASSWORD (a user of tenant '${o.tenant || 'the only tenant'}' allowed to use the API), ACUMATICA_TENANT when the instance has several tenants, and ACUMATICA_URL`,
      });
    }
    return describeAcumaticaError(o.label, response, { method: 'POST', path: o.paths.login });
  }

  // ---- OAuth 2.0 ----

  private owner(): string {
    const o = this.options;
    return createHash('sha256').update(`${o.instanceUrl}\n${o.tenant}\n${o.username}\n${o.clientId}`).digest('hex');
  }

  private storedRefreshToken(): string | undefined {
    const token = this.secrets?.get(REFRESH_TOKEN_SECRET);
    if (!token || this.secrets?.get(REFRESH_TOKEN_OWNER_SECRET) !== this.owner()) return undefined;
    registerSecret(token);
    return token;
  }

  private async token(withPassword: boolean): Promise<void> {
    const o = this.options;
    const stored = withPassword ? undefined : this.storedRefreshToken();
    if (stored) {
      const response = await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: stored });
      if (response.status === 200) return this.accept(response);
      const error = tokenError(o, response);
      // A refresh token the identity server no longer knows (rotated elsewhere, revoked, expired): the password grant starts a new chain.
      if (error.code !== 'acumatica_token_failed' || !/invalid_grant/.test(error.message)) throw error;
      this.log.info(`${o.label}: the stored refresh token was refused; signing in with the password grant`);
    }
    const username = o.tenant && !o.username.includes('@') ? `${o.username}@${o.tenant}` : o.username;
    const response = await this.tokenRequest({ grant_type: 'password', username, password: o.password, scope: o.scope });
    if (response.status === 200) return this.accept(response);
    throw tokenError(o, response);
  }

  private async tokenRequest(form: Record<string, string>): Promise<HttpResponse> {
    const o = this.options;
    const response = await this.api.request({
      method: 'POST',
      path: this.url(o.paths.token),
      form: { ...form, client_id: o.clientId, client_secret: o.clientSecret },
      skipAuth: true,
      // A repeated grant could open a second session (a seat); a repeated refresh would present a rotated token.
      idempotent: false,
      acceptErrors: true,
    });
    this.signIns++;
    return response;
  }

  private accept(response: HttpResponse): void {
    const body = bodyOf(response) as { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown } | undefined;
    if (!body || typeof body.access_token !== 'string' || body.access_token === '') {
      throw new LedgersyncError('acumatica_token_unreadable', 'transient', `${this.options.label}: the identity server answered 200 without an access token`);
    }
    registerSecret(body.access_token);
    if (typeof body.refresh_token === 'string' && body.refresh_token !== '') {
      registerSecret(body.refresh_token);
      // Persist first: the previous refresh token is already dead.
      this.secrets?.set(REFRESH_TOKEN_SECRET, body.refresh_token);
      this.secrets?.set(REFRESH_TOKEN_OWNER_SECRET, this.owner());
    }
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
    this.access = { token: body.access_token, expiresAt: this.now() + expiresIn * 1000 };
  }
}

function limitError(label: string): LedgersyncError {
  return new LedgersyncError('acumatica_login_limit', 'transient', `${label}: every API seat of the licence is taken (API Login Limit)`, {
    fix: 'sessions that were not signed out hold seats until they time out: close them on the License Monitoring Console (SM604000) or wait, then run again',
  });
}

function tokenError(o: AuthOptions, response: HttpResponse): LedgersyncError {
  const body = (bodyOf(response) ?? {}) as { error?: unknown; error_description?: unknown };
  const error = typeof body.error === 'string' ? body.error : `HTTP ${response.status}`;
  const description = typeof body.error_description === 'string' ? body.error_description : '';
  if (/API Login Limit/i.test(description)) return limitError(o.label);
  if (error === 'invalid_client') {
    return new LedgersyncError('acumatica_invalid_client', 'auth', `${o.label}: the identity server refused the connected application (invalid_client)`, {
      fix: 'check ACUMATICA_CLIENT_ID (with its @tenant suffix) and ACUMATICA_CLIENT_SECRET against Connected Applications (SM303010) of that tenant',
    });
  }
  if (error === 'invalid_grant' && /password|user/i.test(description)) {
    return new LedgersyncError('acumatica_login_failed', 'auth', `${o.label} refused the sign-in of user '${o.username}' (invalid_grant: ${description})`, {
      fix: `check ACUMATICA_USERNAME and ACUMATICA_PASSWORD (a user of tenant '${o.tenant || 'the only tenant'}' allowed to use the API) and ACUMATICA_TENANT`,
    });
  }
  if (response.status === 429 || response.status >= 500) {
    return new LedgersyncError(`acumatica_http_${response.status}`, 'transient', `${o.label}: the identity server answered HTTP ${response.status}`);
  }
  return new LedgersyncError(
    'acumatica_token_failed',
    'auth',
    `${o.label}: the identity server refused the token request (${error}${description ? `: ${description}` : ''})`,
    {
      fix: 'check that the connected application allows the resource owner password flow and the api and offline_access scopes',
    },
  );
}
