/**
 * Posts a period's recognition journal into DualEntry: one entry per currency, dated the period's
 * close date, checked to balance before it is sent, never posted twice. A repost reverses the entry
 * in effect and posts the corrected one; both are recorded. A failure leaves the period in a retry
 * state that says what to fix.
 */
import { asLedgersyncError, LedgersyncError, type ErrorSummary } from '../../engine/errors.js';
import type { SinkWriteTrail } from '../../engine/connector/types.js';
import type { Logger } from '../../engine/log.js';
import type { PeriodCalendar } from '../../domain/revrec/calendar.js';
import { formatDay } from '../../domain/revrec/calendar.js';
import {
  assertBalanced,
  buildJournals,
  journalTotals,
  type AccountResolver,
  type AccountRole,
  type JournalDraft,
  type JournalLine,
} from '../../domain/revrec/journal.js';
import { formatMinor } from '../../domain/money/money.js';
import type { DualEntryApi, DualEntryEntry, DualEntryEntryBody } from './api.js';
import { addToAccountTotals, entryLines, fitCumulatively, heldLines, type AccountTotals } from './entry-lines.js';
import type { PostingKind, PostingRecord, RevrecLedger, SentEntry, StoredRow } from './revrec-ledger.js';
import type { RevrecSettings } from './settings.js';

export interface PostedEntrySummary {
  kind: PostingKind;
  currency: string;
  number: string;
  date: string;
  /** Total debits, as a decimal string. */
  amount: string;
}

export interface PostOutcome {
  period: string;
  status: 'posted' | 'reposted' | 'unchanged' | 'already_posted' | 'nothing_to_post' | 'failed';
  entries: PostedEntrySummary[];
  /** DualEntry requests this posting made. */
  apiCalls: number;
  error?: ErrorSummary;
}

export interface PosterDeps {
  api: DualEntryApi;
  ledger: RevrecLedger;
  settings: RevrecSettings;
  calendar: PeriodCalendar;
  resolveAccount: AccountResolver;
  /** `lookups.revrec_revenue["SAAS"]`: where a role's account for a code comes from, for messages. */
  describeMapping(role: AccountRole, accountingCode: string): string;
  /** Prefix of the deterministic reference put in every memo (unique per pipeline and company). */
  refPrefix: string;
  recordStatus: 'draft' | 'posted';
  /** `sink.rounding_account`: takes what rounding a 3-decimal currency to DualEntry's 2 moves (entry-lines.ts). */
  roundingAccount?: string;
  log: Logger;
  runId: string;
  /** Confirms the company exists and the key reaches it; done once per sink, shared with `open()`. */
  checkCompany(): Promise<void>;
  /** The audit trail: each entry posted is recorded there like a record's write. */
  writeTrail?: SinkWriteTrail;
}

interface Step {
  kind: PostingKind;
  currency: string;
  journal: JournalDraft;
  /** `journal` as DualEntry holds it (entry-lines.ts): what is sent. */
  fitted: JournalDraft;
  included: StoredRow[];
  memo: string;
}

export class RevrecPoster {
  constructor(private readonly deps: PosterDeps) {}

  /** Last day of the period plus `close_after_days`: the period is closed on the day after. */
  closeDay(periodKey: string): number {
    return this.deps.calendar.parseKey(periodKey).endDay - 1 + this.deps.settings.closeAfterDays;
  }

  entryDate(periodKey: string): string {
    const period = this.deps.calendar.parseKey(periodKey);
    return formatDay(this.deps.settings.entryDate === 'close_date' ? this.closeDay(periodKey) : period.endDay - 1);
  }

  isClosed(periodKey: string, nowSeconds: number): boolean {
    return this.deps.calendar.dayOf(nowSeconds) > this.closeDay(periodKey);
  }

