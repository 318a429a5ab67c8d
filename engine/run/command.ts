/**
 * Runs a connector's own command (`ledgersync post …`) the way a run goes: the pipeline loaded and
 * checked, the run lock taken and the run recorded, the connector handed what a run would hand it.
 */
import { ConfigError, LedgersyncError, asLedgersyncError, errorSummary, logFailure, type ErrorSummary } from '../errors.js';
import { exitCodeFor } from '../exit-codes.js';
import { createLogger, type Logger } from '../log.js';
import { loadPipelineInterruptibly } from '../config/load-in-worker.js';
import type { CommandSummary, CommandValues, ConnectorCommand } from '../connector/command.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import { withRunLock, type RunLockResult } from './lifecycle.js';
import { stateFailure } from '../state/trouble.js';
import { factoryInput, sinkContext, stoppedBeforeStart } from './runner.js';

export interface CommandRunOptions<Report extends object> {
  /** The connectors this installation offers (the app's registry). */
  connectors: ConnectorRegistry;
  /** The connector that contributes the command: the pipeline must use it on the command's side. */
  connector: string;
  command: ConnectorCommand<Report>;
  /** The pipeline YAML file. */
  pipelinePath: string;
  /** SQLite state file. */
  statePath: string;
  /** The command's option values by option name. */
  values: CommandValues;
  /** Variables for `${VAR}` and LEDGERSYNC_SECRET_KEY. Default `process.env`. */
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** Unix seconds. Default: the clock. */
  now?: () => number;
  signal?: AbortSignal;
}

export async function runConnectorCommand<Report extends object>(options: CommandRunOptions<Report>): Promise<CommandSummary<Report>> {
  const { command } = options;
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger();
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const signal = options.signal ?? new AbortController().signal;
  // As a run that did not start: the reason on the log too (stderr), where a scheduler's log collector reads it.
  const notRun = (status: 'invalid' | 'locked' | 'failed', pipeline: string, error: LedgersyncError, runId = ''): CommandSummary<Report> => {
    logFailure(log, error);
    return {
      status,
      exitCode: exitCodeFor({ error }),
      pipeline,
      ...command.emptyReport(options.values),
      runId,
      error: errorSummary(error),
      ...(error instanceof ConfigError ? { problems: [...error.problems] } : {}),
    };
  };

  const loaded = await loadPipelineInterruptibly(options.pipelinePath, { env, mode: 'run', connectorsDir: options.connectors.descriptorsDir }, signal);
  if ('aborted' in loaded || signal.aborted) return notRun('failed', options.pipelinePath, stoppedBeforeStart());
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  // Named as the file declares itself; by its path only when it could not be read that far.
  if (!loaded.plan || errors.length) return notRun('invalid', loaded.name?.value ?? options.pipelinePath, new ConfigError(errors));
  const plan = loaded.plan;
  const used = plan[command.role].config.connector;
  if (used !== options.connector) {
    const error = new LedgersyncError(
      'command_not_applicable',
      'config',
      `ledgersync ${command.name} is a command of the ${options.connector} connector; pipeline ${plan.name} ${command.role === 'sink' ? 'writes to' : 'reads from'} ${used}`,
      { fix: `give it a pipeline whose ${command.role} is ${options.connector}` },
    );
    return notRun('invalid', plan.name, error);
  }

  let locked: RunLockResult<CommandSummary<Report>>;
  try {
    locked = await withRunLock(options.statePath, plan.name, async ({ state, runId }) => {
      let summary: CommandSummary<Report>;
      try {
        const outcome = await command.run({
          plan,
          values: options.values,
          runId,
          connectorInput: factoryInput(plan, command.role, log, signal),
          sinkContext: sinkContext({
            plan,
            state,
            runId,
            log: log.child(command.name),
            signal,
            now,
            secretKey: env['LEDGERSYNC_SECRET_KEY'],
            trigger: command.name,
          }),
          log: log.child(command.name),
          signal,
          now,
        });
        const error = outcome.error && errorSummary(outcome.error);
        if (error) logFailure(log, failureOf(error));
        summary = { status: outcome.status, exitCode: exitCodeFor({ error }), pipeline: plan.name, ...outcome.report, runId, ...(error ? { error } : {}) };
      } catch (thrown) {
        const error =
          signal.aborted && !(thrown instanceof LedgersyncError)
            ? new LedgersyncError('run_aborted', 'transient', `ledgersync ${command.name} was stopped before it finished; run it again`)
            : asLedgersyncError(stateFailure(state.path, thrown) ?? thrown);
        summary = notRun('failed', plan.name, error, runId);
      }
      return {
        result: summary,
        outcome: { status: summary.error ? 'failed' : 'success', exitCode: summary.exitCode, counts: {}, ...(summary.error ? { error: summary.error } : {}) },
      };
    });
  } catch (error) {
    // The state file could not be opened or written: the summary (and `--json`) still says why.
    return notRun('failed', plan.name, asLedgersyncError(error));
  }
  return 'locked' in locked ? notRun('locked', plan.name, locked.locked) : locked.result;
}

/** The error a command's outcome reports, as the error it stands for (to log it as any other). */
function failureOf(error: ErrorSummary): LedgersyncError {
  return new LedgersyncError(error.code, error.kind, error.message, error.fix ? { fix: error.fix } : {});
}
