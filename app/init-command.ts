/**
 * `ledgersync init <customer> --target T [--dir D] [--force]`: a new customer's pipeline folder
 * from the target's example (app/init.ts).
 */
import type { Command } from 'commander';
import { EXIT } from '../engine/exit-codes.js';
import { INIT_TARGETS } from './init-targets.js';

export function addInitCommand(program: Command): void {
  program
    .command('init')
    .description(
      'start a new customer: pipelines/<customer>/ from the example for the target, with a mapping tests file, and once per repository a CI workflow that validates and tests every pipeline',
    )
    .argument('<customer>', 'customer name; it names the folder and the pipeline (letters, digits, . _ -)')
    .requiredOption('--target <connector>', `the system the pipeline posts to: ${Object.keys(INIT_TARGETS).join(', ')}`)
    .option('--dir <dir>', 'the folder that holds pipelines/ (default: the working directory)')
    .option('--force', 'overwrite files that exist', false)
    .action(async (customer: string, opts: { target: string; dir?: string; force: boolean }) => {
      const { formatInitResult, initCustomer } = await import('./init.js');
      const result = initCustomer({ customer, target: opts.target, force: opts.force, ...(opts.dir !== undefined ? { dir: opts.dir } : {}) });
      process.stdout.write(formatInitResult(result, process.cwd()));
      process.exitCode = EXIT.ok;
    });
}
