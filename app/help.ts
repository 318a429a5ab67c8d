/**
 * What the CLI says about itself: its version, examples and exit codes under `--help`, the valid
 * commands when one is misspelt, and option parsers whose errors name what was expected.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { didYouMean } from '../engine/config/suggest.js';
import { EXIT } from '../engine/exit-codes.js';
import { packageRoot } from '../engine/package-root.js';

/** The version of the installed package. */
export function installedVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export const EXAMPLES = `
Examples:
  $ ledgersync validate "pipelines/**/*.yaml"                  check every pipeline and cases file (what CI runs)
  $ ledgersync test pipelines/acme/acme.yaml pipelines/acme/acme.cases.yaml
  $ ledgersync run pipelines/acme/acme.yaml                    sync what changed since the last run
  $ ledgersync run pipelines/acme/acme.yaml --stream invoices --stream credit_notes
  $ ledgersync run pipelines/acme/acme.yaml --json --log-format json   for a scheduler
  $ ledgersync status pipelines/acme/acme.yaml --code lookup_missing   dead letters of one cause
  $ ledgersync init acme --target quickbooks-online            start a new customer
  $ ledgersync <command> --help                                a command's own options`;

const exitRows: ReadonlyArray<readonly [number, string, string]> = [
  [EXIT.ok, 'success: every record written or skipped as unchanged', 'nothing to do'],
  [EXIT.recordsFailed, 'finished, but some records failed (status lists them)', 'alert a person; the next run retries them'],
  [EXIT.config, 'configuration error (pipeline, environment, arguments)', 'alert; do not retry until fixed'],
  [EXIT.authOrConnection, 'authentication or connection failure, or stopped by a signal', 'retry later; alert if it persists'],
  [EXIT.locked, 'another run of the same pipeline holds the lock', 'skip this tick'],
];
const meaningWidth = Math.max(...exitRows.map(([, meaning]) => meaning.length));

export const EXIT_CODES = `
Exit codes (and what a scheduler should do):
${exitRows.map(([code, meaning, todo]) => `  ${code}  ${meaning.padEnd(meaningWidth)}  ${todo}`).join('\n')}

Environment:
  LEDGERSYNC_STATE        state database (default .ledgersync/state.db)
  LEDGERSYNC_LOG_FORMAT   text or json (stderr log lines)
  LEDGERSYNC_LOG_LEVEL    debug, info, warn or error (default info)
  LEDGERSYNC_SECRET_KEY   encrypts tokens kept in the state database
`;

/**
 * An unknown command is exit 2 with one line naming the commands, instead of commander's
 * suggestion followed by the whole help.
 */
export function refuseUnknownCommands(program: Command): void {
  program.on('command:*', (operands: string[]) => {
    const names = program.commands.map((c) => c.name()).filter((n) => n !== 'help');
    const name = operands[0] ?? '';
    program.error(`error: unknown command '${name}'${didYouMean(name, names)}; the commands are: ${names.join(', ')}`, {
      code: 'commander.unknownCommand',
      exitCode: EXIT.config,
    });
  });
}

/**
 * `--stream a --stream b` and `--stream a,b`: repeatable rather than variadic, so
 * `run --stream invoices pipeline.yaml` keeps the pipeline as the pipeline.
 */
export function collectNames(value: string, previous: string[] | undefined): string[] {
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (!names.length) throw new InvalidArgumentError(`expected a stream name, not '${value}'`);
  return [...(previous ?? []), ...names];
}

export function positiveInteger(value: string): number {
  if (!/^[1-9]\d{0,5}$/.test(value)) throw new InvalidArgumentError(`expected a whole number from 1, not '${value}'`);
  return Number(value);
}
