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
      // JSON escapes every control character but U+2028 and U+2029, which some readers take for line ends.
      write(redact(JSON.stringify({ time: new Date().toISOString(), level: lvl, scope, message, ...extra })).replace(/[\u2028\u2029]/g, escapeChar));
    } else {
      // Text is for a person, and the message says it all; the fields are for JSON logs.
      write(oneLine(redact(`${lvl === 'info' ? '' : lvl.toUpperCase() + ' '}[${scope}] ${message}`)));
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

/**
 * A text log entry is one line whatever its message holds (a name from a request path, a vendor's
 * message): line breaks and the other control characters are written escaped (`\n`, `\u001b`), so
 * nothing logged can start a line of its own that reads like ledgersync's.
 */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, escapeChar);
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(char: string): string {
  return SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
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
