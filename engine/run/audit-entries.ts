/**
 * What the audit trail keeps of a batch: the attempt (what the sink was given, why) before the
 * sink is called, and the answer after. The engine records every sink's writes here, so a connector
 * gets an audit trail without code; a sink that knows more (the body it really sent, the HTTP status)
 * adds it through `SinkResult.audit`.
 */
import { asLedgersyncError } from '../errors.js';
import type { SinkRecord, SinkResult, SinkWriteTrail } from '../connector/types.js';
import type { AuditAnswer, AuditAttempt } from '../state/audit-trail.js';
import type { StateStore } from '../state/store.js';

/** A record's `dataJson`, when the engine wrote it, is the trail's payload text: not serialised again. */
export function attemptsOf(batch: readonly SinkRecord[], trigger: (sourceId: string) => string): AuditAttempt[] {
  return batch.map((record) => ({
    stream: record.stream,
    sourceId: record.sourceId,
    sourceVersion: record.sourceVersion ?? null,
    object: record.object,
    action: record.action,
    trigger: trigger(record.sourceId),
    payload: record.data,
    ...(record.dataJson !== undefined ? { payloadCanonical: record.dataJson } : {}),
  }));
}

function httpStatusOf(details: Record<string, unknown>): number | undefined {
  const status = details['status'] ?? details['http_status'];
  return typeof status === 'number' ? status : undefined;
}

export function answerOf(result: SinkResult): AuditAnswer {
  const audit = result.audit;
  const vendor = {
    ...(audit?.httpStatus !== undefined ? { http_status: audit.httpStatus } : {}),
    ...(audit?.vendorCode !== undefined ? { vendor_code: audit.vendorCode } : {}),
  };
  const sent = audit?.sent !== undefined ? { sent: audit.sent } : {};
  if (result.status === 'failed') {
    const status = audit?.httpStatus ?? httpStatusOf(result.error.details);
    return {
      outcome: 'failed',
      ...sent,
      answer: { status: 'failed', ...vendor, ...(status !== undefined ? { http_status: status } : {}), error: result.error.toJSON() },
    };
  }
  const target = {
    ...(result.targetId !== undefined ? { target_id: result.targetId } : {}),
    ...(result.targetVersion !== undefined ? { target_version: result.targetVersion } : {}),
  };
  return {
    outcome: result.status,
    targetId: result.targetId,
    targetVersion: result.targetVersion,
    ...sent,
    answer: { status: result.status, ...target, ...vendor, ...(result.status === 'skipped' ? { reason: result.reason } : {}) },
  };
}

/** The answer of every record of a batch whose write threw (connection lost, auth refused, stopped by a signal). */
export function answerOfThrown(thrown: unknown): AuditAnswer {
  const error = asLedgersyncError(thrown);
  const status = httpStatusOf(error.details);
  return {
    outcome: 'error',
    answer: { status: 'error', ...(status !== undefined ? { http_status: status } : {}), error: error.toJSON() },
  };
}

/** The trail a sink records its own writes in (SinkContext.writeTrail), under the run that holds the lock. */
export function sinkWriteTrail(state: StateStore, pipeline: string, runId: string, trigger: string): SinkWriteTrail {
  return {
    begin(write) {
      // Fencing, as for the writer's batches: a write the sink makes on its own (a posted journal,
      // a reversal) goes out only while this run still holds the pipeline.
      const [opened] = state.transaction(() => {
        state.assertLease(pipeline, runId);
        return state.audit.open(pipeline, runId, [{ ...write, sourceVersion: null, trigger }]);
      });
      let settled = false;
      const settle = (answer: AuditAnswer) => {
        if (settled || !opened) return;
        settled = true;
        state.audit.seal(pipeline, [opened], [answer]);
      };
      return {
        answered: (result) => settle(answerOf(result)),
        threw: (error) => settle(answerOfThrown(error)),
      };
    },
  };
}