  /**
   * Posts every closed period that has amounts not posted yet, oldest first, stopping at the first
   * failure (a later period would otherwise carry the failed one's amounts). Starts at `first_period`
   * (earlier ones are the opening balances), else at the earliest period with amounts; an empty
   * period before that counts as posted once a later one is (RevrecLedger.isPosted).
   */
  async postClosed(nowSeconds: number): Promise<PostOutcome[]> {
    const { ledger, calendar, settings } = this.deps;
    const outcomes: PostOutcome[] = [];
    const earliest = ledger.periods()[0];
    if (earliest === undefined) return outcomes;
    const first = settings.firstPeriod ?? earliest;
    const today = calendar.dayOf(nowSeconds);
    for (let index = calendar.parseKey(first).index; ; index++) {
      const key = calendar.period(index).key;
      if (!this.isClosed(key, nowSeconds) || calendar.period(index).firstDay > today) break;
      // An entry whose answer was lost is settled by post(), whether or not the period counts as posted.
      if (ledger.isPosted(key) && ledger.pendingAttempts(key).length === 0) continue;
      if (ledger.pendingAttempts(key).length === 0 && this.eligibleRows(key).size === 0) {
        // Closed with nothing to post: final all the same, so a later change lands in the first open period.
        ledger.markPeriodPosted(key);
        continue;
      }
      const outcome = await this.post(key, { repost: false });
      outcomes.push(outcome);
      if (outcome.status === 'failed') break;
    }
    return outcomes;
  }

  /**
   * A period before `first_period` is in the opening balances: what documents scheduled into it when
   * first seen counts as posted, and a later change to it (a void) is carried like one to a posted
   * period. One that had entries of its own (`first_period` moved later since) keeps what they posted.
   */
  private isOpeningBalance(periodKey: string): boolean {
    const { firstPeriod } = this.deps.settings;
    return firstPeriod !== undefined && periodKey < firstPeriod && this.deps.ledger.postings(periodKey).length === 0;
  }

  /** Unposted amounts that a posting of `periodKey` carries, by currency: its own, plus late changes to periods already posted. */
  private eligibleRows(periodKey: string): Map<string, StoredRow[]> {
    const { ledger } = this.deps;
    const byCurrency = new Map<string, StoredRow[]>();
    for (const origin of ledger.periods()) {
      if (origin > periodKey) break;
      const opening = this.isOpeningBalance(origin);
      if (!opening && origin !== periodKey && !ledger.isPosted(origin)) continue;
      for (const row of ledger.unposted(origin, { afterOpeningBalance: opening })) {
        let rows = byCurrency.get(row.currency);
        if (!rows) byCurrency.set(row.currency, (rows = []));
        rows.push([origin, row.accountingCode, row.component, row.amount]);
      }
    }
    return byCurrency;
  }

