/**
 * The sink's durable recognition state, in the connector's key/value store:
 * - `revrec:doc:<stream>:<id>`   the current schedule of one billing document
 * - `revrec:totals:<period>`     the sum of every document's rows for that period, by currency/code/component
 * - `revrec:posted:<period>`     how much of that period's totals has gone into posted journals
 * - `revrec:opening:<period>`    what documents scheduled into the period when each was first seen
 *                                (the opening balance of a period before `first_period`)
 * - `revrec:periods`             the periods that have totals, ascending
 * - `revrec:postings:<period>`   every entry posted for the period (journal, reversal, correction)
 * - `revrec:posted-through`      the latest period marked posted: an earlier one without entries is final
 * - `revrec:account-totals`      by currency and account, the exact total of every entry posted and
 *                                what DualEntry holds of it, rounded (entry-lines.ts `fitCumulatively`)
 * - `revrec:retry`               the batch that failed to post and what to fix, until it posts
 * A document update changes the totals; the difference against what was posted is what the next
 * posting (or a repost) carries, so a posted amount is never posted twice and never lost.
 */
import type { ErrorCode, ErrorKind } from '../../engine/errors.js';
import type { KeyValueStore } from '../../engine/connector/types.js';
import { scheduleComponents, type ScheduleComponent, type ScheduleRow } from '../../domain/revrec/schedule.js';
import type { JournalLine, TotalsRow } from '../../domain/revrec/journal.js';
import type { PeriodCalendar } from '../../domain/revrec/calendar.js';
import { addToAccountTotals, heldLines, type AccountTotals } from './entry-lines.js';

/** Amounts of one period by currency → accounting code → component (billed, tax, revenue, discount). */
type Totals = Record<string, Record<string, number[]>>;

const componentIndex: Readonly<Record<ScheduleComponent, number>> = { billed: 0, tax: 1, revenue: 2, discount: 3 };

function addTo(totals: Totals, currency: string, code: string, component: number, amount: number): void {
  const byCode = (totals[currency] ??= {});
  const amounts = (byCode[code] ??= [0, 0, 0, 0]);
  amounts[component] = (amounts[component] as number) + amount;
}

/** Drops all-zero entries so a period's totals stay as small as what it holds. */
function pruned(totals: Totals): Totals {
  for (const [currency, byCode] of Object.entries(totals)) {
    for (const [code, amounts] of Object.entries(byCode)) if (amounts.every((a) => a === 0)) delete byCode[code];
    if (Object.keys(byCode).length === 0) delete totals[currency];
  }
  return totals;
}
/** [period, accounting code, component, signed minor units] */
export type StoredRow = [string, string, ScheduleComponent, number];

/**
 * One document's schedule, compact because it is kept for every invoice and credit note:
 * accounting code → period → amounts by component (billed, tax, revenue, discount).
 */
interface StoredDocument {
  currency: string;
  codes: Record<string, Record<string, number[]>>;
}

function encodeDocument(currency: string, rows: readonly ScheduleRow[]): StoredDocument {
  const codes: StoredDocument['codes'] = {};
  for (const row of rows) {
    const byPeriod = (codes[row.accountingCode] ??= {});
    const amounts = (byPeriod[row.period] ??= [0, 0, 0, 0]);
    const index = componentIndex[row.component];
    amounts[index] = (amounts[index] as number) + row.amount;
  }
  return { currency, codes };
}

export type PostingKind = 'journal' | 'reversal' | 'correction';

export type PostedLine = JournalLine;

export interface PostingRecord {
  kind: PostingKind;
  currency: string;
  /** Deterministic key in the memo, used to find the entry again after a crash or a timeout. */
  ref: string;
  entryNumber: string;
  internalId: string;
  date: string;
  memo: string;
  lines: PostedLine[];
  /** `lines` as DualEntry holds them (rounding line included), when rounding to its 2 decimals changed them. */
  rounded?: PostedLine[];
  /** What this entry carried, by the period the amounts belong to: `[period, code, component, amount]`. */
  included: StoredRow[];
  postedAt: string;
  runId: string;
}

