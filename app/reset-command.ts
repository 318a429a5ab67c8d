/**
 * `ledgersync reset <pipeline> [--stream S]`: forgets cursors; the ledger is kept, so the next run
 * updates changed documents and creates none twice (engine/run/status.ts). `--forget-tokens`
 * forgets instead the stored tokens a lost LEDGERSYNC_SECRET_KEY cannot decrypt (engine/run/forget-tokens.ts).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { LedgersyncError } from '../engine/errors.js';
import { commandOutput, type LogFormat } from './logging.js';
import { statePath } from './state-path.js';

export function addResetCommand(program: Command, connectors: ConnectorRegistry, logFormat: () => LogFormat): void {
  program
    .command('reset')
    .description(
      'forget cursors so the next run re-reads and re-maps from the start (the ledger is kept: only changed documents are updated, none is created twice)',
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--state <path>', 'state database')
    .option('--stream <name>', 'only this stream')
    .option(
      '--forget-tokens',
      "forget instead the stored tokens of the pipeline's connectors that this LEDGERSYNC_SECRET_KEY cannot decrypt (a lost key), so the next run starts from the refresh token in the pipeline file; cursors are kept",
      false,
    )
    .action(async (pipeline: string, opts: { state?: string; stream?: string; forgetTokens: boolean }) => {
      const common = {
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        out: process.stdout,
        log: commandOutput({ format: logFormat(), command: 'reset' }).log,
      };
      if (opts.forgetTokens) {
        if (opts.stream) {
          throw new LedgersyncError('invalid_arguments', 'config', '--forget-tokens forgets tokens, not the cursors of a stream', {
            fix: 'run `ledgersync reset <pipeline> --forget-tokens` and `ledgersync reset <pipeline> --stream <name>` separately',
          });
        }
        const { forgetStoredTokens } = await import('../engine/run/forget-tokens.js');
        process.exitCode = await forgetStoredTokens({ ...common, secretKey: process.env['LEDGERSYNC_SECRET_KEY'] });
        return;
      }
      const { resetPipeline } = await import('../engine/run/status.js');
      process.exitCode = await resetPipeline({ ...common, stream: opts.stream });
    });
}