  async post(periodKey: string, options: { repost: boolean }): Promise<PostOutcome> {
    const { api, ledger, calendar, settings } = this.deps;
    const callsBefore = api.calls;
    const outcome = (status: PostOutcome['status'], entries: PostedEntrySummary[] = []): PostOutcome => ({
      period: periodKey,
      status,
      entries,
      apiCalls: api.calls - callsBefore,
    });

    // Problems with the request itself are thrown: they are not a batch waiting to post.
    try {
      calendar.parseKey(periodKey);
    } catch (error) {
      throw new LedgersyncError('invalid_arguments', 'config', `period ${periodKey}: ${(error as Error).message}`, {
        fix: `give the period as revenue_recognition.period has it: ${settings.period === 'quarter' ? 'YYYY-Qn, e.g. 2026-Q4' : 'YYYY-MM, e.g. 2026-10'}`,
      });
    }
    if (settings.firstPeriod && periodKey < settings.firstPeriod) {
      throw new LedgersyncError(
        'period_before_first_period',
        'config',
        `period ${periodKey} is before revenue_recognition.first_period (${settings.firstPeriod}); it is never posted`,
        {
          fix: 'post a later period, or move first_period back',
        },
      );
    }
    ledger.keepAccountTotals(calendar, periodKey);
    try {
      await this.settleAttempts(periodKey);
    } catch (thrown) {
      return this.failed(periodKey, thrown, [], outcome);
    }
    // A period that closed with nothing to post is final too; its late changes go to the next open period.
    if (!options.repost && ledger.isPosted(periodKey)) return outcome(ledger.postings(periodKey).length ? 'already_posted' : 'nothing_to_post');
    if (options.repost && ledger.postings(periodKey).length === 0) {
      // Final without entries of its own (nothing to post, or before the latest posted period): its amounts went to a later entry.
      const fix = ledger.isPosted(periodKey)
        ? `nothing to repost here: its amounts go into the first open period's entry; repost that period (ledgersync post <pipeline> --period <that period> --repost)`
        : `post it without --repost: ledgersync post <pipeline> --period ${periodKey}`;
      throw new LedgersyncError('period_not_posted', 'config', `period ${periodKey} has never been posted, so there is nothing to repost`, { fix });
    }
    const blocking = ledger
      .periods()
      .filter((p) => p < periodKey && (!settings.firstPeriod || p >= settings.firstPeriod) && !ledger.isPosted(p) && ledger.unposted(p).length > 0);
    if (blocking.length > 0) {
      throw new LedgersyncError(
        'earlier_period_unposted',
        'config',
        `period ${periodKey} cannot be posted before ${blocking.join(', ')}, which ${blocking.length === 1 ? 'has' : 'have'} amounts not posted yet`,
        {
          details: { blocking },
          fix: `post ${blocking[0]} first (ledgersync post <pipeline> --period ${blocking[0]}), or set revenue_recognition.first_period if those periods are in the opening balances`,
        },
      );
    }

    let steps: Step[] = [];
    const posted: PostedEntrySummary[] = [];
    try {
      steps = this.plan(periodKey, options.repost);
      if (steps.length === 0) {
        if (options.repost) return outcome('unchanged');
        // Every currency with new amounts already has its entry for the period (posted before another
        // failed): the period is final, and those amounts go to the next period's entries.
        ledger.markPeriodPosted(periodKey);
        ledger.clearFailure(periodKey);
        return outcome('nothing_to_post');
      }
      await this.preflight(steps);
      for (const step of steps) posted.push(await this.execute(periodKey, step));
      ledger.markPeriodPosted(periodKey);
      ledger.clearFailure(periodKey);
      for (const entry of posted) this.deps.log.info(`DualEntry ${entry.kind} ${entry.number} posted for ${periodKey} (${entry.currency} ${entry.amount})`);
      return outcome(options.repost ? 'reposted' : 'posted', posted);
    } catch (thrown) {
      return this.failed(periodKey, thrown, steps, outcome, posted);
    }
  }

  /** A posting that failed: recorded for the retry (`status` shows it), the period opened again if a reversal lacks its correction. */
  private failed(
    periodKey: string,
    thrown: unknown,
    steps: readonly Step[],
    outcome: (status: PostOutcome['status'], entries?: PostedEntrySummary[]) => PostOutcome,
    posted: PostedEntrySummary[] = [],
  ): PostOutcome {
    const { ledger } = this.deps;
    const error = this.explain(asLedgersyncError(thrown), steps, periodKey);
    // A reversal posted without its correction: the period is open again, so nothing later can sweep its amounts.
    this.reopenIfReversed(periodKey);
    const retry = ledger.recordFailure({
      period: periodKey,
      code: error.code,
      kind: error.kind,
      message: error.message,
      ...(error.fix ? { fix: error.fix } : {}),
    });
    // A warning: the command or run that asked for the posting reports the failure itself, once, as its error or its waiting work.
    this.deps.log.warn(`posting ${periodKey} failed (attempt ${retry.attempts}): ${error.actionable}`, {
      code: error.code,
      kind: error.kind,
      attempt: retry.attempts,
    });
    return { ...outcome('failed', posted), error: { code: error.code, kind: error.kind, message: error.message, ...(error.fix ? { fix: error.fix } : {}) } };
  }

  /** A period some currency of which was reversed without a correction is not posted: its amounts are due again. */
  private reopenIfReversed(periodKey: string): void {
    const { ledger } = this.deps;
    const currencies = new Set(ledger.postings(periodKey).map((r) => r.currency));
    if ([...currencies].some((c) => !ledger.effectivePosting(periodKey, c))) ledger.unmarkPeriodPosted(periodKey);
  }

