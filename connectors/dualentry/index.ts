/**
 * DualEntry sink. `revenue_document` records feed the recognition schedule (domain/revrec) and are
 * posted per closed period in `close()` or on demand (`post()`, used by `ledgersync post`);
 * `journal_entry` records are posted as they come, one entry each.
 */
import { createHash } from 'node:crypto';
import { asLedgersyncError, LedgersyncError } from '../../engine/errors.js';
import type { ConnectorDescriptor } from '../../engine/connector/descriptor.js';
import { openConnection } from '../../engine/connector/open-connection.js';
import type {
  ConnectorFactoryInput,
  ConnectorModule,
  ReferenceAnswer,
  ReferenceQuery,
  Sink,
  SinkContext,
  SinkRecord,
  SinkResult,
} from '../../engine/connector/types.js';
import { registerSecret } from '../../engine/log.js';
import { lookupAccountResolver, type AccountTables } from '../../domain/revrec/accounts.js';
import { PeriodCalendar } from '../../domain/revrec/calendar.js';
import type { AccountRole } from '../../domain/revrec/journal.js';
import { documentSchedule } from '../../domain/revrec/schedule.js';
import { DualEntryApi, companyNotFoundFix, describeDualEntryError } from './api.js';
import { parseRevenueDocument } from './documents.js';
import { ReadyJournalPoster } from './journals.js';
import { RevrecPoster, type PostOutcome } from './poster.js';
import { RevrecLedger } from './revrec-ledger.js';
import { formatRevrecStatus, revrecStatus, type RevrecStatus } from './status.js';
import { parseRevrecSettings, type RevrecSettings } from './settings.js';
import { postCommand } from './post.js';

export type { RevrecStatus } from './status.js';
export { formatRevrecStatus, revrecStatus } from './status.js';

export interface DualEntrySinkOptions {
  /** Clock in unix seconds, for tests. Default: the system clock. */
  now?: () => number;
}

export interface DualEntrySink extends Sink {
  /** Posts (or with `repost`, reverses and re-posts) one period now, whatever its close rule says. */
  post(period: string, options: { repost: boolean }, ctx: SinkContext): Promise<PostOutcome>;
  /** Periods, their entries and the retry state, for `ledgersync status`. */
  status(ctx: SinkContext): RevrecStatus;
  /** Outcomes of the automatic posting done by the last `close()`. */
  readonly lastAutomaticPostings: readonly PostOutcome[];
  /** DualEntry requests made so far. */
  readonly apiCalls: number;
}

function companyIdOf(input: ConnectorFactoryInput): number {
  const raw = input.connection['company_id'];
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (!/^\d{1,18}$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) === 0) {
    throw new LedgersyncError('invalid_company_id', 'config', `sink.company_id must be a DualEntry company ID (a number), received ${JSON.stringify(raw)}`, {
      fix: 'copy the ID from Companies in DualEntry (company switcher → Companies, ID column) into DUALENTRY_COMPANY_ID',
    });
  }
  return Number(text);
}

function apiKeyOf(input: ConnectorFactoryInput): string {
  const key = input.connection['api_key'];
  if (typeof key !== 'string' || key.trim() === '') {
    throw new LedgersyncError('dualentry_api_key_missing', 'config', 'sink.api_key is empty: the DualEntry API key is required', {
      fix: 'set DUALENTRY_API_KEY to the key your DualEntry administrator generated under Settings → Developers → API Keys',
    });
  }
  return key.trim();
}

function describeMappingFor(tables: AccountTables, lookups: ConnectorFactoryInput['lookups']) {
  return (role: AccountRole, code: string): string => {
    const table = tables[role];
    if (!table) return `revenue_recognition.accounts.${role}`;
    return lookups[table] && Object.hasOwn(lookups[table].values, code) ? `lookups.${table}.values[${JSON.stringify(code)}]` : `lookups.${table}.default`;
  };
}

