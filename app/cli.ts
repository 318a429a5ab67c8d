/** The `ledgersync` executable (bin/ledgersync.js): the program over the installed connectors. */
import { asLedgersyncError } from '../engine/errors.js';
import { exitCodeFor } from '../engine/exit-codes.js';
import { createLogger, redact } from '../engine/log.js';
import { requestedLogFormat } from './logging.js';
import { buildProgram } from './program.js';
import { installedConnectors } from './registry.js';

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