/** What a journal entry carried when it was sent. */
export interface SentEntry {
  lines: PostedLine[];
  /** `lines` as sent, when rounding to DualEntry's 2 decimals changed them. */
  rounded?: PostedLine[];
  included: StoredRow[];
}

/** A sent entry whose answer was not recorded: what to record it as, once DualEntry is found to hold it. */
export interface PendingAttempt extends SentEntry {
  ref: string;
  kind: PostingKind;
  currency: string;
  memo: string;
  date: string;
}

export interface RetryState {
  period: string;
  currency?: string;
  code: ErrorCode;
  kind: ErrorKind;
  message: string;
  fix?: string;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
}

/** Key of the write-ahead record that makes a multi-key update all-or-nothing across a crash. */
const WAL_KEY = 'revrec:wal';
/**
 * Set once `revrec:opening:<period>` is kept. State written before has none: its totals as they stood
 * then are taken as every period's opening amounts (earlier versions never posted a period before
 * `first_period`, so those totals are what its opening balance holds).
 */
const OPENING_KEPT_KEY = 'revrec:opening-kept';
const POSTED_THROUGH_KEY = 'revrec:posted-through';
/** Absent in state written before it was kept: `keepAccountTotals` derives it from the entries recorded. */
const ACCOUNT_TOTALS_KEY = 'revrec:account-totals';
type Writes = Map<string, unknown>;

export class RevrecLedger {
  constructor(private readonly kv: KeyValueStore) {
    const pending = kv.get<Array<[string, unknown]>>(WAL_KEY);
    if (pending) this.apply(pending, true);
  }

  /**
   * Writes several keys as one. A store that offers `transaction(fn)` (the engine's SQLite store may)
   * does it natively; otherwise the new values are first saved under one key, then applied, then that
   * key is removed, and a crash in between is finished by the next `RevrecLedger` on the same store.
   * `null` deletes a key.
   */
  private commit(writes: Writes): void {
    const list = [...writes];
    const transaction = (this.kv as KeyValueStore & { transaction?: (fn: () => void) => void }).transaction;
    if (typeof transaction === 'function') {
      transaction.call(this.kv, () => this.apply(list, false));
      return;
    }
    this.kv.set(WAL_KEY, list);
    this.apply(list, true);
  }

  private apply(list: ReadonlyArray<[string, unknown]>, fromWal: boolean): void {
    for (const [key, value] of list) {
      if (value === null) this.kv.delete(key);
      else this.kv.set(key, value);
    }
    if (fromWal) this.kv.delete(WAL_KEY);
  }