  private plan(periodKey: string, repost: boolean): Step[] {
    const { ledger, resolveAccount } = this.deps;
    const deltas = this.eligibleRows(periodKey);
    const currencies = new Set(deltas.keys());
    if (repost) for (const record of ledger.postings(periodKey)) currencies.add(record.currency);
    const description = this.deps.settings.journalDescription.replaceAll('{period}', periodKey);
    const steps: Step[] = [];
    for (const currency of [...currencies].sort()) {
      // What the entries before each step put on each account: a step is rounded against it (entry-lines.ts).
      const accountTotals = structuredClone(ledger.accountTotals(currency));
      const effective = ledger.effectivePosting(periodKey, currency);
      // Partly posted earlier (another currency failed): this currency's new amounts wait for the next period.
      if (!repost && effective) continue;
      const included = mergeRows([...(effective?.included ?? []), ...(deltas.get(currency) ?? [])]);
      const journal = buildJournals(
        included.map(([, accountingCode, component, amount]) => ({ currency, accountingCode, component, amount })),
        resolveAccount,
      )[0];
      if (effective && !deltas.has(currency) && journal && sameLines(journal.lines, effective.lines)) continue;
      const memo = description.replaceAll('{currency}', currency);
      if (effective) {
        const reversal = { currency, lines: effective.lines.map(reversed) };
        let fitted = this.fit(periodKey, 'reversal', reversal, accountTotals);
        // When rounding against the totals leaves it no line (every amount under 0.01), it takes back what the entry sent.
        if (fitted.lines.length === 0) fitted = { currency, lines: heldLines(effective, this.deps.roundingAccount).map(reversed) };
        addToAccountTotals(accountTotals, reversal.lines, fitted.lines);
        steps.push({ kind: 'reversal', currency, journal: reversal, fitted, included: effective.included, memo: `Reversal of ${stripRef(effective.memo)}` });
      }
      if (journal) {
        const wasReversed = effective !== undefined || ledger.postings(periodKey).some((r) => r.currency === currency);
        const kind = wasReversed ? 'correction' : 'journal';
        const fitted = this.fit(periodKey, kind, journal, accountTotals);
        if (fitted.lines.length === 0) {
          // DualEntry refuses an entry without lines: the amounts stay unposted and go with the next entry in this currency.
          this.deps.log.info(
            `period ${periodKey}: every ${currency} amount rounds to 0.00 at DualEntry's 2 decimal places; nothing sent, the amounts are carried into the next ${currency} entry`,
          );
          continue;
        }
        steps.push({ kind, currency, journal, fitted, included, memo });
      }
    }
    return steps;
  }

  private fit(periodKey: string, kind: PostingKind, journal: JournalDraft, accountTotals: AccountTotals): JournalDraft {
    return fitCumulatively(journal, this.deps.roundingAccount, `period ${periodKey} ${journal.currency} ${kind}`, accountTotals);
  }

  private async preflight(steps: Step[]): Promise<void> {
    const { api } = this.deps;
    await this.deps.checkCompany();
    const numbers = new Set<string>();
    for (const step of steps) {
      assertBalanced(step.journal);
      // What is sent must balance too, with at least two lines, after rounding to DualEntry's decimals.
      assertBalanced(step.fitted);
      for (const line of step.fitted.lines) {
        if (!/^\d{1,12}$/.test(line.account)) {
          throw this.accountError(line.account, steps, `"${line.account}" is not a DualEntry account number (digits only)`);
        }
        numbers.add(line.account);
      }
    }
    const accounts = await api.accounts([...numbers]);
    const active = new Set(accounts.filter((a) => a.is_active !== false).map((a) => String(a.number)));
    for (const number of numbers) {
      if (!active.has(number)) {
        const archived = accounts.some((a) => String(a.number) === number);
        throw this.accountError(number, steps, `DualEntry account ${number} ${archived ? 'is archived (inactive)' : 'not found'} in company ${api.companyId}`);
      }
    }
  }

