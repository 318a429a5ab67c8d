/** The `ledgersync` executable (bin/ledgersync.js): the program over the installed connectors. */
import { watchStopSignals } from './stop-signals.js';

// Before anything heavy is loaded, so that a SIGTERM during start-up still ends in a summary.
watchStopSignals();

// A reader that stops early (`ledgersync test … | head`) closes the pipe: the rest of the output has
// nowhere to go, and the command still ends with its own exit code instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

const [{ asLedgersyncError }, { exitCodeFor }, { createLogger, redact }, { requestedLogFormat }, { buildProgram }, { installedConnectors }] = await Promise.all(
  [
    import('../engine/errors.js'),
    import('../engine/exit-codes.js'),
    import('../engine/log.js'),
    import('./logging.js'),
    import('./program.js'),
    import('./registry.js'),
  ],
);

buildProgram(installedConnectors)
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const e = asLedgersyncError(error);
    process.exitCode = exitCodeFor({ error: e });
    if (requestedLogFormat(process.argv, process.env) === 'json') {
      createLogger({ json: true, write: (line) => process.stderr.write(line + '\n') }).error(e.message, {
        code: e.code,
        kind: e.kind,
        ...(e.fix ? { fix: e.fix } : {}),
        exit_code: process.exitCode,
      });
    } else {
      process.stderr.write(redact(`error: ${e.actionable}`) + '\n');
    }
  });