  /** Replaces documents' schedules (all or nothing); returns whether each existed before. */
  replaceDocuments(updates: ReadonlyArray<{ key: string; currency: string; rows: readonly ScheduleRow[] }>): boolean[] {
    const writes: Writes = new Map();
    const read = <T>(key: string): T | undefined => (writes.has(key) ? ((writes.get(key) ?? undefined) as T | undefined) : this.kv.get<T>(key));
    const touched = new Map<string, Totals>();
    const totalsOf = (period: string): Totals => {
      let totals = touched.get(period);
      if (!totals) touched.set(period, (totals = structuredClone(this.kv.get<Totals>(`revrec:totals:${period}`) ?? {})));
      return totals;
    };
    const openingTouched = this.openingKept() ? new Map<string, Totals>() : this.openingFromTotals();
    const openingOf = (period: string): Totals => {
      let opening = openingTouched.get(period);
      if (!opening) openingTouched.set(period, (opening = structuredClone(this.kv.get<Totals>(`revrec:opening:${period}`) ?? {})));
      return opening;
    };
    const existed: boolean[] = [];
    for (const update of updates) {
      const docKey = `revrec:doc:${update.key}`;
      const previous = read<StoredDocument>(docKey);
      existed.push(previous !== undefined);
      for (const [code, byPeriod] of Object.entries(previous?.codes ?? {})) {
        for (const [period, amounts] of Object.entries(byPeriod)) {
          const totals = totalsOf(period);
          amounts.forEach((amount, component) => {
            if (amount) addTo(totals, previous!.currency, code, component, -amount);
          });
        }
      }
      for (const row of update.rows) {
        const component = componentIndex[row.component];
        addTo(totalsOf(row.period), update.currency, row.accountingCode, component, row.amount);
        if (!previous) addTo(openingOf(row.period), update.currency, row.accountingCode, component, row.amount);
      }
      writes.set(docKey, update.rows.length === 0 ? null : encodeDocument(update.currency, update.rows));
    }
    const periods = new Set(this.periods());
    for (const [period, totals] of touched) {
      writes.set(`revrec:totals:${period}`, pruned(totals));
      periods.add(period);
    }
    for (const [period, opening] of openingTouched) writes.set(`revrec:opening:${period}`, pruned(opening));
    writes.set(OPENING_KEPT_KEY, true);
    writes.set('revrec:periods', [...periods].sort());
    this.commit(writes);
    return existed;
  }

  /** Periods that ever had amounts, ascending (period keys sort chronologically). */
  periods(): string[] {
    return this.kv.get<string[]>('revrec:periods') ?? [];
  }

  private openingKept(): boolean {
    return this.kv.get<boolean>(OPENING_KEPT_KEY) === true;
  }

  /** State from before opening amounts were kept: every period's totals as they stand now, as its opening amounts. */
  private openingFromTotals(): Map<string, Totals> {
    return new Map(this.periods().map((period) => [period, structuredClone(this.kv.get<Totals>(`revrec:totals:${period}`) ?? {})]));
  }

  /**
   * Amounts of a period not yet carried by any posted journal. With `afterOpeningBalance` (a period
   * before `first_period`), what documents scheduled into it when first seen counts as posted too:
   * only later changes are due.
   */
  unposted(period: string, options: { afterOpeningBalance?: boolean } = {}): TotalsRow[] {
    const totals = this.kv.get<Totals>(`revrec:totals:${period}`) ?? {};
    const posted = this.kv.get<Totals>(`revrec:posted:${period}`) ?? {};
    const opening = options.afterOpeningBalance ? this.openingAmounts(period) : {};
    const rows: TotalsRow[] = [];
    for (const currency of new Set([...Object.keys(totals), ...Object.keys(posted), ...Object.keys(opening)])) {
      const due = totals[currency] ?? {};
      const done = [posted[currency] ?? {}, opening[currency] ?? {}];
      for (const accountingCode of new Set([...Object.keys(due), ...done.flatMap((d) => Object.keys(d))])) {
        scheduleComponents.forEach((component, i) => {
          const amount = done.reduce((left, d) => left - (d[accountingCode]?.[i] ?? 0), due[accountingCode]?.[i] ?? 0);
          if (amount !== 0) rows.push({ currency, accountingCode, component, amount });
        });
      }
    }
    return rows;
  }

  /** What documents scheduled into the period when each was first seen (before they were kept: its totals, unchanged since). */
  private openingAmounts(period: string): Totals {
    return this.kv.get<Totals>(`revrec:${this.openingKept() ? 'opening' : 'totals'}:${period}`) ?? {};
  }

