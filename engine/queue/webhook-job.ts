/**
 * A `webhook` job: the event `ledgersync serve` stored in webhook_events (PostgreSQL state), synced
 * on a worker by the same logic as serve's own drain (engine/serve/event-sync.ts), under the same
 * run lock as every run of the pipeline. The job carries the event's id, not its body: the row is in
 * the same database, and the event is fetched again from the source by id before anything is written.
 * Queued events of the same pipeline that are due go along in the same short run, so a burst of
 * deliveries takes the lock once; their own jobs then find them done.
 *
 * While its event waits, a job never completes: it fails as transient, so that pg-boss gives it
 * again (and the re-armer, engine/queue/webhook-rearm.ts, after its retries) until the event is done
 * or dropped. A completed job would strand its event, since a redelivery sends the same job id.
 */
import { ConfigError, LedgersyncError, asLedgersyncError, errorSummary, type ErrorCode, type ErrorSummary } from '../errors.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import type { Logger } from '../log.js';
import { loadPipeline } from '../config/load.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import { runLockedError, withState } from '../run/lifecycle.js';
import type { RunSummary } from '../run/runner.js';
import { syncEventsUnderLock } from '../serve/event-sync.js';
import type { QueuedEvent } from '../state/webhook-queue.js';

/** Events per short run, as serve's drain takes them. */
const BATCH = 50;

export interface WebhookJobInput {
  connectors: ConnectorRegistry;
  stateUrl: string;
  pipelinePath: string;
  eventId: string;
  log: Logger;
  signal: AbortSignal;
  env?: Record<string, string | undefined>;
}

/** `already_synced` when the event was done or dropped before this job came (a batch took it, or a retry after it finished). */
export type WebhookJobResult = { summary: RunSummary; skipped?: 'already_synced' | 'unknown_event' };

function summaryOf(pipeline: string, status: RunSummary['status'], error: LedgersyncError, runId = ''): RunSummary {
  return { status, exitCode: exitCodeFor({ error }), runId, pipeline, streams: {}, error: errorSummary(error) };
}

/**
 * A configuration error stops the job of an event that still waits as a transient one: retried, it
 * syncs the event once the worker's environment, the pipeline or the credentials are fixed, without
 * anyone sending the event again. Its code, message and fix stay the configuration error's.
 */
function retriedUntilFixed(error: LedgersyncError, eventId: string): LedgersyncError {
  if (exitCodeFor({ error }) !== EXIT.config) return error;
  return new LedgersyncError(error.code, 'transient', `${error.message}\n(event ${eventId} stays queued; its job is retried until this is fixed)`, {
    ...(error.fix ? { fix: error.fix } : {}),
    details: error.details,
    cause: error,
  });
}

/** Why the job's own event still waits after its sync: the error the sync put it back with (a strange answer for it alone). */
function stillWaiting(event: QueuedEvent): LedgersyncError {
  // Stored by the sync with errorSummary().
  const why = event.error as Partial<ErrorSummary> | null;
  if (!why?.code) {
    return new LedgersyncError(
      'run_locked',
      'config',
      `event ${event.eventId} is ${event.status} after its sync: another run has taken it; its job is retried`,
      {
        fix: 'nothing to do: the retry finds it done, or syncs it',
      },
    );
  }
  return new LedgersyncError(
    why.code as ErrorCode,
    'transient',
    `event ${event.eventId} is still ${event.status} after its sync: ${why.message ?? why.code}; its job is retried`,
    {
      ...(why.fix ? { fix: why.fix } : {}),
    },
  );
}

export async function runWebhookJob(input: WebhookJobInput): Promise<WebhookJobResult> {
  const env = input.env ?? process.env;
  const loaded = await loadPipeline(input.pipelinePath, { env, mode: 'run', connectorsDir: input.connectors.descriptorsDir });
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (!loaded.plan || errors.length) {
    const error = retriedUntilFixed(new ConfigError(errors), input.eventId);
    return { summary: { ...summaryOf(input.pipelinePath, 'invalid', error), problems: errors } };
  }
  const plan = loaded.plan;
  const log = input.log;
  try {
    return await withState(input.stateUrl, async (state) => {
      const event = state.webhooks.get(plan.name, input.eventId);
      const nothing = (skipped: NonNullable<WebhookJobResult['skipped']>): WebhookJobResult => ({
        summary: { status: 'success', exitCode: 0, runId: event?.runId ?? '', pipeline: plan.name, streams: {} },
        skipped,
      });
      if (!event) {
        log.warn(`${plan.name}: event ${input.eventId} is not in this state's webhook_events; nothing to sync`);
        return nothing('unknown_event');
      }
      if (event.status === 'done' || event.status === 'dropped') {
        log.info(`${plan.name}: event ${input.eventId} is already ${event.status}; nothing more to do`);
        return nothing('already_synced');
      }
      // `processing` is an event a worker that died was syncing: the lock is ours now, so it is ours too.
      const others = state.webhooks.due(plan.name, Date.now(), BATCH).filter((e) => e.eventId !== event.eventId);
      const due = [event, ...others].slice(0, BATCH);
      const synced = await syncEventsUnderLock(
        { plan, connectors: input.connectors, state, log, signal: input.signal, secretKey: env['LEDGERSYNC_SECRET_KEY'] },
        due,
      );
      if ('locked' in synced) return { summary: summaryOf(plan.name, 'locked', runLockedError(plan.name, synced.heldBy)) };
      const after = state.webhooks.get(plan.name, input.eventId);
      if (after && (after.status === 'queued' || after.status === 'processing')) {
        const error = stillWaiting(after);
        log.warn(`${plan.name}: ${error.message}`);
        return { summary: { ...summaryOf(plan.name, 'failed', error, synced.runId), streams: synced.result.counts } };
      }
      const { counts, waiting } = synced.result;
      // Work the sink keeps in retry (a period a locked period refused) counts like a dead letter, as in a run.
      const failed = Object.values(counts).reduce((n, c) => n + c.failed, 0) + waiting.length;
      return {
        summary: {
          status: failed ? 'partial' : 'success',
          exitCode: exitCodeFor({ failedRecords: failed }),
          runId: synced.runId,
          pipeline: plan.name,
          streams: counts,
          ...(waiting.length ? { waiting: waiting.map((w) => ({ subject: w.subject, ...errorSummary(w.error) })) } : {}),
        },
      };
    });
  } catch (thrown) {
    const error = input.signal.aborted
      ? new LedgersyncError('run_aborted', 'transient', `the worker stopped while event ${input.eventId} was being synced; it is queued again`)
      : retriedUntilFixed(asLedgersyncError(thrown), input.eventId);
    log.error(`${plan.name}: event ${input.eventId} could not be synced and stays queued: ${error.actionable}`);
    return { summary: summaryOf(plan.name, 'failed', error) };
  }
}
