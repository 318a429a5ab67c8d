/**
 * Posts ready-made journals (`journal_entry` records, e.g. a RevRec export read by the file source),
 * one DualEntry entry each. DualEntry has no external-id field, so each entry carries a deterministic
 * reference in its memo; a record whose earlier write was never confirmed is looked up by it first.
 * A changed journal that was already posted is reversed and posted again, never edited in place.
 */
import { createHash } from 'node:crypto';
import { asLedgersyncError, LedgersyncError } from '../../engine/errors.js';
import type { KeyValueStore, SinkRecord, SinkResult } from '../../engine/connector/types.js';
import type { Logger } from '../../engine/log.js';
import { assertBalanced, type JournalDraft } from '../../domain/revrec/journal.js';
import { money } from '../../domain/money/money.js';
import type { DualEntryApi, DualEntryEntry, DualEntryEntryBody } from './api.js';
import { entryLines, fitToDualEntry } from './entry-lines.js';
import { parseReadyJournal, type ReadyJournal } from './documents.js';

interface PostedJournal {
  ref: string;
  entryNumber: string;
  date: string;
  memo: string;
  journal: JournalDraft;
  history: Array<{ kind: 'journal' | 'reversal' | 'correction'; ref: string; entryNumber: string }>;
}

export interface ReadyJournalPosterDeps {
  api: DualEntryApi;
  kv: KeyValueStore;
  refPrefix: string;
  recordStatus: 'draft' | 'posted';
  /** `sink.rounding_account` (entry-lines.ts). */
  roundingAccount?: string;
  log: Logger;
}

const NOTHING_TO_POST = 'every line of the journal is 0.00: nothing to post';

/**
 * Dead-letters an exported journal whose debits and credits differ, with the totals: the file's
 * problem, not ours. parseReadyJournal leaves only one-sided, non-zero lines, so anything else
 * `assertBalanced` finds is a bug in ledgersync and is reported as one.
 */
function assertExportBalances(sourceId: string, journal: JournalDraft): void {
  let debit = 0n;
  let credit = 0n;
  for (const line of journal.lines) {
    debit += BigInt(line.debit);
    credit += BigInt(line.credit);
  }
  if (debit !== credit) {
    throw new LedgersyncError(
      'unbalanced_journal',
      'record',
      `journal ${sourceId}: debits ${money(debit, journal.currency)} ≠ credits ${money(credit, journal.currency)} ${journal.currency}`,
      {
        details: { currency: journal.currency, debit: money(debit, journal.currency), credit: money(credit, journal.currency), lines: journal.lines.length },
        fix: 'correct the exported journal so debits equal credits; nothing was posted',
      },
    );
  }
  try {
    assertBalanced(journal);
  } catch (error) {
    const e = asLedgersyncError(error);
    throw new LedgersyncError(e.code, e.kind, `journal ${sourceId}: ${e.message}`, { details: e.details, ...(e.fix ? { fix: e.fix } : {}) });
  }
}

export class ReadyJournalPoster {
  constructor(private readonly deps: ReadyJournalPosterDeps) {}

  async post(records: readonly SinkRecord[]): Promise<SinkResult[]> {
    const parsed: Array<ReadyJournal | LedgersyncError> = records.map((record) => {
      // A removed journal is only reversed: its mapped content does not matter.
      if (record.deleted || record.action === 'delete' || record.action === 'void') return { date: '', memo: '', journal: { currency: 'XXX', lines: [] } };
      try {
        const journal = parseReadyJournal(record.sourceId, record.data);
        if (journal.journal.lines.length === 0) return journal;
        assertExportBalances(record.sourceId, journal.journal);
        return { ...journal, journal: fitToDualEntry(journal.journal, this.deps.roundingAccount, `journal ${record.sourceId}`) };
      } catch (error) {
        return asLedgersyncError(error, 'record');
      }
    });
    const missing = await this.missingAccounts(parsed);
    const results: SinkResult[] = [];
    for (const [i, record] of records.entries()) {
      const journal = parsed[i]!;
      if (journal instanceof LedgersyncError) {
        results.push({ status: 'failed', error: journal });
        continue;
      }
      const unknown = journal.journal.lines.map((l) => l.account).filter((a) => missing.has(a));
      if (unknown.length) {
        results.push({
          status: 'failed',
          error: new LedgersyncError(
            'dualentry_account_not_found',
            'record',
            `journal ${record.sourceId}: DualEntry account ${[...new Set(unknown)].join(', ')} not found or archived in company ${this.deps.api.companyId}`,
            {
              details: { accounts: [...new Set(unknown)] },
              fix: 'remap the account in the export (or in the stream mapping) to a current DualEntry GL account, or reactivate it in DualEntry',
            },
          ),
        });
        continue;
      }
      try {
        results.push(await this.postOne(record, journal));
      } catch (error) {
        const e = asLedgersyncError(error);
        if (e.kind === 'auth' || e.code === 'dualentry_company_not_found' || e.kind === 'transient') throw e;
        const explained =
          e.code === 'dualentry_period_locked'
            ? new LedgersyncError(
                e.code,
                'record',
                `journal ${record.sourceId}: DualEntry period ${journal.date.slice(0, 7)} is locked (entry date ${journal.date})`,
                {
                  fix: `reopen ${journal.date.slice(0, 7)} under Period locking in DualEntry, or change the journal's date; the record is retried on the next run`,
                  cause: e,
                },
              )
            : e;
        results.push({ status: 'failed', error: explained });
      }
    }
    return results;
  }

