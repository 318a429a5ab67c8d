/** `ledgersync show <pipeline> <source-id> [--stream S] [--state PATH] [--json]`: one record's history (engine/run/show.ts). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { statePath } from './state-path.js';

export function addShowCommand(program: Command, connectors: ConnectorRegistry): void {
  program
    .command('show')
    .description(
      'what the ledger knows of one source record: target id, version and time last written, content hash, last payload sent, operations, dead letter',
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .argument('<source-id>', 'the source record id (e.g. a Chargebee invoice id)')
    .option('--stream <name>', 'only this stream')
    .option('--state <path>', 'state database')
    .option('--json', 'print JSON', false)
    .action(async (pipeline: string, sourceId: string, opts: { stream?: string; state?: string; json: boolean }) => {
      const { showRecord } = await import('../engine/run/show.js');
      process.exitCode = await showRecord({
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        sourceId,
        stream: opts.stream,
        json: opts.json,
        out: process.stdout,
      });
    });
}