  /**
   * Records a posted entry, adds what it carried to the posted amounts (subtracts, for a reversal)
   * and clears its attempt marker, all at once.
   */
  recordPosting(period: string, record: PostingRecord): void {
    const writes: Writes = new Map();
    writes.set(`revrec:postings:${period}`, [...this.postings(period), record]);
    const sign = record.kind === 'reversal' ? -1 : 1;
    const touched = new Map<string, Totals>();
    for (const [origin, code, component, amount] of record.included) {
      let posted = touched.get(origin);
      if (!posted) touched.set(origin, (posted = structuredClone(this.kv.get<Totals>(`revrec:posted:${origin}`) ?? {})));
      addTo(posted, record.currency, code, componentIndex[component], sign * amount);
    }
    for (const [origin, posted] of touched) writes.set(`revrec:posted:${origin}`, pruned(posted));
    const accountTotals = this.kv.get<Record<string, AccountTotals>>(ACCOUNT_TOTALS_KEY);
    // Not kept yet (older state): `keepAccountTotals` derives them later from the entries, this one included.
    if (accountTotals) writes.set(ACCOUNT_TOTALS_KEY, withPosting(structuredClone(accountTotals), record));
    writes.set(`revrec:attempt:${record.ref}`, null);
    this.dropAttemptRef(writes, period, record.ref);
    this.commit(writes);
  }

  /** Removes `ref` from the period's list of pending attempts, as part of `writes`. */
  private dropAttemptRef(writes: Writes, period: string, ref: string): void {
    const refs = this.kv.get<string[]>(`revrec:attempts:${period}`) ?? [];
    if (!refs.includes(ref)) return;
    const left = refs.filter((r) => r !== ref);
    writes.set(`revrec:attempts:${period}`, left.length ? left : null);
  }

  /** What the entries recorded in `currency` put on each account, exact and as DualEntry holds it (after `keepAccountTotals`). */
  accountTotals(currency: string): AccountTotals {
    return this.kv.get<Record<string, AccountTotals>>(ACCOUNT_TOTALS_KEY)?.[currency] ?? {};
  }

  /**
   * Starts keeping the account totals, in state written before they were kept: derived from every
   * entry recorded, each as it was sent then (`heldLines`). Does nothing once they are kept. Called
   * before `posting` (a period of `calendar`) is posted, which may hold entries too (a retry).
   */
  keepAccountTotals(calendar: PeriodCalendar, posting: string): void {
    if (this.kv.get(ACCOUNT_TOTALS_KEY) !== undefined) return;
    let totals: Record<string, AccountTotals> = {};
    for (const period of this.periodsThatMayHoldEntries(calendar, posting)) for (const record of this.postings(period)) totals = withPosting(totals, record);
    this.commit(new Map([[ACCOUNT_TOTALS_KEY, totals]]));
  }

  /** Every period an entry may be recorded under: from the earliest with amounts to the latest posted, in retry or `posting`. */
  private periodsThatMayHoldEntries(calendar: PeriodCalendar, posting: string): string[] {
    const known = this.periods();
    if (known.length === 0) return [];
    const last = [known[known.length - 1], this.postedThrough(), this.retryState()?.period, posting]
      .filter((p): p is string => p !== undefined)
      .sort()
      .at(-1) as string;
    const keys: string[] = [];
    for (let index = calendar.parseKey(known[0] as string).index; index <= calendar.parseKey(last).index; index++) keys.push(calendar.period(index).key);
    return keys;
  }

  postings(period: string): PostingRecord[] {
    return this.kv.get<PostingRecord[]>(`revrec:postings:${period}`) ?? [];
  }

  /** The entry currently in effect for a period and currency: the last journal or correction not reversed since. */
  effectivePosting(period: string, currency: string): PostingRecord | undefined {
    const records = this.postings(period).filter((r) => r.currency === currency);
    const last = records[records.length - 1];
    return last && last.kind !== 'reversal' ? last : undefined;
  }

  /**
   * A period counts as posted once every currency it had was posted. One without entries of its own
   * also counts as posted once a later period is: it closed before that one posted, so what reaches
   * it now (a back-dated document) goes to the first open period, never into an entry dated before
   * one already posted.
   */
  isPosted(period: string): boolean {
    if (this.kv.get<boolean>(`revrec:closed:${period}`) === true) return true;
    const through = this.postedThrough();
    return through !== undefined && period <= through && this.postings(period).length === 0;
  }

