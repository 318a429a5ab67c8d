/**
 * Fault injection for the fake tenant. Knobs count requests to the contract-based API and the
 * login/logout routes (not the token endpoint, which the Identity Server serves).
 */
import type { WriteEvent } from './store.js';

export interface FakeAcumaticaFaults {
  /** The next `n` requests answer `status` (default 500) with a Web API error body, before taking effect. */
  failNext(n: number, status?: number, exceptionMessage?: string): void;
  /** The next `n` requests answer 429 as the licence limit does. */
  throttleNext(n: number): void;
  /** The next `n` requests have their socket destroyed before they take effect. */
  resetConnectionNext(n: number): void;
  /**
   * The next `n` writes (PUT, DELETE, actions) take effect, then their socket is destroyed before the
   * answer: the client cannot tell whether the document was created (what look-ups before retry are for).
   */
  dropResponseAfterWriteNext(n: number): void;
  /** The next action (release…) starts (202) but fails: its status answers 500 with this message and nothing is released. */
  failNextAction(exceptionMessage: string): void;
  /** Every access token issued so far stops working (401), as when one expires mid-run. */
  expireAccessTokens(): void;
  /** Every refresh token stops working (invalid_grant), as when the connected application is revoked. */
  revokeRefreshTokens(): void;
  /** The server's session timeout fires for every open session: seats are freed, cookies stop working. */
  expireSessions(): void;
  /** Latency added before every answer, in ms. Default 0. */
  delayMs: number;
  /** Called after a write is committed and before its answer is sent (a crash-injection point). */
  afterWrite: ((event: WriteEvent) => void | Promise<void>) | undefined;
  /** Turns every counting knob and the latency off. */
  clear(): void;
}

export type PreFault = { kind: 'reset' } | { kind: 'fail'; status: number; exceptionMessage: string } | { kind: 'throttle' };

function requireCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`faults.${name}: expected a non-negative integer, received ${n}`);
}

export class Faults {
  delayMs = 0;
  afterWrite: FakeAcumaticaFaults['afterWrite'] = undefined;
  private resets = 0;
  private failures = 0;
  private failStatus = 500;
  private failMessage = 'Injected failure.';
  private throttles = 0;
  private drops = 0;
  private actionFailure: string | undefined;

  failNext(n: number, status = 500, exceptionMessage = 'Injected failure.'): void {
    requireCount('failNext', n);
    if (!Number.isInteger(status) || status < 400 || status > 599)
      throw new Error(`faults.failNext: expected an HTTP error status 400..599, received ${status}`);
    this.failures = n;
    this.failStatus = status;
    this.failMessage = exceptionMessage;
  }

  throttleNext(n: number): void {
    requireCount('throttleNext', n);
    this.throttles = n;
  }

  resetConnectionNext(n: number): void {
    requireCount('resetConnectionNext', n);
    this.resets = n;
  }

  dropResponseAfterWriteNext(n: number): void {
    requireCount('dropResponseAfterWriteNext', n);
    this.drops = n;
  }

  failNextAction(exceptionMessage: string): void {
    this.actionFailure = exceptionMessage;
  }

  clear(): void {
    this.delayMs = 0;
    this.resets = 0;
    this.failures = 0;
    this.throttles = 0;
    this.drops = 0;
    this.actionFailure = undefined;
  }

  /** The fault for a request that just arrived, consuming one count of the knob that fires. */
  takePreFault(): PreFault | undefined {
    if (this.resets > 0) {
      this.resets--;
      return { kind: 'reset' };
    }
    if (this.throttles > 0) {
      this.throttles--;
      return { kind: 'throttle' };
    }
    if (this.failures > 0) {
      this.failures--;
      return { kind: 'fail', status: this.failStatus, exceptionMessage: this.failMessage };
    }
    return undefined;
  }

  /** Whether the answer to the write just committed must be dropped. */
  takeDrop(): boolean {
    if (this.drops === 0) return false;
    this.drops--;
    return true;
  }

  takeActionFailure(): string | undefined {
    const message = this.actionFailure;
    this.actionFailure = undefined;
    return message;
  }
}
