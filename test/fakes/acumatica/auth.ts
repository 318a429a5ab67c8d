/**
 * Who may call the tenant: the Identity Server's OAuth 2.0 token endpoint (password grant with
 * client id and secret, scopes `api` and `offline_access`; refresh tokens that rotate, the old one
 * refused at once) and the legacy cookie session (`/entity/auth/login` and `/entity/auth/logout`).
 * Both open an API session, and API sessions count against the licence's "Maximum Number of Web
 * Services API Users": a session nobody logs out keeps its seat and the next login is refused with
 * "API Login Limit". A refresh reuses its grant's session, as Acumatica documents.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { apiLoginLimit, invalidCredentials, notLoggedIn, oauthError, unknownTenant, type AcumaticaError } from './errors.js';

export interface FakeUser {
  name: string;
  password: string;
}

export interface FakeOAuthClient {
  clientId: string;
  clientSecret: string;
}

export interface SessionInfo {
  id: string;
  kind: 'cookie' | 'oauth';
  user: string;
  tenant: string;
  openedAt: number;
  lastSeenAt: number;
}

export interface TokenRequestLog {
  grantType: string;
  ok: boolean;
  error?: string;
  at: number;
}

export interface AuthOptions {
  tenants: string[];
  users: FakeUser[];
  clients: FakeOAuthClient[];
  accessTokenTtlMs: number;
  maxApiUsers: number;
  /** A session idle this long is closed by the server and frees its seat; undefined: never. */
  sessionIdleTimeoutMs: number | undefined;
  now: () => number;
}

interface Grant {
  clientId: string;
  user: string;
  tenant: string;
  scopes: string[];
  sessionId: string | undefined;
}

export type Caller = { kind: 'cookie' | 'oauth'; session: SessionInfo };

export class AuthService {
  private readonly sessions = new Map<string, SessionInfo>();
  /** `.ASPXAUTH` cookie value → session id. */
  private readonly cookies = new Map<string, string>();
  /** Access token → grant and expiry. */
  private readonly accessTokens = new Map<string, { grant: Grant; expiresAt: number }>();
  /** Refresh token (only the newest of each grant is here) → grant. */
  private readonly refreshTokens = new Map<string, Grant>();
  readonly tokenRequests: TokenRequestLog[] = [];
  sessionsOpened = 0;
  sessionsClosed = 0;
  loginRefusals = 0;

  constructor(private readonly options: AuthOptions) {}

  get openSessions(): SessionInfo[] {
    this.expireIdle();
    return [...this.sessions.values()].map((session) => ({ ...session }));
  }

  get currentRefreshTokens(): string[] {
    return [...this.refreshTokens.keys()];
  }

  // --- cookie sessions ---------------------------------------------------------------------------

  /** `POST /entity/auth/login`; returns the cookies to set. */
  login(body: Record<string, unknown>, existingCookie: string | undefined): string[] {
    const name = typeof body['name'] === 'string' ? body['name'] : '';
    const password = typeof body['password'] === 'string' ? body['password'] : '';
    const requestedTenant = typeof body['tenant'] === 'string' ? body['tenant'] : typeof body['company'] === 'string' ? body['company'] : undefined;
    const tenant = this.resolveTenant(requestedTenant);
    if (!this.options.users.some((user) => user.name.toLowerCase() === name.toLowerCase() && user.password === password)) throw invalidCredentials();
    const current = existingCookie ? this.sessionOfCookie(existingCookie) : undefined;
    if (current && current.user.toLowerCase() === name.toLowerCase() && current.tenant === tenant) {
      // Signing in again on a live session reuses it, as the browser-session model does.
      return this.cookieHeaders(existingCookie!, current.id);
    }
    const session = this.openSession('cookie', name, tenant);
    const cookie = randomBytes(24).toString('hex').toUpperCase();
    this.cookies.set(cookie, session.id);
    return this.cookieHeaders(cookie, session.id);
  }

