/**
 * `ledgersync reset <pipeline> [--stream S]`: forgets cursors; the ledger is kept, so the next run
 * updates changed documents and creates none twice (engine/run/status.ts).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { statePath } from './state-path.js';

export function addResetCommand(program: Command, connectors: ConnectorRegistry): void {
  program
    .command('reset')
    .description(
      'forget cursors so the next run re-reads and re-maps from the start (the ledger is kept: only changed documents are updated, none is created twice)',
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--state <path>', 'state database')
    .option('--stream <name>', 'only this stream')
    .action(async (pipeline: string, opts: { state?: string; stream?: string }) => {
      const { resetPipeline } = await import('../engine/run/status.js');
      process.exitCode = await resetPipeline({
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        stream: opts.stream,
        out: process.stdout,
      });
    });
}
