/** `ledgersync serve`: the CLI side of engine/serve/ (options, signals, exit code). */
import { claimStopSignals } from './stop-signals.js';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, asLedgersyncError, formatProblem } from '../engine/errors.js';
import { EXIT, exitCodeFor } from '../engine/exit-codes.js';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { redact } from '../engine/log.js';
import type { startServe } from '../engine/serve/serve.js';
import { commandOutput, type LogFormat } from './logging.js';
import { statePath } from './state-path.js';

function portOf(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`--port must be a whole number from 0 to 65535, not '${text}'`);
  return port;
}

function secondsOf(option: string, text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0) throw new Error(`${option} must be a positive number of seconds, not '${text}'`);
  return seconds;
}

export function addServeCommand(program: Command, connectors: ConnectorRegistry, logFormat: () => LogFormat): void {
  program
    .command('serve')
    .description(
      "take the pipelines' source webhooks (Chargebee) at POST /webhooks/<pipeline name>, secured by LEDGERSYNC_WEBHOOK_SECRET, and sync what each event names within seconds; GET /healthz; SIGTERM drains the queue and exits 0",
    )
    .argument('<pipelines...>', 'pipeline YAML files, one endpoint each')
    .option('--port <port>', 'port to listen on (0: any free port)', '8080')
    .option('--host <host>', 'address to listen on (0.0.0.0 to take deliveries without a reverse proxy)', '127.0.0.1')
    .option(
      '--state <path>',
      'state database (the queue, the ledger and the audit trail live there); with postgres://… (or LEDGERSYNC_STATE) events go to the job queue and `ledgersync worker` syncs them',
    )
    .option('--dir <folder>', "with PostgreSQL state: the pipeline repository's root, as the workers' --dir (default: the working directory)")
    .option(
      '--stop-grace <seconds>',
      'after SIGTERM, how long the queue may drain before what is left stays queued for the next start (keep it under the grace period of your process manager)',
      '20',
    )
    .action(async (pipelines: string[], opts: { port: string; host: string; state?: string; dir?: string; stopGrace: string }) => {
      const log = commandOutput({ format: logFormat(), command: 'serve' }).log;
      let handle: Awaited<ReturnType<typeof startServe>>;
      try {
        const { startServe } = await import('../engine/serve/serve.js');
        handle = await startServe({
          connectors,
          pipelinePaths: pipelines.map((p) => resolve(p)),
          statePath: statePath(opts.state),
          port: portOf(opts.port),
          host: opts.host,
          jobDir: resolve(opts.dir ?? '.'),
          stopGraceMs: secondsOf('--stop-grace', opts.stopGrace) * 1000,
          log,
        });
      } catch (thrown) {
        const error = asLedgersyncError(thrown, 'config');
        const problems = error instanceof ConfigError ? error.problems.map(formatProblem) : undefined;
        if (logFormat() === 'json') for (const line of problems ?? [error.actionable]) log.error(redact(line), { code: error.code });
        else process.stderr.write(redact((problems ?? [`error: ${error.actionable}`]).join('\n')) + '\n');
        process.exitCode = exitCodeFor({ error });
        return;
      }
      process.stdout.write(`listening on ${handle.url}: ${handle.pipelines.map((p) => `POST /webhooks/${p}`).join(', ')}, GET /healthz\n`);
      let signals = 0;
      const onSignal = (signal: string) => {
        signals++;
        if (signals === 1) {
          log.info(`${signal}: draining the webhook queue before exiting (send it again to stop at once)`);
          handle.stop();
        } else {
          log.warn(`${signal} again: stopping after the request in flight; what is left stays queued for the next start`);
          handle.abort();
        }
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      claimStopSignals(onSignal);
      const { drained } = await handle.closed;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.exitCode = signals > 1 && !drained ? EXIT.authOrConnection : EXIT.ok;
    });
}
