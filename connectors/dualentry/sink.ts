/**
 * The DualEntry sink, once its connection block is read (index.ts): `revenue_document` records feed
 * the recognition schedule, posted per closed period in `close()` or on demand (`post()`);
 * `journal_entry` records are posted as they come, one entry each.
 */
import { asLedgersyncError, LedgersyncError } from '../../engine/errors.js';
import type { ReferenceAnswer, ReferenceQuery, Sink, SinkCloseReport, SinkContext, SinkRecord, SinkResult } from '../../engine/connector/types.js';
import type { AccountResolver, AccountRole } from '../../domain/revrec/journal.js';
import { documentSchedule, type RevenueDocument } from '../../domain/revrec/schedule.js';
import { companyNotFoundFix } from './api.js';
import { parseRevenueDocument } from './documents.js';
import { ReadyJournalPoster } from './journals.js';
import { RevrecPoster, type PostOutcome, type PosterDeps } from './poster.js';
import { RevrecLedger } from './revrec-ledger.js';
import type { RevrecSettings } from './settings.js';
import { revrecStatus, type RevrecStatus } from './status.js';

export interface DualEntrySinkOptions {
  /** Clock in unix seconds, for tests. Default: the system clock. */
  now?: () => number;
}

/** What the sink works with, read and checked from the pipeline by `createDualEntrySink`. */
export interface DualEntrySinkParts
  extends Pick<PosterDeps, 'api' | 'calendar' | 'resolveAccount' | 'describeMapping' | 'refPrefix' | 'recordStatus' | 'roundingAccount'> {
  companyId: number;
  /** The pipeline's `revenue_recognition:` block, if it has one (revenue documents need it). */
  settings: RevrecSettings | undefined;
  maxBatchSize: number;
  /** The caller's clock (`DualEntrySinkOptions.now`), which wins over the run's. */
  clock?: () => number;
}

type Indexed = { record: SinkRecord; index: number };

const systemNow = () => Math.floor(Date.now() / 1000);

export class DualEntrySink implements Sink {
  readonly maxBatchSize: number;
  private automaticPostings: PostOutcome[] = [];
  private companyCheck: Promise<void> | undefined;
  private poster: RevrecPoster | undefined;
  private journals: ReadyJournalPoster | undefined;

  constructor(private readonly parts: DualEntrySinkParts) {
    this.maxBatchSize = parts.maxBatchSize;
  }

  /** Checks the company (the run's context is not needed: the key and company come from the connection block). */
  async open(_ctx?: SinkContext): Promise<void> {
    await this.checkCompany();
  }

  /** `ledgersync check`: the company exists and is active, and every account number named exists and is active. */
  async check(queries: readonly ReferenceQuery[]): Promise<ReferenceAnswer[][]> {
    const { api, companyId } = this.parts;
    const company = await api.company();
    if (company.is_active === false) {
      throw new LedgersyncError('dualentry_company_not_found', 'config', `DualEntry company ${companyId} (${company.name}) is not active`, {
        fix: companyNotFoundFix(companyId),
      });
    }
    const numbers = [...new Set(queries.filter((q) => q.kind === 'Account').flatMap((q) => q.values))];
    const accounts = new Map((await api.accounts(numbers)).map((a) => [String(a.number), a]));
    return queries.map((query) =>
      query.values.map((value): ReferenceAnswer => {
        if (query.kind !== 'Account') return { value, status: 'unknown', answer: `DualEntry cannot be asked about a ${query.kind}` };
        const account = accounts.get(value);
        if (!account) return { value, status: 'missing', answer: `DualEntry company ${companyId} has no account number ${value}` };
        return account.is_active
          ? { value, status: 'ok', answer: `account ${value} "${account.name}"` }
          : { value, status: 'inactive', answer: `account ${value} "${account.name}" is archived in DualEntry` };
      }),
    );
  }

  async write(batch: readonly SinkRecord[], ctx: SinkContext): Promise<SinkResult[]> {
    const { results, documents, ready } = byObject(batch);
    if (documents.length) {
      const scheduled = this.scheduleDocuments(
        documents.map((d) => d.record),
        ctx,
      );
      documents.forEach((d, i) => {
        results[d.index] = scheduled[i]!;
      });
    }
    if (ready.length) {
      const { api, refPrefix, recordStatus } = this.parts;
      this.journals ??= new ReadyJournalPoster({ api, kv: ctx.kv, refPrefix, recordStatus, log: ctx.log, ...this.rounding() });
      const posted = await this.journals.post(ready.map((r) => r.record));
      ready.forEach((r, i) => {
        results[r.index] = posted[i]!;
      });
    }
    return results;
  }

  async close(ctx: SinkContext): Promise<SinkCloseReport | undefined> {
    this.automaticPostings = [];
    if (!this.parts.settings?.automaticPosting) return undefined;
    this.automaticPostings = await this.posterFor(ctx).postClosed((this.parts.clock ?? ctx.now ?? systemNow)());
    return closeReportOf(this.automaticPostings.find((o) => o.status === 'failed'));
  }

  /** Posts (or with `repost`, reverses and re-posts) one period now, whatever its close rule says. */
  post(period: string, options: { repost: boolean }, ctx: SinkContext): Promise<PostOutcome> {
    return this.posterFor(ctx).post(period, options);
  }

  /** Periods, their entries and the retry state, for `ledgersync status`. */
  status(ctx: SinkContext): RevrecStatus {
    return revrecStatus(ctx.kv);
  }

