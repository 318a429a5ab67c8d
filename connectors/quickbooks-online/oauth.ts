/**
 * Intuit OAuth 2.0 for one QBO connection: access tokens from the refresh-token grant, refreshed
 * before they expire and on a 401. Intuit rotates the refresh token; the new one is written to
 * the encrypted secret store the moment it arrives, since losing it disconnects the customer.
 *
 * Intuit's rotation rule, as Intuit states it: a refresh answers with the same refresh token until
 * that one is about a day old, then with a new one ("Refresh token gets rotated every 24-26hrs",
 * Intuit staff in IntuitDeveloper/oauth2-nodejs#2; the help article "Validity of Refresh Token").
 * What becomes of the previous one differs between Intuit's pages: its OAuth docs said "your
 * previous refresh tokens expire 24 hours after you receive a new one" (quoted in the same issue),
 * its help article that the previous one "expires" when the new one is returned (quoted in
 * intuit/QuickBooks-V3-PHP-SDK#324), and a redeemed, replaced token is "not found" (invalid_grant,
 * intuit/oauth-jsclient#77). So an answer lost on the day of a rotation may carry the only copy of
 * the new token. Before each redemption the attempt is recorded (sealed, like the token), and cleared
 * once Intuit has answered; one still on record at the next refresh, neither cleared nor marked lost,
 * is a redemption whose process was killed while it was in flight, and its answer is lost too. After a
 * lost answer the same token is redeemed again at once, which works while Intuit still honours it
 * (the 24-hour grace of its OAuth docs, or no rotation that day) and then returns the latest token;
 * when Intuit refuses it, the run (and every later one) says exactly that and that the company must
 * be reconnected, instead of a bare invalid_grant.
 */
import { createHash } from 'node:crypto';
import { LedgersyncError } from '../../engine/errors.js';
import type { SecretStore } from '../../engine/connector/types.js';
import type { HttpConnection, HttpResponse } from '../../engine/http/connection.js';
import { registerSecret, type Logger } from '../../engine/log.js';
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
  /** Where a recovered lost answer is reported. */
  log?: Logger;
}

interface StoredAccessToken {
  token: string;
  expiresAt: number;
}

/** The secret holding the rotated refresh token (read by people and tests under this name). */
export const REFRESH_TOKEN_SECRET = 'qbo_refresh_token';
/** Access token cache and the configured token the stored chain descends from (so reconnecting wins), in one sealed value. */
const TOKEN_STATE_SECRET = 'qbo_token_state';
/** The redemption in progress, or the last one whose answer was lost: what the next refresh must know. */
const ATTEMPT_SECRET = 'qbo_refresh_attempt';

