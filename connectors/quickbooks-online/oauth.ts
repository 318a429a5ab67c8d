/**
 * Intuit OAuth 2.0 for one QBO connection: access tokens from the refresh-token grant, refreshed
 * before they expire and on a 401. Intuit rotates the refresh token; the new one is written to
 * the encrypted secret store the moment it arrives, since losing it disconnects the customer.
 */
import { LedgersyncError } from '../../engine/errors.js';
import type { SecretStore } from '../../engine/connector/types.js';
import type { HttpConnection, HttpResponse } from '../../engine/http/connection.js';
import { registerSecret } from '../../engine/log.js';
import { RECONNECT_FIX } from './faults.js';

export interface IntuitOAuthOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The refresh token of the pipeline's connection block (used until a rotated one is stored). */
  configuredRefreshToken: string;
  /** Seconds before expiry at which the access token is refreshed. */
  refreshMarginSeconds: number;
  /** Clock in milliseconds (tests). Default Date.now. */
  now?: () => number;
}

interface StoredAccessToken {
  token: string;
  expiresAt: number;
}

/** The secret holding the rotated refresh token (read by people and tests under this name). */
export const REFRESH_TOKEN_SECRET = 'qbo_refresh_token';
/** Access token cache and the configured token the stored chain descends from (so reconnecting wins), in one sealed value. */
const TOKEN_STATE_SECRET = 'qbo_token_state';

interface TokenState {
  access?: StoredAccessToken;
  configuredFrom?: string;
}

export class IntuitOAuth {
  private secrets: SecretStore | undefined;
  private access: StoredAccessToken | undefined;
  private inflight: Promise<string> | undefined;
  private readonly now: () => number;
  refreshes = 0;

  constructor(
    private readonly tokenConnection: HttpConnection,
    private readonly options: IntuitOAuthOptions,
  ) {
    this.now = options.now ?? Date.now;
    registerSecret(options.clientSecret);
    registerSecret(options.configuredRefreshToken);
  }

  /** Gives the token manager the durable secret store of the run (it arrives with the sink context). */
  bind(secrets: SecretStore): void {
    if (this.secrets === secrets) return;
    this.secrets = secrets;
    const state = this.tokenState();
    const access = state.access;
    if (
      access &&
      !this.access &&
      typeof access.token === 'string' &&
      typeof access.expiresAt === 'number' &&
      state.configuredFrom === this.options.configuredRefreshToken
    ) {
      registerSecret(access.token);
      this.access = access;
    }
  }

  private tokenState(): TokenState {
    const stored = this.secrets?.get(TOKEN_STATE_SECRET);
    if (!stored) return {};
    try {
      return JSON.parse(stored) as TokenState;
    } catch {
      return {}; // an unreadable cache only costs one refresh
    }
  }

  /** A valid access token, refreshed first when it expires within the margin. */
  async accessToken(): Promise<string> {
    if (this.access && this.access.expiresAt - this.options.refreshMarginSeconds * 1000 > this.now()) return this.access.token;
    return this.refresh();
  }

  /** Forgets the access token (QBO answered 401) and gets a new one. */
  async refreshAfterUnauthorized(): Promise<void> {
    // Requests in flight together all see the 401: one refresh serves those that arrive while it runs;
    // a late one refreshes again, which costs a token call but never a lost refresh token.
    if (this.inflight) {
      await this.inflight;
      return;
    }
    this.access = undefined;
    await this.refresh();
  }

