/** Structured, redacting logger. Every known secret value is masked before anything is printed. */
import { redact } from './secrets.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

// Secrets are registered and masked in ./secrets.ts; re-exported for the many callers that log.
export { excerpt, redact, redactJson, registerSecret } from './secrets.js';

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  /** Lowest level printed. Default `info` (`LEDGERSYNC_LOG_LEVEL` overrides). */
  level?: LogLevel;
  /** Where lines go. Default: stderr. */
  write?: (line: string) => void;
  /** Print JSON lines instead of plain text. Default false. */
  json?: boolean;
}

export function createLogger(options: LoggerOptions = {}, scope = 'ledgersync'): Logger {
  const level = options.level ?? (process.env['LEDGERSYNC_LOG_LEVEL'] as LogLevel | undefined) ?? 'info';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (lvl: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (order[lvl] < (order[level] ?? 20)) return;
    if (options.json) {
      // Fields never replace the four every line has.
      const { time: _t, level: _l, scope: _s, message: _m, ...extra } = fields ?? {};
      write(redact(JSON.stringify({ time: new Date().toISOString(), level: lvl, scope, message, ...extra })));
    } else {
      // Text is for a person, and the message says it all; the fields are for JSON logs.
      write(redact(`${lvl === 'info' ? '' : lvl.toUpperCase() + ' '}[${scope}] ${message}`));
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (child) => createLogger(options, `${scope}:${child}`),
  };
}

/** A logger that prints nothing (tests, `--json` runs). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