interface RefreshAttempt {
  /** ISO time the refresh was sent. */
  at: string;
  /** Which refresh token was redeemed: a digest, never the token. */
  token: string;
  /** Its answer was lost: when, and how. */
  lost?: { at: string; reason: string };
}

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
      lastError = await this.redeem(refreshToken, tried.size);
      if (!lastError) return this.access!.token;
      if (lastError.code !== 'qbo_refresh_token_rejected' && lastError.code !== 'qbo_refresh_answer_lost') break;
    }
    throw lastError ?? new LedgersyncError('qbo_token_failed', 'auth', 'Intuit token endpoint answered nothing usable', { fix: RECONNECT_FIX });
  }

  /**
   * Redeems one refresh token, the attempt recorded first. A lost answer (a 5xx or 429 after the
   * request, a reset, garbage) is recorded and the same token redeemed again. Resolves undefined
   * when a new access token is in hand, else to the error of this token.
   */
  private async redeem(refreshToken: string, tokensTried: number): Promise<LedgersyncError | undefined> {
    const token = digest(refreshToken);
    let lost = this.earlierAnswerLost(token);
    const storedBefore = this.storedRefreshToken();
    for (let attemptNo = 1; ; attemptNo++) {
      this.recordAttempt({ at: new Date(this.now()).toISOString(), token, ...(lost ? { lost } : {}) });
      const sent = await this.tokenConnection.send({
        method: 'POST',
        path: this.options.tokenUrl,
        skipAuth: true,
        // Not repeated by the client: a lost answer is recorded before the token is redeemed again.
        idempotent: false,
        headers: { authorization: `Basic ${Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64')}` },
        form: { grant_type: 'refresh_token', refresh_token: refreshToken },
      });
      if (sent.outcome === 'answered' && sent.response.status === 200) {
        this.accept(sent.response);
        if (lost)
          this.options.log?.warn(
            `the answer to Intuit's token endpoint at ${lost.at} was lost (${lost.reason}); redeeming the refresh token again recovered the connection`,
          );
        this.clearAttempt();
        return undefined;
      }
      if (sent.outcome !== 'uncertain') {
        const error = sent.outcome === 'answered' || sent.response ? tokenError(sent.response!, tokensTried) : sent.error;
        const rejected = error.code === 'qbo_refresh_token_rejected';
        // Unless another process (a `plan` or `check` beside this run) redeemed it meanwhile and stored the new token.
        if (rejected && lost && this.storedRefreshToken() === storedBefore) return answerLost(lost);
        // Nothing is in flight any more (Intuit answered, or the request never left); a lost answer stays
        // on record until Intuit has said what became of its token.
        if (rejected || error.kind === 'auth' || !lost) this.clearAttempt();
        return error;
      }
      lost = { at: new Date(this.now()).toISOString(), reason: sent.error.message };
      this.recordAttempt({ at: lost.at, token, lost });
      if (attemptNo >= this.tokenConnection.retryPolicy.maxAttempts) {
        return new LedgersyncError(
          'qbo_token_unavailable',
          'transient',
          `Intuit's token endpoint did not answer usably (${sent.error.message}); the refresh is recorded and is tried again with the same token on the next run`,
          { fix: 'Intuit or the network in front of it is failing; the run can be resumed as is', cause: sent.error },
        );
      }
      await this.tokenConnection.pause(attemptNo);
    }
  }

  /**
   * Whether the answer to an earlier redemption of this token was lost: marked so by the run that
   * waited for it, or on record and neither cleared nor marked, as a run killed while the request was
   * in flight (OOM, a deploy, a scheduler's timeout) leaves it.
   */
  private earlierAnswerLost(token: string): RefreshAttempt['lost'] {
    const earlier = this.attempt();
    if (earlier?.token !== token) return undefined;
    return earlier.lost ?? { at: earlier.at, reason: 'the process that sent it ended before any answer was recorded' };
  }

  private attempt(): RefreshAttempt | undefined {
    const stored = this.secrets?.get(ATTEMPT_SECRET);
    if (!stored) return undefined;
    try {
      return JSON.parse(stored) as RefreshAttempt;
    } catch {
      return undefined;
    }
  }

  private recordAttempt(attempt: RefreshAttempt): void {
    this.secrets?.set(ATTEMPT_SECRET, JSON.stringify(attempt));
  }

  private clearAttempt(): void {
    if (this.secrets?.get(ATTEMPT_SECRET) !== undefined) this.secrets.set(ATTEMPT_SECRET, '');
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

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** Intuit refused the refresh token after the answer to an earlier redemption of it was lost. */
function answerLost(lost: { at: string; reason: string }): LedgersyncError {
  return new LedgersyncError(
    'qbo_refresh_answer_lost',
    'auth',
    `Intuit refused the refresh token (invalid_grant) after the answer to its redemption at ${lost.at} was lost (${lost.reason}): Intuit had rotated the refresh token then, and the new one never reached ledgersync`,
    {
      details: { lostAt: lost.at, reason: lost.reason },
      fix: `${RECONNECT_FIX}. Intuit hands out a new refresh token about once a day and may stop honouring the previous one at once; nothing else can recover it`,
    },
  );
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