  /** `POST /entity/auth/logout`: closes the caller's session (cookie or bearer); 204 either way. */
  logout(cookie: string | undefined, bearer: string | undefined): string[] {
    if (cookie) {
      const sessionId = this.cookies.get(cookie);
      this.cookies.delete(cookie);
      if (sessionId) this.closeSession(sessionId);
    }
    if (bearer) {
      const entry = this.accessTokens.get(bearer);
      if (entry?.grant.sessionId) {
        this.closeSession(entry.grant.sessionId);
        entry.grant.sessionId = undefined;
      }
      this.accessTokens.delete(bearer);
    }
    return [
      '.ASPXAUTH=; expires=Thu, 01-Jan-1970 00:00:00 GMT; path=/; HttpOnly',
      'ASP.NET_SessionId=; expires=Thu, 01-Jan-1970 00:00:00 GMT; path=/; HttpOnly',
    ];
  }

  private cookieHeaders(cookie: string, sessionId: string): string[] {
    const tenant = this.sessions.get(sessionId)?.tenant ?? '';
    return [
      `.ASPXAUTH=${cookie}; path=/; HttpOnly`,
      `ASP.NET_SessionId=${sessionId.replace(/-/g, '').slice(0, 24)}; path=/; HttpOnly; SameSite=Lax`,
      `CompanyID=${encodeURIComponent(tenant)}; path=/`,
      'Locale=Culture=en-US&TimeZone=GMTE0000U; path=/',
    ];
  }

  private sessionOfCookie(cookie: string): SessionInfo | undefined {
    this.expireIdle();
    const id = this.cookies.get(cookie);
    return id ? this.sessions.get(id) : undefined;
  }

  // --- OAuth 2.0 ---------------------------------------------------------------------------------

  /** `POST /identity/connect/token` (form-encoded). */
  token(form: URLSearchParams): Record<string, unknown> {
    const grantType = form.get('grant_type') ?? '';
    try {
      const result = this.grant(grantType, form);
      this.tokenRequests.push({ grantType, ok: true, at: this.options.now() });
      return result;
    } catch (error) {
      const body = (error as AcumaticaError).body as { error?: string };
      this.tokenRequests.push({ grantType, ok: false, error: body.error ?? 'unknown', at: this.options.now() });
      throw error;
    }
  }

  private grant(grantType: string, form: URLSearchParams): Record<string, unknown> {
    const clientId = form.get('client_id') ?? '';
    const client = this.options.clients.find((candidate) => candidate.clientId === clientId);
    if (!client || client.clientSecret !== (form.get('client_secret') ?? '')) throw oauthError('invalid_client');
    if (grantType === 'password') {
      const scopes = (form.get('scope') ?? '').split(/\s+/).filter((scope) => scope !== '');
      if (!scopes.includes('api')) throw oauthError('invalid_scope');
      const [user, tenantPart] = splitUserName(form.get('username') ?? '');
      let tenant: string;
      try {
        tenant = this.resolveTenant(tenantPart);
      } catch {
        throw oauthError('invalid_grant', 'invalid_username_or_password');
      }
      if (!this.options.users.some((candidate) => candidate.name.toLowerCase() === user.toLowerCase() && candidate.password === (form.get('password') ?? ''))) {
        throw oauthError('invalid_grant', 'invalid_username_or_password');
      }
      const grant: Grant = { clientId, user, tenant, scopes, sessionId: undefined };
      this.attachSession(grant);
      return this.issue(grant);
    }
    if (grantType === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const grant = this.refreshTokens.get(presented);
      if (!grant || grant.clientId !== clientId) throw oauthError('invalid_grant');
      this.refreshTokens.delete(presented);
      if (!grant.sessionId || !this.sessions.has(grant.sessionId)) this.attachSession(grant);
      return this.issue(grant);
    }
    throw oauthError('unsupported_grant_type');
  }

  private attachSession(grant: Grant): void {
    try {
      grant.sessionId = this.openSession('oauth', grant.user, grant.tenant).id;
    } catch {
      throw oauthError('invalid_grant', 'API Login Limit');
    }
  }