  private async missingAccounts(parsed: ReadonlyArray<ReadyJournal | LedgersyncError>): Promise<Set<string>> {
    const numbers = new Set<string>();
    for (const p of parsed) if (!(p instanceof LedgersyncError)) for (const line of p.journal.lines) numbers.add(line.account);
    if (numbers.size === 0) return new Set();
    const active = new Set((await this.deps.api.accounts([...numbers])).filter((a) => a.is_active !== false).map((a) => String(a.number)));
    return new Set([...numbers].filter((n) => !active.has(n)));
  }

  private async postOne(record: SinkRecord, ready: ReadyJournal): Promise<SinkResult> {
    const key = `journal:${record.stream}:${record.sourceId}`;
    const previous = this.deps.kv.get<PostedJournal>(key);
    const base = `${this.deps.refPrefix}-je-${createHash('sha256').update(`${record.stream}\u0000${record.sourceId}`).digest('hex').slice(0, 12)}`;
    const sequence = (previous?.history.length ?? 0) + 1;

    const removed = record.deleted || record.action === 'delete' || record.action === 'void';
    // Every line nets to 0: the journal moves nothing, so a posted one is reversed and nothing is posted.
    const nothing = !removed && ready.journal.lines.length === 0;
    if ((removed || nothing) && (!previous || previous.history.at(-1)?.kind === 'reversal')) {
      return {
        status: 'skipped',
        reason: nothing ? NOTHING_TO_POST : previous ? 'already reversed' : 'removed before it was ever posted',
        ...(previous ? { targetId: previous.entryNumber } : {}),
      };
    }
    if (!removed && previous && previous.history.at(-1)?.kind !== 'reversal' && sameJournal(previous, ready)) {
      return { status: 'skipped', reason: 'already posted unchanged', targetId: previous.entryNumber };
    }
    const history = [...(previous?.history ?? [])];
    const live = previous && previous.history.at(-1)?.kind !== 'reversal' ? previous : undefined;
    if (live) {
      const reversalRef = `${base}-r${sequence}`;
      const reversal = await this.create(
        reversalRef,
        `Reversal of ${live.memo}`,
        live.date,
        {
          currency: live.journal.currency,
          lines: live.journal.lines.map((l) => ({ ...l, debit: l.credit, credit: l.debit })),
        },
        true,
      );
      history.push({ kind: 'reversal', ref: reversalRef, entryNumber: String(reversal.number) });
      this.deps.kv.set(key, { ...live, history });
      if (removed || nothing) return { status: 'updated', targetId: String(reversal.number) };
    }
    const ref = `${base}-${previous ? 'c' : 'j'}${history.length + 1}`;
    const entry = await this.create(ref, ready.memo, ready.date, ready.journal, record.previous?.pendingWrite === true);
    history.push({ kind: previous ? 'correction' : 'journal', ref, entryNumber: String(entry.number) });
    this.deps.kv.set(key, {
      ref,
      entryNumber: String(entry.number),
      date: ready.date,
      memo: ready.memo,
      journal: ready.journal,
      history,
    } satisfies PostedJournal);
    return { status: previous ? 'updated' : 'created', targetId: String(entry.number) };
  }

  private async create(ref: string, memo: string, date: string, journal: JournalDraft, lookFirst: boolean): Promise<DualEntryEntry> {
    const { api, kv } = this.deps;
    const attemptKey = `journal-attempt:${ref}`;
    if (lookFirst || kv.get(attemptKey) !== undefined) {
      const found = (await api.findByRef(ref))[0];
      if (found) {
        kv.delete(attemptKey);
        return found;
      }
    }
    const body: DualEntryEntryBody = {
      date,
      transaction_date: date,
      company_id: api.companyId,
      memo: `${memo} [${ref}]`.trim(),
      currency_iso_4217_code: journal.currency,
      record_status: this.deps.recordStatus,
      // Fitted to DualEntry's decimals when the record was read (a reversal repeats a fitted journal).
      items: entryLines(journal),
      attachments: [],
      custom_fields: [],
    };
    kv.set(attemptKey, new Date().toISOString());
    try {
      const entry = await api.createEntry(body, ref, this.deps.log);
      kv.delete(attemptKey);
      return entry;
    } catch (error) {
      if (!asLedgersyncError(error).mayHaveSucceeded) kv.delete(attemptKey);
      throw error;
    }
  }
}

function sameJournal(previous: PostedJournal, next: ReadyJournal): boolean {
  const a = previous.journal;
  const b = next.journal;
  return (
    previous.date === next.date &&
    previous.memo === next.memo &&
    a.currency === b.currency &&
    a.lines.length === b.lines.length &&
    a.lines.every(
      (l, i) => l.account === b.lines[i]?.account && l.debit === b.lines[i]?.debit && l.credit === b.lines[i]?.credit && l.memo === b.lines[i]?.memo,
    )
  );
}
