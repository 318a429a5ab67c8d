/**
 * One document written once, whatever happens to the answer. The write is sent; when its outcome is
 * `uncertain` (a 5xx or a gateway's 429 after it was sent, a reset, a timeout, a body that cannot be
 * read, an answer that is not the document) the connector's look-up runs before anything is sent
 * again: a document that landed is adopted, one that did not is sent again, within the connection's
 * retry policy. A write still in doubt after that throws with `mayHaveSucceeded`, so the engine keeps
 * the record pending and the next run looks it up first.
 */
import { LedgersyncError, asLedgersyncError } from '../errors.js';
import type { HttpConnection, HttpRequest, HttpResponse } from '../http/connection.js';
import type { Logger } from '../log.js';

export interface WriteOnceOptions<T> {
  connection: HttpConnection;
  request: HttpRequest;
  /** What is written, for messages (`DualEntry journal entry [ls-…]`). */
  what: string;
  /** The document a 2xx answer holds; undefined when the answer is not the document (then the write is in doubt). */
  read(response: HttpResponse): T | undefined;
  /** Finds the document after its answer was lost; undefined when it is not there. */
  lookUp(): Promise<T | undefined>;
  /** The error of an answer that is not the document. Default `unexpected_response`. */
  unexpected?(response: HttpResponse): LedgersyncError;
  log?: Logger | undefined;
}

export interface WriteOnceResult<T> {
  document: T;
  /** `answered`: the vendor's answer holds it; `found`: its answer was lost and the look-up found it. */
  landed: 'answered' | 'found';
  /** Requests sent for it. */
  sent: number;
}

export async function writeOnce<T>(options: WriteOnceOptions<T>): Promise<WriteOnceResult<T>> {
  const { connection, what } = options;
  for (let attempt = 1; ; attempt++) {
    const result = await connection.send(options.request);
    let doubt: LedgersyncError;
    if (result.outcome === 'failed') throw result.error;
    if (result.outcome === 'answered') {
      const document = options.read(result.response);
      if (document !== undefined) return { document, landed: 'answered', sent: attempt };
      doubt =
        options.unexpected?.(result.response) ??
        new LedgersyncError('unexpected_response', 'transient', `${connection.label}: the answer to ${what} is not the document it wrote`, {
          mayHaveSucceeded: true,
        });
    } else {
      doubt = result.error;
    }
    await connection.pause(attempt);
    let found: T | undefined;
    try {
      found = await options.lookUp();
    } catch (error) {
      throw inDoubt(error, `${what} may have landed (${doubt.message}), and looking it up failed`);
    }
    if (found !== undefined) {
      options.log?.warn(`${what}: its answer was lost (${doubt.message}); it had landed, and is adopted instead of being sent again`);
      return { document: found, landed: 'found', sent: attempt };
    }
    if (attempt >= connection.retryPolicy.maxAttempts) throw inDoubt(doubt, `${what} is still in doubt after ${attempt} attempts`);
    options.log?.info(`${what}: its answer was lost (${doubt.message}) and it is not there; sending it again`);
  }
}

/** An error that keeps the record pending: the next run looks it up before writing. */
function inDoubt(error: unknown, context: string): LedgersyncError {
  const e = asLedgersyncError(error, 'transient');
  return new LedgersyncError(e.code, e.kind === 'record' || e.kind === 'system' ? 'transient' : e.kind, `${context}: ${e.message}`, {
    details: e.details,
    cause: e,
    mayHaveSucceeded: true,
    fix: `${e.fix ? `${e.fix}; ` : ''}the next run looks it up before writing it again`,
  });
}
