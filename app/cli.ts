/** The `ledgersync` executable (bin/ledgersync.js): the program over the installed connectors. */
import { asLedgersyncError } from '../engine/errors.js';
import { exitCodeFor } from '../engine/exit-codes.js';
import { redact } from '../engine/log.js';
import { buildProgram } from './program.js';
import { installedConnectors } from './registry.js';

buildProgram(installedConnectors)
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const e = asLedgersyncError(error);
    process.stderr.write(redact(`error: ${e.actionable}`) + '\n');
    process.exitCode = exitCodeFor({ error: e });
  });