  /** Outcomes of the automatic posting done by the last `close()`. */
  get lastAutomaticPostings(): readonly PostOutcome[] {
    return this.automaticPostings;
  }

  /** DualEntry requests made so far. */
  get apiCalls(): number {
    return this.parts.api.calls;
  }

  /** The company exists and the key reaches it: asked once per sink (shared by `open()` and the poster), again after a failure. */
  private checkCompany(): Promise<void> {
    this.companyCheck ??= this.parts.api.company().then(
      () => undefined,
      (error: unknown) => {
        this.companyCheck = undefined;
        throw error;
      },
    );
    return this.companyCheck;
  }

  private rounding(): { roundingAccount?: string } {
    return this.parts.roundingAccount ? { roundingAccount: this.parts.roundingAccount } : {};
  }

  private requireSettings(): RevrecSettings {
    if (!this.parts.settings) {
      throw new LedgersyncError(
        'revenue_recognition_missing',
        'config',
        'the pipeline has no revenue_recognition: block, so revenue documents cannot be scheduled or posted',
        {
          fix: 'add a revenue_recognition block (periods, close rule, journal description, account lookup tables) to the pipeline',
        },
      );
    }
    return this.parts.settings;
  }

  private posterFor(ctx: SinkContext): RevrecPoster {
    const { api, calendar, resolveAccount, describeMapping, refPrefix, recordStatus } = this.parts;
    this.poster ??= new RevrecPoster({
      api,
      ledger: new RevrecLedger(ctx.kv),
      settings: this.requireSettings(),
      calendar,
      resolveAccount,
      describeMapping,
      refPrefix,
      recordStatus,
      ...this.rounding(),
      log: ctx.log,
      runId: ctx.runId,
      checkCompany: () => this.checkCompany(),
      ...(ctx.writeTrail ? { writeTrail: ctx.writeTrail } : {}),
    });
    return this.poster;
  }

  /** Validates and schedules documents, then replaces their schedules in one write. */
  private scheduleDocuments(records: readonly SinkRecord[], ctx: SinkContext): SinkResult[] {
    const results = new Array<SinkResult>(records.length);
    const updates: Array<{ key: string; currency: string; rows: ReturnType<typeof documentSchedule>; index: number; removed: boolean }> = [];
    for (const [index, record] of records.entries()) {
      const key = `${record.stream}:${record.sourceId}`;
      try {
        this.requireSettings();
        // A voided or deleted document takes back whatever it scheduled; its content does not matter.
        if (record.deleted || record.action === 'delete' || record.action === 'void') {
          updates.push({ key, currency: '', rows: [], index, removed: true });
          continue;
        }
        const document = parseRevenueDocument(record.sourceId, record.data);
        resolveEveryAccount(document, this.parts.resolveAccount);
        updates.push({ key, currency: document.currency, rows: documentSchedule(document, this.parts.calendar), index, removed: false });
      } catch (error) {
        results[index] = { status: 'failed', error: asLedgersyncError(error, 'record') };
      }
    }
    const existed = new RevrecLedger(ctx.kv).replaceDocuments(updates);
    updates.forEach((update, i) => {
      results[update.index] =
        update.removed && !existed[i]
          ? { status: 'skipped', reason: 'voided or deleted before it was ever scheduled' }
          : { status: existed[i] ? 'updated' : 'created', targetId: `revrec:${update.key}` };
    });
    return results;
  }
}

/** Splits a batch into revenue documents and ready journals; anything else fails at its index. */
function byObject(batch: readonly SinkRecord[]): { results: SinkResult[]; documents: Indexed[]; ready: Indexed[] } {
  const results: SinkResult[] = new Array(batch.length);
  const documents: Indexed[] = [];
  const ready: Indexed[] = [];
  batch.forEach((record, index) => {
    if (record.object === 'journal_entry') ready.push({ record, index });
    else if (record.object === 'revenue_document') documents.push({ record, index });
    else {
      results[index] = {
        status: 'failed',
        error: new LedgersyncError(
          'unknown_object',
          'config',
          `the DualEntry sink accepts revenue_document and journal_entry records, not "${record.object}"`,
          {
            fix: 'set the stream target.object (or _object) to revenue_document or journal_entry',
          },
        ),
      };
    }
  });
  return { results, documents, ready };
}

/** Resolves every account a document's lines will post to, so a missing mapping fails the record now, not the period's journal later. */
function resolveEveryAccount(document: RevenueDocument, resolveAccount: AccountResolver): void {
  for (const line of document.lines) {
    const roles: AccountRole[] = ['accounts_receivable', 'deferred_revenue', 'revenue'];
    if (line.discount !== 0) roles.push('contra_revenue');
    if (line.tax !== 0) roles.push('tax_payable');
    for (const role of roles) resolveAccount(role, line.accountingCode);
  }
}

/**
 * A closed period that failed to post: a locked one waits in retry (everything else of the run went
 * through, the period posts once it is reopened); any other failure fails the run.
 */
function closeReportOf(failed: PostOutcome | undefined): SinkCloseReport | undefined {
  if (!failed?.error) return undefined;
  const options = { details: { period: failed.period }, ...(failed.error.fix ? { fix: failed.error.fix } : {}) };
  if (failed.error.code === 'dualentry_period_locked') {
    return {
      waiting: [
        { subject: `DualEntry period ${failed.period}`, error: new LedgersyncError(failed.error.code, failed.error.kind, failed.error.message, options) },
      ],
    };
  }
  throw new LedgersyncError(failed.error.code, failed.error.kind, `automatic posting of ${failed.period} failed: ${failed.error.message}`, options);
}
