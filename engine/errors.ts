/**
 * One error type for the whole engine. `code` is one of the catalogue's (engine/error-codes.ts);
 * `kind` decides retry and exit code (engine/exit-codes.ts):
 * - config: the pipeline or its environment is wrong (exit 2), never retried
 * - auth: credentials or connection rejected after retries (exit 3)
 * - transient: a retry may help (rate limit, 5xx, network)
 * - record: one record is bad; it goes to the dead-letter table and the run goes on (exit 1)
 * - system: a bug or an invariant broken inside ledgersync
 */
import type { ErrorCode } from './error-codes.js';
import { redact, type Logger } from './log.js';

export type { ErrorCode };

export type ErrorKind = 'config' | 'auth' | 'transient' | 'record' | 'system';

export interface LedgersyncErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
  /** For write requests: the target may have applied the write before the failure (timeout, 5xx). */
  mayHaveSucceeded?: boolean;
  /** What the user should do about it. */
  fix?: string;
}

export class LedgersyncError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown>;
  readonly mayHaveSucceeded: boolean;
  readonly fix: string | undefined;

  constructor(code: ErrorCode, kind: ErrorKind, message: string, options: LedgersyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LedgersyncError';
    this.code = code;
    this.kind = kind;
    this.details = options.details ?? {};
    this.mayHaveSucceeded = options.mayHaveSucceeded ?? false;
    this.fix = options.fix;
  }

  /** Message plus the fix, as printed to a person. */
  get actionable(): string {
    return this.fix ? `${this.message} Fix: ${this.fix}` : this.message;
  }

  get retryable(): boolean {
    return this.kind === 'transient';
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      kind: this.kind,
      message: this.message,
      ...(this.fix ? { fix: this.fix } : {}),
      ...(Object.keys(this.details).length ? { details: this.details } : {}),
      ...(this.mayHaveSucceeded ? { may_have_succeeded: true } : {}),
    };
  }
}

export function isLedgersyncError(value: unknown): value is LedgersyncError {
  return value instanceof LedgersyncError;
}

/** Wraps anything thrown into a LedgersyncError of the given kind, keeping an existing one as is. */
export function asLedgersyncError(value: unknown, fallbackKind: ErrorKind = 'system'): LedgersyncError {
  if (value instanceof LedgersyncError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new LedgersyncError('unexpected_error', fallbackKind, message, { cause: value });
}

/** An error as summaries, the runs table and `--json` carry it: secrets masked. */
export interface ErrorSummary {
  code: ErrorCode;
  kind: ErrorKind;
  message: string;
  fix?: string;
}

export function errorSummary(error: LedgersyncError | ErrorSummary): ErrorSummary {
  return { code: error.code, kind: error.kind, message: redact(error.message), ...(error.fix ? { fix: redact(error.fix) } : {}) };
}

/** An error that ends a command, on its log (stderr), where a scheduler's log collector reads it. */
export function logFailure(log: Logger, error: LedgersyncError): void {
  log.error(error.actionable, { code: error.code, kind: error.kind, ...(error.fix ? { fix: error.fix } : {}) });
}

/** A problem found in a configuration file, printed as `file:line:col: message`. */
export interface ConfigProblem {
  code: string;
  file: string;
  /** JSON pointer-like path inside the document, e.g. `/streams/0/mapping/fields/Name`. */
  path: string;
  line: number;
  column: number;
  message: string;
  severity: 'error' | 'warning';
}

export function formatProblem(p: ConfigProblem): string {
  return redact(`${p.file}:${p.line}:${p.column}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`);
}

export class ConfigError extends LedgersyncError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super('invalid_configuration', 'config', problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}