export function createDualEntrySink(input: ConnectorFactoryInput, options: DualEntrySinkOptions = {}): DualEntrySink {
  const descriptor: ConnectorDescriptor = input.descriptor;
  const apiKey = apiKeyOf(input);
  registerSecret(apiKey);
  const companyId = companyIdOf(input);
  const recordStatus = input.connection['record_status'] ?? 'posted';
  if (recordStatus !== 'draft' && recordStatus !== 'posted') {
    throw new LedgersyncError('invalid_record_status', 'config', `sink.record_status must be "draft" or "posted", received ${JSON.stringify(recordStatus)}`);
  }
  const settings: RevrecSettings | undefined =
    input.extensions['revenue_recognition'] === undefined ? undefined : parseRevrecSettings(input.extensions['revenue_recognition']);
  const calendar = new PeriodCalendar(settings?.period ?? 'month', input.timezone || 'UTC');
  const resolveAccount = lookupAccountResolver(settings?.accounts ?? {}, input.lookups);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  // The X-API-KEY header, limits and retry policy come from the descriptor and the pipeline's overrides.
  const http = openConnection(input, {
    label: `DualEntry company ${companyId}`,
    hooks: { describeError: (response, request) => describeDualEntryError(response, request, companyId) },
  });
  const api = new DualEntryApi(http, companyId, descriptor.paging);
  const refPrefix = `ls-${createHash('sha256').update(`${input.pipeline}\u0000${companyId}`).digest('hex').slice(0, 8)}`;
  let companyCheck: Promise<void> | undefined;
  const checkCompany = (): Promise<void> =>
    (companyCheck ??= api.company().then(
      () => undefined,
      (error: unknown) => {
        companyCheck = undefined;
        throw error;
      },
    ));
  let lastAutomaticPostings: PostOutcome[] = [];
  let poster: RevrecPoster | undefined;
  let journals: ReadyJournalPoster | undefined;

  const requireSettings = (): RevrecSettings => {
    if (!settings) {
      throw new LedgersyncError(
        'revenue_recognition_missing',
        'config',
        'the pipeline has no revenue_recognition: block, so revenue documents cannot be scheduled or posted',
        {
          fix: 'add a revenue_recognition block (periods, close rule, journal description, account lookup tables) to the pipeline',
        },
      );
    }
    return settings;
  };
  const posterFor = (ctx: SinkContext): RevrecPoster =>
    (poster ??= new RevrecPoster({
      api,
      ledger: new RevrecLedger(ctx.kv),
      settings: requireSettings(),
      calendar,
      resolveAccount,
      describeMapping: describeMappingFor(settings?.accounts ?? {}, input.lookups),
      refPrefix,
      recordStatus,
      log: ctx.log,
      runId: ctx.runId,
      checkCompany,
      ...(ctx.writeTrail ? { writeTrail: ctx.writeTrail } : {}),
    }));

  /** Validates and schedules documents, then replaces their schedules in one write. */
  function scheduleDocuments(records: readonly SinkRecord[], ctx: SinkContext): SinkResult[] {
    const results = new Array<SinkResult>(records.length);
    const updates: Array<{ key: string; currency: string; rows: ReturnType<typeof documentSchedule>; index: number; removed: boolean }> = [];
    for (const [index, record] of records.entries()) {
      const key = `${record.stream}:${record.sourceId}`;
      try {
        requireSettings();
        // A voided or deleted document takes back whatever it scheduled; its content does not matter.
        if (record.deleted || record.action === 'delete' || record.action === 'void') {
          updates.push({ key, currency: '', rows: [], index, removed: true });
          continue;
        }
        const document = parseRevenueDocument(record.sourceId, record.data);
        for (const line of document.lines) {
          const roles: AccountRole[] = ['accounts_receivable', 'deferred_revenue', 'revenue'];
          if (line.discount !== 0) roles.push('contra_revenue');
          if (line.tax !== 0) roles.push('tax_payable');
          for (const role of roles) resolveAccount(role, line.accountingCode);
        }
        updates.push({ key, currency: document.currency, rows: documentSchedule(document, calendar), index, removed: false });
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

  return {
    maxBatchSize: descriptor.max_batch ?? 100,

    async open() {
      await checkCompany();
    },

    /** `ledgersync check`: the company exists and is active, and every account number named exists and is active. */
    async check(queries: readonly ReferenceQuery[]): Promise<ReferenceAnswer[][]> {
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
    },

    async write(batch, ctx) {
      const results: SinkResult[] = new Array(batch.length);
      const documents: Array<{ record: SinkRecord; index: number }> = [];
      const ready: Array<{ record: SinkRecord; index: number }> = [];
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
      if (documents.length) {
        const scheduled = scheduleDocuments(
          documents.map((d) => d.record),
          ctx,
        );
        documents.forEach((d, i) => {
          results[d.index] = scheduled[i]!;
        });
      }
      if (ready.length) {
        journals ??= new ReadyJournalPoster({ api, kv: ctx.kv, refPrefix, recordStatus, log: ctx.log });
        const posted = await journals.post(ready.map((r) => r.record));
        ready.forEach((r, i) => {
          results[r.index] = posted[i]!;
        });
      }
      return results;
    },

    async close(ctx) {
      lastAutomaticPostings = [];
      if (!settings?.automaticPosting) return;
      lastAutomaticPostings = await posterFor(ctx).postClosed(options.now ? now() : (ctx.now ?? now)());
      const failed = lastAutomaticPostings.find((o) => o.status === 'failed');
      if (failed?.error?.code === 'dualentry_period_locked') {
        // Everything else of the run went through; the period waits in retry until it is reopened.
        const error = new LedgersyncError(failed.error.code, failed.error.kind, failed.error.message, {
          details: { period: failed.period },
          ...(failed.error.fix ? { fix: failed.error.fix } : {}),
        });
        return { waiting: [{ subject: `DualEntry period ${failed.period}`, error }] };
      }
      if (failed?.error) {
        throw new LedgersyncError(failed.error.code, failed.error.kind, `automatic posting of ${failed.period} failed: ${failed.error.message}`, {
          details: { period: failed.period },
          ...(failed.error.fix ? { fix: failed.error.fix } : {}),
        });
      }
    },

    post(period, postOptions, ctx) {
      return posterFor(ctx).post(period, postOptions);
    },

    status(ctx) {
      return revrecStatus(ctx.kv);
    },

    get lastAutomaticPostings() {
      return lastAutomaticPostings;
    },

    get apiCalls() {
      return api.calls;
    },
  };
}

export const connector: ConnectorModule = {
  name: 'dualentry',
  createSink: (input) => createDualEntrySink(input),
  describeState(kv) {
    const status = revrecStatus(kv);
    return status.periods.length || status.retry ? formatRevrecStatus(status) : [];
  },
  commands: [postCommand(createDualEntrySink)],
  // The revenue-recognition account tables are read by the connector itself, not through a mapping.
  referencedLookups(input) {
    const block = input.extensions['revenue_recognition'];
    if (block === undefined) return [];
    const accounts = (block as { accounts?: Record<string, unknown> }).accounts ?? {};
    return Object.entries(accounts)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([role, table]) => ({ table, kind: 'Account', via: `revenue_recognition.accounts.${role}` }));
  },
};
