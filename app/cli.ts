/** The `ledgersync` executable (bin/ledgersync.js): the program over the installed connectors. */
import { writeSync } from 'node:fs';
import { createLogger, redact } from '../engine/log.js';
import { watchStopSignals } from './stop-signals.js';

// Before anything heavy is loaded, so that a SIGTERM during start-up still ends in a summary.
watchStopSignals();

// Output that cannot be written never turns a command into a crash, whose exit 1 would tell a
// scheduler that records failed. A reader that stops early (`ledgersync test … | head`) closes the
// pipe: the rest has nowhere to go and the command keeps its own exit code. The log on stderr is best
// effort (a full disk under it must not stop a run halfway). stdout carries what a scheduler parses
// (`--json`): a command that succeeded but could not write it exits 2, saying so on stderr.
process.stderr.on('error', () => undefined);
let stdoutLost: NodeJS.ErrnoException | undefined;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') stdoutLost ??= error;
});
process.on('exit', () => {
  if (!stdoutLost || (process.exitCode !== undefined && process.exitCode !== 0)) return;
  process.exitCode = 2;
  writeStderr(
    `error: ledgersync could not write its output to stdout (${stdoutLost.code ?? stdoutLost.message}). Fix: check where stdout goes (a full disk, a closed file)\n`,
  );
});
// A defect of ledgersync, not of the records: exit 2 (kind system) with the message, not node's 1.
// Masked like every other line (a library's message may quote a header), and in the log format asked
// for once the program is loaded (`jsonLogs`); the stack is for the bug report: in text it follows the
// line, in JSON it is a debug line.
const CRASH_FIX = 'report this as a ledgersync bug, with the log of the run at LEDGERSYNC_LOG_LEVEL=debug (it has the stack trace, secrets masked)';
let jsonLogs = false;
process.on('uncaughtException', (error) => {
  const message = `ledgersync stopped on an unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  const stack = error instanceof Error ? error.stack : undefined;
  if (jsonLogs) {
    const log = createLogger({ json: true, write: (line) => writeStderr(line + '\n') });
    log.error(message, { code: 'unexpected_error', kind: 'system', fix: CRASH_FIX, exit_code: 2 });
    if (stack) log.debug('the stack of the unexpected error', { stack });
  } else {
    writeStderr(redact(`error: ${message} Fix: ${CRASH_FIX}\n${stack ? stack + '\n' : ''}`));
  }
  process.exit(2);
});

function writeStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // Nowhere left to say it.
  }
}

const [{ asLedgersyncError, errorSummary }, { exitCodeFor }, { requestedLogFormat }, { commandScope, logFinished }, { buildProgram }, { installedConnectors }] =
  await Promise.all([
    import('../engine/errors.js'),
    import('../engine/exit-codes.js'),
    import('./logging.js'),
    import('./command-logging.js'),
    import('./program.js'),
    import('./registry.js'),
  ]);
jsonLogs = requestedLogFormat(process.argv, process.env) === 'json';

buildProgram(installedConnectors)
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const e = asLedgersyncError(error);
    process.exitCode = exitCodeFor({ error: e });
    // A command asked for JSON says why it stopped in JSON too (a state it cannot open, say), not only on stderr.
    if (process.argv.includes('--json')) process.stdout.write(JSON.stringify({ error: errorSummary(e) }) + '\n');
    if (requestedLogFormat(process.argv, process.env) === 'json') {
      // Under the scope of the command that stopped, which then ends with its `finished` line like the others.
      createLogger({ json: true, write: (line) => process.stderr.write(line + '\n') }, commandScope()).error(e.message, {
        code: e.code,
        kind: e.kind,
        ...(e.fix ? { fix: e.fix } : {}),
        exit_code: process.exitCode,
      });
      logFinished();
    } else {
      process.stderr.write(redact(`error: ${e.actionable}`) + '\n');
    }
  })
  // Ends as soon as the command has (its output's errors reported first): in node's own teardown of
  // what is left (sockets, timers) a signal is no longer handled, so a scheduler's second SIGTERM
  // right after the stop turned exit 3 into 143. But only once stdout and stderr are written out: to a
  // pipe they are written asynchronously, and a reader a second late got the first 64 KiB of a
  // `--json` object, with exit 0.
  .finally(() => Promise.all([writtenOut(process.stdout), writtenOut(process.stderr)]).then(() => setImmediate(() => process.exit())));

/** Resolves once what was written to `stream` has been handed to the system (or the stream failed). */
function writtenOut(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}