  private async execute(periodKey: string, step: Step): Promise<PostedEntrySummary> {
    const { api, ledger } = this.deps;
    const sequence = ledger.postings(periodKey).length + 1;
    const ref = `${this.deps.refPrefix}-${periodKey}-${step.currency}-${step.kind[0]}${sequence}`;
    const memo = `${step.memo} [${ref}]`;
    const date = this.entryDate(periodKey);
    const { fitted } = step;
    const body: DualEntryEntryBody = {
      date,
      transaction_date: date,
      company_id: api.companyId,
      memo,
      currency_iso_4217_code: step.currency,
      record_status: this.deps.recordStatus,
      items: entryLines(fitted),
      attachments: [],
      custom_fields: [],
    };

    let entry: DualEntryEntry | undefined;
    // What the entry holds: this step's journal, unless an earlier attempt under this ref landed.
    let sent: SentEntry = { lines: step.journal.lines, ...(fitted !== step.journal ? { rounded: fitted.lines } : {}), included: step.included };
    const pending = ledger.attemptPending(ref);
    if (pending !== false) {
      // An earlier attempt may have landed (timeout, crash): find it before posting again.
      entry = (await api.findByRef(ref))[0];
      if (entry) {
        this.deps.log.warn(`DualEntry entry ${entry.number} for ${ref} was posted by an earlier attempt; recording it instead of posting again`);
        // It holds what that attempt sent: amounts planned since (a document voided meanwhile) are not in it and stay to post.
        if (pending) sent = pending;
      }
    }
    if (!entry) {
      ledger.beginAttempt(periodKey, { ref, kind: step.kind, currency: step.currency, memo, date, ...sent });
      const audited = this.deps.writeTrail?.begin({ stream: 'revenue_recognition', object: 'journal_entry', sourceId: ref, action: step.kind, payload: body });
      try {
        entry = await api.createEntry(body, ref, this.deps.log);
        audited?.answered({ status: 'created', targetId: String(entry.number) });
      } catch (error) {
        audited?.threw(error);
        if (!asLedgersyncError(error).mayHaveSucceeded) ledger.endAttempt(periodKey, ref);
        throw error;
      }
    }
    const record: PostingRecord = {
      kind: step.kind,
      currency: step.currency,
      ref,
      entryNumber: String(entry.number),
      internalId: String(entry.internal_id),
      date,
      memo,
      lines: sent.lines,
      ...(sent.rounded ? { rounded: sent.rounded } : {}),
      included: sent.included,
      postedAt: new Date().toISOString(),
      runId: this.deps.runId,
    };
    ledger.recordPosting(periodKey, record);
    return {
      kind: step.kind,
      currency: step.currency,
      number: record.entryNumber,
      date,
      amount: formatMinor(journalTotals({ currency: step.currency, lines: sent.rounded ?? sent.lines }).debit, step.currency),
    };
  }

  /**
   * Settles the period's entries sent whose answer was never recorded, before anything is planned:
   * one DualEntry holds is recorded with what it carried, one it does not is forgotten. A later plan
   * of the period may never send that reference again (its documents changed, another currency
   * posted first), so waiting for it would leave a landed entry unrecorded (and posted again) for good.
   * A recorded reversal without its correction opens the period again. A failed look-up throws: the
   * period is then retried, never planned over an entry in doubt.
   */
  private async settleAttempts(periodKey: string): Promise<void> {
    const { api, ledger } = this.deps;
    const attempts = ledger.pendingAttempts(periodKey);
    if (attempts.length === 0) return;
    for (const attempt of attempts) {
      const entry = (await api.findByRef(attempt.ref))[0];
      if (!entry) {
        ledger.endAttempt(periodKey, attempt.ref);
        continue;
      }
      this.deps.log.warn(`DualEntry entry ${entry.number} for ${attempt.ref} was posted by an earlier attempt whose answer was lost; recording it`);
      ledger.recordPosting(periodKey, {
        kind: attempt.kind,
        currency: attempt.currency,
        ref: attempt.ref,
        entryNumber: String(entry.number),
        internalId: String(entry.internal_id),
        date: attempt.date,
        memo: attempt.memo,
        lines: attempt.lines,
        ...(attempt.rounded ? { rounded: attempt.rounded } : {}),
        included: attempt.included,
        postedAt: new Date().toISOString(),
        runId: this.deps.runId,
      });
    }
    this.reopenIfReversed(periodKey);
  }

