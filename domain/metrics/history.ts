/**
 * Each subscription's history as a list of observations, and its value at any instant.
 *
 * Sources, strongest first:
 * 1. Deletion: a subscription Chargebee lists as deleted (record `deleted_at`, or an event that
 *    deleted it) counts in no month, whatever else says.
 * 2. The latest observation at or before the instant: an event snapshot at its `occurred_at` (the
 *    pipeline also keeps every record it listed as a snapshot at its `updated_at`), or the record as
 *    listed, from its `updated_at` (it wins a tie, being the freshest read). Only before the first
 *    observation is one read backwards: the earliest, through its dates (start, trial, cancellation).
 *    Within an observation, dates beat status (see activity.ts).
 * 3. A later observation's cancellation and pause dates govern the instants they cover, whatever the
 *    observation of rule 2 said (a cancellation backdated in Chargebee: activity.ts stoppedByDatesAt).
 * 4. Invoice lines' service periods, only for a subscription that has neither a record nor a snapshot.
 */
import { isCountedAt, startOf, stoppedByDatesAt } from './activity.js';
import type { BilledLine, SubscriptionRecord, SubscriptionSnapshot, SubscriptionState } from './model.js';
import { lineValue, type LineValue } from './lines.js';
import { stateValue, type Catalog, type StateValue } from './value.js';
import { add as addRatio, ZERO, type Ratio } from './ratio.js';

/** What one subscription adds to its customer at an instant, in its own currency. */
export interface Contribution {
  customerId: string;
  currency: string;
  mrr: Ratio;
  temporaryDiscount: Ratio;
}

export interface SubscriptionHistory {
  id: string;
  /** Earliest instant any source puts the subscription at, to know where history starts; undefined when no source gives a date. */
  earliest: number | undefined;
  /** The contribution at `t`, or undefined when the subscription is not counted then. */
  at(t: number): Contribution | undefined;
}

interface Observation {
  at: number;
  /** Tie-break at the same second: snapshots by their resource_version, the record last. */
  order: number;
  customerId: string;
  state: SubscriptionState;
  value?: StateValue;
  /** The same contribution every month when no temporary discount can change with the instant. */
  constant?: Contribution;
}

const RECORD_ORDER = Number.POSITIVE_INFINITY;

function earliestOf(observations: readonly Observation[]): number | undefined {
  let earliest: number | undefined;
  for (const o of observations) {
    for (const t of [o.at, startOf(o.state), o.state.trialStart]) {
      if (t !== undefined && Number.isFinite(t) && (earliest === undefined || t < earliest)) earliest = t;
    }
  }
  return earliest;
}

function observedHistory(id: string, observations: Observation[], catalog: Catalog): SubscriptionHistory {
  observations.sort((a, b) => a.at - b.at || a.order - b.order);
  return {
    id,
    earliest: earliestOf(observations),
    at(t) {
      // Observations are few per subscription: a backwards scan beats a binary search here. The
      // observations it passes are those after `t`, whose cancellation and pause dates still count.
      let governing = observations[0] as Observation;
      for (let i = observations.length - 1; i >= 0; i--) {
        const o = observations[i] as Observation;
        if (o.at <= t) {
          governing = o;
          break;
        }
        if (stoppedByDatesAt(o.state, t)) return undefined;
      }
      if (!isCountedAt(governing.state, governing.at, t)) return undefined;
      if (governing.constant) return governing.constant;
      const value = (governing.value ??= stateValue(governing.state, id, catalog));
      const contribution = {
        customerId: governing.customerId,
        currency: governing.state.currency,
        mrr: value.mrr,
        temporaryDiscount: value.temporaryDiscountAt(t),
      };
      if (!value.variesWithTime) governing.constant = contribution;
      return contribution;
    },
  };
}

function billedHistory(id: string, lines: readonly BilledLine[], catalog: Catalog): SubscriptionHistory | undefined {
  const valued = lines.flatMap((line) => lineValue(line, catalog) ?? []);
  if (valued.length === 0) return undefined;
  // Latest invoice first, so the first line found per item price is the one that wins.
  valued.sort((a, b) => b.line.invoiceDate - a.line.invoiceDate || (a.line.id < b.line.id ? -1 : 1));
  return {
    id,
    earliest: Math.min(...valued.map((v) => v.from)),
    at(t) {
      const seen = new Set<string>();
      let found: LineValue | undefined;
      let mrr = ZERO;
      let temporaryDiscount = ZERO;
      for (const v of valued) {
        if (v.from > t || t > v.to || seen.has(v.itemKey)) continue;
        seen.add(v.itemKey);
        found ??= v;
        mrr = addRatio(mrr, v.mrr);
        temporaryDiscount = addRatio(temporaryDiscount, v.temporaryDiscount);
      }
      if (!found) return undefined;
      return { customerId: found.line.customerId, currency: found.line.currency, mrr, temporaryDiscount };
    },
  };
}

/** One history per subscription that is not deleted. */
export function subscriptionHistories(
  subscriptions: readonly SubscriptionRecord[],
  snapshots: readonly SubscriptionSnapshot[],
  invoiceLines: readonly BilledLine[],
  catalog: Catalog,
): SubscriptionHistory[] {
  const observations = new Map<string, Observation[]>();
  const deleted = new Set<string>();
  const observe = (id: string, o: Observation) => {
    const list = observations.get(id);
    if (list) list.push(o);
    else observations.set(id, [o]);
  };
  const lastSnapshotAt = new Map<string, number>();
  for (const s of snapshots) {
    if (s.deleted) deleted.add(s.subscriptionId);
    observe(s.subscriptionId, { at: s.occurredAt, order: s.resourceVersion ?? 0, customerId: s.customerId, state: s.state });
    lastSnapshotAt.set(s.subscriptionId, Math.max(lastSnapshotAt.get(s.subscriptionId) ?? Number.NEGATIVE_INFINITY, s.occurredAt));
  }
  for (const record of subscriptions) {
    if (record.deletedAt !== undefined) deleted.add(record.id);
    // The record describes the subscription from its updated_at (a record read before a later event
    // loses to that event's snapshot). Without updated_at it is taken as the latest word.
    const at = record.updatedAt ?? lastSnapshotAt.get(record.id) ?? Number.NEGATIVE_INFINITY;
    observe(record.id, { at, order: RECORD_ORDER, customerId: record.customerId, state: record.state });
  }

  const histories: SubscriptionHistory[] = [];
  for (const [id, list] of observations) {
    if (!deleted.has(id)) histories.push(observedHistory(id, list, catalog));
  }
  const linesBySubscription = new Map<string, BilledLine[]>();
  for (const line of invoiceLines) {
    const id = line.subscriptionId;
    if (id === undefined || observations.has(id) || line.deletedAt !== undefined) continue;
    const list = linesBySubscription.get(id);
    if (list) list.push(line);
    else linesBySubscription.set(id, [line]);
  }
  for (const [id, lines] of linesBySubscription) {
    const history = billedHistory(id, lines, catalog);
    if (history) histories.push(history);
  }
  return histories;
}