  private refresh(): Promise<string> {
    this.inflight ??= this.doRefresh().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private storedRefreshToken(): string | undefined {
    const stored = this.secrets?.get(REFRESH_TOKEN_SECRET);
    if (!stored) return undefined;
    const from = this.tokenState().configuredFrom;
    // A different configured token means the customer reconnected: the old chain is revoked.
    if (from !== undefined && from !== this.options.configuredRefreshToken) return undefined;
    return stored;
  }

  /**
   * The refresh tokens to try, in order: the stored (rotated) one, the configured one, and — after a
   * rejection — one another process of the same state file stored meanwhile (a `plan` or `check`
   * beside a scheduled run): Intuit keeps only the newest token of a chain.
   */
  private nextCandidate(tried: ReadonlySet<string>): string | undefined {
    const stored = this.storedRefreshToken();
    if (stored && !tried.has(stored)) return stored;
    return tried.has(this.options.configuredRefreshToken) ? undefined : this.options.configuredRefreshToken;
  }

  private async doRefresh(): Promise<string> {
    const tried = new Set<string>();
    let lastError: LedgersyncError | undefined;
    // At most four grants: the chain a concurrent process keeps rotating is not chased for ever.
    for (let refreshToken = this.nextCandidate(tried); refreshToken !== undefined && tried.size < 4; refreshToken = this.nextCandidate(tried)) {
      tried.add(refreshToken);
      registerSecret(refreshToken);
      const response = await this.tokenConnection.request({
        method: 'POST',
        path: this.options.tokenUrl,
        skipAuth: true,
        // Retrying the grant is safe: a refresh token stays valid until a response carrying its successor is read.
        idempotent: true,
        acceptErrors: true,
        headers: { authorization: `Basic ${Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64')}` },
        form: { grant_type: 'refresh_token', refresh_token: refreshToken },
      });
      if (response.status === 200) return this.accept(response);
      lastError = tokenError(response, tried.size);
      if (lastError.code !== 'qbo_refresh_token_rejected') break;
    }
    throw lastError ?? new LedgersyncError('qbo_token_failed', 'auth', 'Intuit token endpoint answered nothing usable', { fix: RECONNECT_FIX });
  }

  private accept(response: HttpResponse): string {
    let body: { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown };
    try {
      body = response.json();
    } catch {
      throw new LedgersyncError('qbo_token_unreadable', 'transient', 'Intuit token endpoint answered 200 without JSON');
    }
    if (typeof body.access_token !== 'string')
      throw new LedgersyncError('qbo_token_unreadable', 'transient', 'Intuit token endpoint answered without an access_token');
    registerSecret(body.access_token);
    this.refreshes++;
    if (typeof body.refresh_token === 'string' && body.refresh_token) {
      registerSecret(body.refresh_token);
      // Persist first: if anything after this line fails, the customer is still connected.
      this.secrets?.set(REFRESH_TOKEN_SECRET, body.refresh_token);
    }
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 3600;
    this.access = { token: body.access_token, expiresAt: this.now() + expiresIn * 1000 };
    const state: TokenState = { access: this.access, configuredFrom: this.options.configuredRefreshToken };
    this.secrets?.set(TOKEN_STATE_SECRET, JSON.stringify(state));
    return body.access_token;
  }
}

function tokenError(response: HttpResponse, tokensTried: number): LedgersyncError {
  let error = '';
  try {
    error = String((response.json() as { error?: unknown }).error ?? '');
  } catch {
    // not JSON
  }
  if (response.status === 401 || error === 'invalid_client') {
    return new LedgersyncError('qbo_invalid_client', 'auth', `Intuit rejected the app credentials (${error || `HTTP ${response.status}`})`, {
      fix: 'check QBO_CLIENT_ID and QBO_CLIENT_SECRET (developer.intuit.com → your app → Keys & credentials, production vs development keys), then reconnect if needed',
    });
  }
  if (error === 'invalid_grant') {
    return new LedgersyncError(
      'qbo_refresh_token_rejected',
      'auth',
      `Intuit rejected the refresh token (invalid_grant; ${tokensTried === 1 ? 'the configured token' : 'the stored and the configured tokens'} tried). ` +
        'Most likely it was already used: another deployment or another state file of this pipeline refreshed it and now holds the rotated token (Intuit keeps only the newest), ' +
        'or a run lost the token it received (its state could not be written); otherwise the app was disconnected from the company or the token expired (100 days unused)',
      {
        fix:
          'if another deployment or state file runs this pipeline, run it from there only (or copy that state file here, with its LEDGERSYNC_SECRET_KEY); ' +
          `otherwise ${RECONNECT_FIX}`,
        details: { tokensTried },
      },
    );
  }
  if (response.status === 429 || response.status >= 500) {
    return new LedgersyncError('qbo_token_unavailable', 'transient', `Intuit token endpoint answered HTTP ${response.status}`, {
      fix: 'Intuit is unavailable; the run can be resumed as is',
    });
  }
  return new LedgersyncError('qbo_token_failed', 'auth', `Intuit token endpoint answered HTTP ${response.status} ${error}`.trim(), { fix: RECONNECT_FIX });
}
