/**
 * Is a subscription counted in MRR at instant `t`, judged from one observation of it (its state as
 * Chargebee described it at `observedAt`)? Counted = started, not in trial, not cancelled, not paused.
 *
 * Dates beat status: a state's start, trial, cancellation and pause dates say when those things happen
 * on either side of the observation (a trial that ends after the last event, a cancellation scheduled
 * for the end of the term, a start read backwards from the earliest observation). The status is used
 * only where the matching date is missing, and then only from the observation on.
 */
import type { SubscriptionState } from './model.js';

const ENDED = new Set(['cancelled', 'transferred']);

export function startOf(state: SubscriptionState): number | undefined {
  return state.startedAt ?? state.startDate ?? state.activatedAt;
}

function started(state: SubscriptionState, observedAt: number, t: number): boolean {
  const start = startOf(state);
  if (start !== undefined) return start <= t;
  return state.status !== 'future' && t >= observedAt;
}

function inTrial(state: SubscriptionState, t: number): boolean {
  if (state.trialEnd !== undefined) return (state.trialStart ?? Number.NEGATIVE_INFINITY) <= t && t < state.trialEnd;
  return state.status === 'in_trial';
}

function cancelled(state: SubscriptionState, observedAt: number, t: number): boolean {
  const at = state.cancelledAt;
  if (at === undefined) return ENDED.has(state.status) && t >= observedAt;
  if (ENDED.has(state.status) || at > observedAt) return t >= at;
  // Live again at the observation although it was cancelled before: reactivated, at `activated_at`
  // when Chargebee moved it past the cancellation, else at the latest by the observation.
  const until = state.activatedAt !== undefined && state.activatedAt > at ? state.activatedAt : observedAt;
  return at <= t && t < until;
}

function paused(state: SubscriptionState, observedAt: number, t: number): boolean {
  if (state.status === 'paused') {
    const from = state.pauseDate ?? observedAt;
    return from <= t && (state.resumeDate === undefined || t < state.resumeDate);
  }
  if (state.pauseDate === undefined) return false;
  // A pause scheduled after the observation lasts until its resume date; one already over by the
  // observation lasted until the resume date, or at the latest until the observation.
  const until = state.resumeDate ?? (state.pauseDate > observedAt ? Number.POSITIVE_INFINITY : observedAt);
  return state.pauseDate <= t && t < until;
}

/**
 * Do a later observation's own dates say the subscription was out of MRR at `t`, an instant before
 * that observation? Only what a date states counts: a cancellation from `cancelled_at` (to the
 * observation, or to `activated_at` of a subscription live again), a pause from `pause_date` to
 * `resume_date` (to the observation when it is still paused). A gap that `cancelled` or `paused`
 * infers from the observation's instant alone is no fact about `t`, and an earlier observation's
 * word stands there.
 */
export function stoppedByDatesAt(state: SubscriptionState, t: number): boolean {
  const cancelledAt = state.cancelledAt;
  if (cancelledAt !== undefined && cancelledAt <= t) {
    if (ENDED.has(state.status)) return true;
    if (state.activatedAt !== undefined && state.activatedAt > cancelledAt && t < state.activatedAt) return true;
  }
  const pauseDate = state.pauseDate;
  if (pauseDate !== undefined && pauseDate <= t) {
    if (state.resumeDate !== undefined ? t < state.resumeDate : state.status === 'paused') return true;
  }
  return false;
}

export function isCountedAt(state: SubscriptionState, observedAt: number, t: number): boolean {
  return started(state, observedAt, t) && !inTrial(state, t) && !cancelled(state, observedAt, t) && !paused(state, observedAt, t);
}