  private accountError(account: string, steps: readonly Step[], problem: string): LedgersyncError {
    const mappings = new Set<string>();
    const codes = new Set<string>();
    for (const step of steps) {
      for (const line of step.journal.lines) {
        if (line.account !== account || !line.role) continue;
        const role = line.role;
        for (const code of line.accountingCodes) {
          mappings.add(`${this.deps.describeMapping(role, code)} (${role.replace(/_/g, ' ')}, Chargebee accounting code "${code || 'default'}")`);
          codes.add(code || 'default');
        }
      }
    }
    const named = [...mappings];
    return new LedgersyncError(
      'dualentry_account_not_found',
      'config',
      `${problem}; it is what ${named.length ? named.join(' and ') : 'a journal account mapping'} points at`,
      {
        details: { account_number: account, accounting_codes: [...codes] },
        fix: `remap ${named.length ? named.map((m) => m.split(' (')[0]).join(' and ') : 'the affected mapping'} in the pipeline's lookups to a current DualEntry GL account (or reactivate account ${account} in DualEntry), then post the period again`,
      },
    );
  }

  /** Adds what a person needs to the vendor's errors: which mapping an unknown account came from, which period is locked. */
  private explain(error: LedgersyncError, steps: readonly Step[], periodKey: string): LedgersyncError {
    if (error.code === 'dualentry_period_locked') return periodLockedError(error, periodKey, this.entryDate(periodKey));
    if (error.code === 'dualentry_account_not_found' && !('accounting_codes' in error.details)) {
      let account = typeof error.details['account_number'] === 'string' ? error.details['account_number'] : undefined;
      const lineIndex = typeof error.details['line_index'] === 'number' ? error.details['line_index'] : undefined;
      if (account === undefined && lineIndex !== undefined) account = steps[0]?.journal.lines[lineIndex]?.account;
      if (account !== undefined) return this.accountError(account, steps, error.message);
    }
    return error;
  }
}

/** Period-locked errors name the period; the caller knows it, the API body may not. */
export function periodLockedError(error: LedgersyncError, periodKey: string, entryDate: string): LedgersyncError {
  if (error.code !== 'dualentry_period_locked') return error;
  return new LedgersyncError(
    error.code,
    error.kind,
    `DualEntry period ${periodKey} is locked: the entry dated ${entryDate} falls inside a closed accounting period (${error.message})`,
    {
      details: { ...error.details, period: periodKey, entry_date: entryDate },
      fix: `reopen ${periodKey} under Period locking in DualEntry, or change revenue_recognition.entry_date / close_after_days so entries date into an open period; the batch stays in retry until it posts (ledgersync post <pipeline> --period ${periodKey})`,
      cause: error,
    },
  );
}

function mergeRows(rows: readonly StoredRow[]): StoredRow[] {
  const sums = new Map<string, StoredRow>();
  for (const [period, code, component, amount] of rows) {
    const key = `${period}\u0000${code}\u0000${component}`;
    const row = sums.get(key);
    if (row) row[3] += amount;
    else sums.set(key, [period, code, component, amount]);
  }
  return [...sums.values()].filter((r) => r[3] !== 0);
}

function sameLines(a: readonly JournalLine[], b: readonly JournalLine[]): boolean {
  return (
    a.length === b.length &&
    a.every((line, i) => line.account === b[i]?.account && line.debit === b[i]?.debit && line.credit === b[i]?.credit && line.memo === b[i]?.memo)
  );
}

function reversed(line: JournalLine): JournalLine {
  return { ...line, debit: line.credit, credit: line.debit };
}

function stripRef(memo: string): string {
  return memo.replace(/ \[[^\]]+\]$/, '');
}
