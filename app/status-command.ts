/**
 * `ledgersync status <pipeline> [--stream S] [--code C] [--limit N] [--json]`: cursors, recent runs
 * and the records waiting in the dead-letter table (engine/run/status.ts).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { positiveInteger } from './help.js';
import { commandOutput, type LogFormat } from './logging.js';
import { statePath } from './state-path.js';

export function addStatusCommand(program: Command, connectors: ConnectorRegistry, logFormat: () => LogFormat): void {
  program
    .command('status')
    .description('show cursors, recent runs and records waiting in the dead-letter table')
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--state <path>', 'state database')
    .option('--stream <name>', 'only dead-letter causes with a failed or blocked record of this stream')
    .option('--code <code>', 'only dead-letter causes of this error code (e.g. lookup_missing)')
    .option('--limit <n>', 'example ids shown per cause (default 3; --json lists every record)', positiveInteger)
    .option('--json', 'print JSON: every dead letter and the causes they group into', false)
    .action(async (pipeline: string, opts: { state?: string; json: boolean; stream?: string; code?: string; limit?: number }) => {
      const { showStatus } = await import('../engine/run/status.js');
      process.exitCode = await showStatus({
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        json: opts.json,
        stream: opts.stream,
        code: opts.code,
        limit: opts.limit,
        out: process.stdout,
        log: commandOutput({ format: logFormat(), command: 'status' }).log,
      });
    });
}