  markPeriodPosted(period: string): void {
    const writes: Writes = new Map([[`revrec:closed:${period}`, true]]);
    const through = this.postedThrough();
    if (through === undefined || period > through) writes.set(POSTED_THROUGH_KEY, period);
    this.commit(writes);
  }

  /** The latest period marked posted (state from before it was kept: the latest such period that has amounts). */
  private postedThrough(): string | undefined {
    const through = this.kv.get<string>(POSTED_THROUGH_KEY);
    if (through !== undefined) return through;
    return this.periods()
      .filter((p) => this.kv.get<boolean>(`revrec:closed:${p}`) === true)
      .at(-1);
  }

  unmarkPeriodPosted(period: string): void {
    this.kv.delete(`revrec:closed:${period}`);
  }

  /**
   * Marks an entry as sent but not confirmed, with what it carried; cleared once recorded. A set
   * marker means "look it up before posting again", and an entry found then is recorded with what
   * this attempt sent, not with what a later plan of the period would send.
   */
  beginAttempt(period: string, attempt: PendingAttempt): void {
    const writes: Writes = new Map();
    writes.set(`revrec:attempt:${attempt.ref}`, { at: new Date().toISOString(), ...attempt });
    // Listed by period, so an attempt whose answer was lost is settled even if no later plan sends that ref again.
    const refs = this.kv.get<string[]>(`revrec:attempts:${period}`) ?? [];
    if (!refs.includes(attempt.ref)) writes.set(`revrec:attempts:${period}`, [...refs, attempt.ref]);
    this.commit(writes);
  }

  /** The period's attempts sent but not recorded (answer lost, process killed), with what each sent. */
  pendingAttempts(period: string): PendingAttempt[] {
    return (this.kv.get<string[]>(`revrec:attempts:${period}`) ?? []).flatMap((ref) => {
      const marker = this.kv.get<Partial<PendingAttempt>>(`revrec:attempt:${ref}`);
      return marker && typeof marker.kind === 'string' && Array.isArray(marker.lines) ? [{ ...(marker as PendingAttempt), ref }] : [];
    });
  }

  /** The pending attempt's marker: what it sent (undefined for a marker written before it kept that), or false when none is pending. */
  attemptPending(ref: string): SentEntry | undefined | false {
    const marker = this.kv.get<unknown>(`revrec:attempt:${ref}`);
    if (marker === undefined) return false;
    return typeof marker === 'object' && marker !== null && 'lines' in marker ? (marker as SentEntry) : undefined;
  }

  endAttempt(period: string, ref: string): void {
    const writes: Writes = new Map([[`revrec:attempt:${ref}`, null]]);
    this.dropAttemptRef(writes, period, ref);
    this.commit(writes);
  }

  retryState(): RetryState | undefined {
    return this.kv.get<RetryState>('revrec:retry');
  }

  recordFailure(failure: Omit<RetryState, 'attempts' | 'firstFailedAt' | 'lastFailedAt'>): RetryState {
    const previous = this.retryState();
    const now = new Date().toISOString();
    const same = previous && previous.period === failure.period;
    const state: RetryState = {
      ...failure,
      attempts: same ? previous.attempts + 1 : 1,
      firstFailedAt: same ? previous.firstFailedAt : now,
      lastFailedAt: now,
    };
    this.kv.set('revrec:retry', state);
    return state;
  }

  clearFailure(period: string): void {
    if (this.retryState()?.period === period) this.kv.delete('revrec:retry');
  }
}

/** `totals` with what `record` put on each account. */
function withPosting(totals: Record<string, AccountTotals>, record: PostingRecord): Record<string, AccountTotals> {
  const byAccount = (totals[record.currency] ??= {});
  addToAccountTotals(byAccount, record.lines, heldLines(record));
  if (Object.keys(byAccount).length === 0) delete totals[record.currency];
  return totals;
}
