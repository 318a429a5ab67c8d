/** How a command ends, as a process exit code: decided here and nowhere else. */
import { engineErrorCodes, type ErrorCode, type ExitCode } from './error-codes.js';
import type { ErrorKind } from './errors.js';

export type { ExitCode };

export const EXIT = {
  ok: 0,
  recordsFailed: 1,
  config: 2,
  authOrConnection: 3,
  locked: 4,
} as const satisfies Record<string, ExitCode>;

/**
 * The exit code of a command stopped by an error of this kind. A `record` error normally stops
 * nothing (the record is dead-lettered and the run ends with 1); one that stops a whole read or
 * batch is treated like a failed connection: retry later.
 */
export const exitByKind: Readonly<Record<ErrorKind, ExitCode>> = {
  config: EXIT.config,
  system: EXIT.config,
  auth: EXIT.authOrConnection,
  transient: EXIT.authOrConnection,
  record: EXIT.authOrConnection,
};

const exitOverrides: Readonly<Partial<Record<ErrorCode, ExitCode>>> = Object.fromEntries(
  Object.entries(engineErrorCodes.codes).flatMap(([code, entry]) => ('exit' in entry ? [[code, entry.exit]] : [])),
);

export interface CommandEnd {
  /** The error that stopped the command, if one did. */
  error?: { code: ErrorCode; kind: ErrorKind } | undefined;
  /** Records that went to the dead-letter table. Default 0. */
  failedRecords?: number;
}

/** 0 on success; 1 when it finished with dead letters; the error's catalogue exit, else its kind's. */
export function exitCodeFor(end: CommandEnd): ExitCode {
  if (end.error) return exitOverrides[end.error.code] ?? exitByKind[end.error.kind];
  return end.failedRecords ? EXIT.recordsFailed : EXIT.ok;
}