  private issue(grant: Grant): Record<string, unknown> {
    const accessToken = randomBytes(32).toString('base64url');
    this.accessTokens.set(accessToken, { grant, expiresAt: this.options.now() + this.options.accessTokenTtlMs });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: Math.round(this.options.accessTokenTtlMs / 1000),
      token_type: 'Bearer',
      scope: grant.scopes.join(' '),
    };
    if (grant.scopes.includes('offline_access')) {
      const refreshToken = randomBytes(32).toString('hex').toUpperCase();
      this.refreshTokens.set(refreshToken, grant);
      body['refresh_token'] = refreshToken;
    }
    return body;
  }

  // --- callers -----------------------------------------------------------------------------------

  /** The session behind a request's cookie or bearer token; throws 401 when there is none. */
  authenticate(cookie: string | undefined, bearer: string | undefined): Caller {
    this.expireIdle();
    const now = this.options.now();
    if (bearer !== undefined) {
      const entry = this.accessTokens.get(bearer);
      if (!entry) throw notLoggedIn({ 'www-authenticate': 'Bearer error="invalid_token"' });
      if (entry.expiresAt <= now) throw notLoggedIn({ 'www-authenticate': 'Bearer error="invalid_token", error_description="The access token expired"' });
      if (!entry.grant.sessionId || !this.sessions.has(entry.grant.sessionId)) {
        // The session timed out or was logged out; the token opens a new one if a seat is free.
        entry.grant.sessionId = this.openSession('oauth', entry.grant.user, entry.grant.tenant).id;
      }
      const session = this.sessions.get(entry.grant.sessionId)!;
      session.lastSeenAt = now;
      return { kind: 'oauth', session };
    }
    const session = cookie ? this.sessionOfCookie(cookie) : undefined;
    if (!session) throw notLoggedIn();
    session.lastSeenAt = now;
    return { kind: 'cookie', session };
  }

  // --- fault knobs -------------------------------------------------------------------------------

  expireAccessTokens(): void {
    for (const entry of this.accessTokens.values()) entry.expiresAt = 0;
  }

  revokeRefreshTokens(): void {
    this.refreshTokens.clear();
  }

  /** The server's session timeout fires for every session: seats are freed, cookies stop working. */
  expireSessions(): void {
    for (const id of [...this.sessions.keys()]) this.closeSession(id, false);
    this.cookies.clear();
  }

  // --- internals ---------------------------------------------------------------------------------

  private resolveTenant(requested: string | undefined): string {
    const tenants = this.options.tenants;
    if (requested === undefined || requested === '') {
      if (tenants.length === 1) return tenants[0]!;
      throw unknownTenant();
    }
    const found = tenants.find((tenant) => tenant.toLowerCase() === requested.toLowerCase());
    if (!found) throw unknownTenant();
    return found;
  }

  private openSession(kind: SessionInfo['kind'], user: string, tenant: string): SessionInfo {
    this.expireIdle();
    if (this.sessions.size >= this.options.maxApiUsers) {
      this.loginRefusals++;
      throw apiLoginLimit();
    }
    const now = this.options.now();
    const session: SessionInfo = { id: randomUUID(), kind, user, tenant, openedAt: now, lastSeenAt: now };
    this.sessions.set(session.id, session);
    this.sessionsOpened++;
    return session;
  }

  private closeSession(id: string, loggedOut = true): void {
    if (this.sessions.delete(id) && loggedOut) this.sessionsClosed++;
    for (const [cookie, sessionId] of this.cookies) if (sessionId === id) this.cookies.delete(cookie);
  }

  private expireIdle(): void {
    const timeout = this.options.sessionIdleTimeoutMs;
    if (timeout === undefined) return;
    const now = this.options.now();
    for (const session of [...this.sessions.values()]) if (now - session.lastSeenAt >= timeout) this.closeSession(session.id, false);
  }
}

/** OAuth user names may carry the tenant: `admin@Company`. */
function splitUserName(userName: string): [string, string | undefined] {
  const at = userName.lastIndexOf('@');
  return at > 0 ? [userName.slice(0, at), userName.slice(at + 1)] : [userName, undefined];
}
