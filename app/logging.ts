/**
 * What a command writes on stderr, decided once for every command: text for a person (with the TTY
 * progress line cleared before each log line) or JSON lines for a scheduler (`--log-format json`
 * or `LEDGERSYNC_LOG_FORMAT=json`), which `--json` on stdout never silences.
 */
import { Option } from 'commander';
import { createLogger, type LogLevel, type Logger } from '../engine/log.js';
import { createProgress, logProgress, silentProgress, type ProgressReporter } from '../engine/run/progress.js';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const logFormatOption = (): Option =>
  new Option('--log-format <format>', 'stderr log lines: text for people, json (one object a line) for schedulers')
    .choices(LOG_FORMATS)
    .env('LEDGERSYNC_LOG_FORMAT');

/**
 * The format asked for, read from the raw arguments before commander parses them: commander's own
 * errors (an unknown command, a missing argument) must come out in that format too.
 */
export function requestedLogFormat(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): LogFormat {
  for (let i = argv.length - 1; i >= 0; i--) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (arg.startsWith('--log-format=')) return arg.slice('--log-format='.length) === 'json' ? 'json' : 'text';
    if (arg === '--log-format') return argv[i + 1] === 'json' ? 'json' : 'text';
  }
  return env['LEDGERSYNC_LOG_FORMAT'] === 'json' ? 'json' : 'text';
}

export interface CommandOutput {
  log: Logger;
  progress: ProgressReporter;
  /** For engine functions that take a stream for messages to a person: each line becomes a log line. */
  notes: { write(text: string): unknown };
}

export interface CommandOutputOptions {
  format: LogFormat;
  /** The command name, the log scope (`ledgersync:run`). */
  command: string;
  /** `--json` on stdout: text logs keep to errors (a person reads the JSON); JSON logs are unchanged. */
  quiet?: boolean;
  /** Show stream progress (run). Default false. */
  progress?: boolean;
  /** Default: process.stderr. */
  stream?: NodeJS.WriteStream;
  env?: Readonly<Record<string, string | undefined>>;
}

const levels: readonly string[] = ['debug', 'info', 'warn', 'error'];

export function commandOutput(options: CommandOutputOptions): CommandOutput {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  const envLevel = env['LEDGERSYNC_LOG_LEVEL'];
  const chosen = envLevel && levels.includes(envLevel) ? (envLevel as LogLevel) : undefined;
  const scope = `ledgersync:${options.command}`;
  if (options.format === 'json') {
    const log = createLogger({ json: true, level: chosen ?? 'info', write: (line) => stream.write(line + '\n') }, scope);
    return { log, progress: options.progress ? logProgress(log) : silentProgress, notes: lineWriter(log) };
  }
  const progress = options.progress && !options.quiet ? createProgress(stream) : silentProgress;
  const log = createLogger(
    {
      level: options.quiet ? 'error' : (chosen ?? 'info'),
      write: (line) => {
        progress.clearLine();
        stream.write(line + '\n');
      },
    },
    scope,
  );
  return {
    log,
    progress,
    notes: {
      write: (text: string) => {
        progress.clearLine();
        return stream.write(text);
      },
    },
  };
}

/** Text meant for a person, one log line per line: `warning: …` lines at warn, `error: …` at error, the rest at info. */
function lineWriter(log: Logger): { write(text: string): boolean } {
  return {
    write(text: string) {
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        if (/^warning:/i.test(line)) log.warn(line.replace(/^warning:\s*/i, ''));
        else if (/^error:/i.test(line)) log.error(line.replace(/^error:\s*/i, ''));
        else log.info(line);
      }
      return true;
    },
  };
}
