/** `ledgersync unlock <pipeline> [--state PATH] [--force] [--json]`: releases a run lock left behind. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { commandOutput, type LogFormat } from './logging.js';
import { statePath } from './state-path.js';

export function addUnlockCommand(program: Command, connectors: ConnectorRegistry, logFormat: () => LogFormat): void {
  program
    .command('unlock')
    .description(
      "release a pipeline's run lock left by a run that died (its lease expired, or its process is gone); --force releases a live lease, naming its holder",
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--state <path>', 'state database')
    .option('--force', 'release the lock even though its lease is live (only when you know its process is gone)', false)
    .option('--json', 'print one JSON object: {pipeline, outcome, reason?, holder?: {run_id, pid, hostname, since, lease_expires_at, lease_renewed_at}}', false)
    .action(async (pipeline: string, opts: { state?: string; force: boolean; json: boolean }) => {
      const { unlockPipeline } = await import('../engine/run/unlock.js');
      process.exitCode = await unlockPipeline({
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        force: opts.force,
        json: opts.json,
        out: process.stdout,
        log: commandOutput({ format: logFormat(), command: 'unlock' }).log,
      });
    });
}
