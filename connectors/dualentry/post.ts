/**
 * `ledgersync post <pipeline> --period 2026-10 [--repost]`: posts one period's recognition journal
 * now (backfills, out-of-cycle posts), or reverses and re-posts it after a mapping fix. Takes the
 * pipeline's run lock, like a run, so a post never races a run over the same state.
 */
import { EXIT, type LedgersyncError, asLedgersyncError, formatProblem, type ConfigProblem } from '../../engine/errors.js';
import { loadPipeline } from '../../engine/config/load.js';
import type { SinkContext } from '../../engine/connector/types.js';
import { closeHttpAgent } from '../../engine/http/connection.js';
import { createLogger, redact, type Logger } from '../../engine/log.js';
import { factoryInput, sinkContext } from '../../engine/run/runner.js';
import { StateStore } from '../../engine/state/store.js';
import { createDualEntrySink, type DualEntrySinkOptions } from './index.js';
import type { PostOutcome, PostedEntrySummary } from './poster.js';

export interface PostPeriodOptions {
  pipelinePath: string;
  statePath: string;
  /** `2026-10` for monthly periods, `2026-Q4` for quarterly ones. */
  period: string;
  /** Reverse the entry in effect and post a corrected one (after a mapping change). Default false. */
  repost?: boolean;
  /** Variables for `${VAR}`. Default `process.env`. */
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** Clock for tests. */
  now?: DualEntrySinkOptions['now'];
}

export interface PostSummary {
  status: PostOutcome['status'] | 'locked' | 'invalid';
  exitCode: 0 | 1 | 2 | 3 | 4;
  pipeline: string;
  period: string;
  runId: string;
  entries: PostedEntrySummary[];
  /** DualEntry requests this command made. */
  apiCalls: number;
  error?: { code: string; kind: string; message: string; fix?: string };
  problems?: ConfigProblem[];
}

function exitFor(kind: string): 2 | 3 {
  return kind === 'config' || kind === 'system' ? EXIT.config : EXIT.authOrConnection;
}

export async function postPeriod(options: PostPeriodOptions): Promise<PostSummary> {
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger();
  const base = { period: options.period, runId: '', entries: [], apiCalls: 0 };
  const loaded = await loadPipeline(options.pipelinePath, { env, mode: 'run' });
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (!loaded.plan || errors.length) {
    return {
      ...base,
      status: 'invalid',
      exitCode: EXIT.config,
      pipeline: options.pipelinePath,
      problems: errors,
      error: { code: 'invalid_configuration', kind: 'config', message: errors.map(formatProblem).join('\n') },
    };
  }
  const plan = loaded.plan;
  if (plan.sink.config.connector !== 'dualentry') {
    return {
      ...base,
      status: 'invalid',
      exitCode: EXIT.config,
      pipeline: plan.name,
      error: {
        code: 'not_a_posting_sink',
        kind: 'config',
        message: `ledgersync post posts revenue-recognition periods into DualEntry; pipeline ${plan.name} writes to ${plan.sink.config.connector}`,
      },
    };
  }

  const state = StateStore.open(options.statePath);
  const begun = state.beginRun(plan.name);
  if ('heldBy' in begun) {
    state.close();
    return {
      ...base,
      status: 'locked',
      exitCode: EXIT.locked,
      pipeline: plan.name,
      error: {
        code: 'run_locked',
        kind: 'config',
        message: `pipeline '${plan.name}' is running (run ${begun.heldBy.runId}, pid ${begun.heldBy.pid}); post refused`,
        fix: 'wait for the run to finish, then post again',
      },
    };
  }
  const runId = begun.runId;
  const controller = new AbortController();
  let summary: PostSummary;
  try {
    const sink = createDualEntrySink(factoryInput(plan, 'sink', log, controller.signal), options.now ? { now: options.now } : {});
    const ctx: SinkContext = sinkContext({
      plan,
      state,
      runId,
      log: log.child('post'),
      signal: controller.signal,
      now: options.now ?? (() => Math.floor(Date.now() / 1000)),
      secretKey: env['LEDGERSYNC_SECRET_KEY'],
    });
    const outcome = await sink.post(options.period, { repost: options.repost ?? false }, ctx);
    summary = {
      status: outcome.status,
      exitCode: outcome.error ? exitFor(outcome.error.kind) : EXIT.ok,
      pipeline: plan.name,
      period: outcome.period,
      runId,
      entries: outcome.entries,
      apiCalls: outcome.apiCalls,
      ...(outcome.error ? { error: { ...outcome.error, message: redact(outcome.error.message) } } : {}),
    };
  } catch (thrown) {
    const error: LedgersyncError = asLedgersyncError(thrown);
    log.error(error.actionable);
    summary = {
      ...base,
      runId,
      status: 'failed',
      exitCode: exitFor(error.kind),
      pipeline: plan.name,
      error: { code: error.code, kind: error.kind, message: redact(error.message), ...(error.fix ? { fix: error.fix } : {}) },
    };
  }
  // No stream counts: a post reads nothing. Its entries are in the revenue-recognition status.
  state.finishRun(plan.name, runId, summary.status === 'failed' ? 'failed' : 'success', summary.exitCode, {}, summary.error);
  state.close();
  await closeHttpAgent();
  return summary;
}
