/** `ledgersync state …`: what an operator does to a deployment's state database as a whole. */
import type { Command } from 'commander';
import { EXIT } from '../engine/exit-codes.js';
import { copyState } from '../engine/state/copy.js';
import { openCopySource } from '../engine/state/copy-source.js';
import { noStateAt, printableLocation } from '../engine/state/driver.js';
import { LedgersyncError } from '../engine/errors.js';
import { StateStore } from '../engine/state/store.js';
import { statePath } from './state-path.js';

export function addStateCommands(program: Command): void {
  const state = program.command('state').description("move a deployment's state between databases");
  state
    .command('migrate')
    .description(
      'copy every state table (ledger, checkpoints, operations, dead letters, runs, locks, kv, secrets still encrypted; schedules into PostgreSQL) into another database, e.g. a SQLite file into PostgreSQL, leaving the source as it was; refused while a run holds a lock or when the target already has state of the same pipeline',
    )
    .requiredOption('--from <location>', 'the state to copy: a SQLite file, or postgres://…')
    .requiredOption('--to <location>', 'where to copy it: postgres://user:pass@host:port/db[?schema=name], or a SQLite file')
    .option('--json', 'print {pipelines, tables: [{table, rows}], skipped: [{table, rows, reason}], upgraded_from?} as JSON', false)
    .action((opts: { from: string; to: string; json: boolean }) => {
      const source = statePath(opts.from);
      // A mistyped path would otherwise be created empty and "copied": zero pipelines, exit 0.
      if (noStateAt(source)) {
        throw new LedgersyncError('state_unreadable', 'config', `--from ${source}: there is no state file there`, {
          fix: 'give the state file the pipelines run with (their --state or LEDGERSYNC_STATE)',
        });
      }
      const from = openCopySource(source);
      try {
        const to = StateStore.open(statePath(opts.to));
        try {
          const report = copyState(from.store, to, printableLocation(source));
          const upgraded = from.upgradedFrom === undefined ? {} : { upgraded_from: from.upgradedFrom };
          if (opts.json) {
            process.stdout.write(JSON.stringify({ ...report, ...upgraded }) + '\n');
          } else {
            process.stdout.write(
              `copied the state of ${report.pipelines.length} pipeline(s) (${report.pipelines.join(', ') || 'none'}) from ${printableLocation(source)} to ${printableLocation(to.path)}:\n` +
                report.tables.map((t) => `  ${t.table.padEnd(16)} ${String(t.rows).padStart(9)} rows\n`).join('') +
                report.skipped.map((t) => `  ${t.table.padEnd(16)} ${String(t.rows).padStart(9)} rows not copied: ${t.reason}\n`).join('') +
                (from.upgradedFrom === undefined
                  ? ''
                  : `${printableLocation(source)} is at state schema ${from.upgradedFrom}: a temporary copy of it was upgraded to this ledgersync's schema and copied\n`) +
                `point --state / LEDGERSYNC_STATE at the new database; ${printableLocation(source)} is left as it was (keep it as a backup)\n`,
            );
          }
          process.exitCode = EXIT.ok;
        } finally {
          to.close();
        }
      } finally {
        from.close();
      }
    });
}
