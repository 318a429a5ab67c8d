/**
 * The QuickBooks Online sink. QBO has no idempotency key, so a record becomes a QBO document in
 * three steps: find its target (the ledger's id, else a look-up on the natural key, else — for
 * objects that carry the source id, like Customer.Notes — a scan), decide the operation
 * (create, sparse update with the SyncToken, void, delete, or adopt what is already there), then
 * send the operations in batch requests of up to 30, retrying single items whose fault can be
 * recovered (stale SyncToken 5010, duplicate name 6240). It knows QBO's protocol, never the
 * source's fields: the mapping in the pipeline produces QBO-shaped records.
 */
import { LedgersyncError, asLedgersyncError } from '../../engine/errors.js';
import type { PlannedWrite, PlanningRecord, ReferenceAnswer, ReferenceQuery, Sink, SinkContext, SinkRecord, SinkResult } from '../../engine/connector/types.js';
import { checkQboReferences } from './references.js';
import { quote, type BatchItem, type QboApi } from './api.js';
import { documentError, faultCodes, type QboFault } from './faults.js';
import type { IntuitOAuth } from './oauth.js';

export interface QboSinkSettings {
  /** Natural key field per object (descriptor `objects.<name>.natural_key`). */
  naturalKeys: Readonly<Record<string, string>>;
  /** Operations per batch request (QBO: 30). */
  batchMaxItems: number;
  /** Records handed to one write (descriptor `max_batch`). */
  maxBatchSize: number;
  /** Send writes in batch requests. */
  useBatch: boolean;
  /** Objects whose record carries the source id in a field (Customer → Notes): matched by it only. */
  adoptBySourceId: Readonly<Record<string, string>>;
  /** Suffix template appended to a unique name already taken by another record, `{sourceId}` filled in. */
  uniqueNameSuffix: string;
  fieldLimits: Readonly<Record<string, number>>;
  voidable: ReadonlySet<string>;
  deletable: ReadonlySet<string>;
}

type OperationKind = 'create' | 'update' | 'void' | 'delete';

interface Job {
  index: number;
  record: SinkRecord;
  object: string;
  body: Record<string, unknown>;
  /** The QBO document this record is, when known. */
  target?: { Id: string; SyncToken?: string };
  /** The target was found by a look-up, not read from the ledger. */
  foundByLookup: boolean;
  /** After a create: void it too (a voided document never synced before). */
  thenVoid: boolean;
  result?: SinkResult;
}

/** QBO fault codes worth one more attempt on their own: stale SyncToken, duplicate name / number. */
const recoverableCodes = new Set(['5010', '6240', '6140']);

export class QboSink implements Sink {
  readonly maxBatchSize: number;
  /** Per object with an adopt field: source id → QBO document, read once per run. */
  private readonly adoptIndex = new Map<string, Map<string, { Id: string; SyncToken: string }>>();

  /** CompanyInfo.Country, read when the sink opens. */
  private country: string | undefined;
  private opened: Promise<void> | undefined;

  constructor(
    private readonly api: QboApi,
    private readonly oauth: IntuitOAuth,
    private readonly settings: QboSinkSettings,
  ) {
    this.maxBatchSize = settings.maxBatchSize;
  }

  open(ctx: SinkContext): Promise<void> {
    this.opened ??= (async () => {
      this.oauth.bind(ctx.secrets);
      await this.oauth.accessToken();
      // Read once a run: Intuit documents GlobalTaxCalculation as not applicable to US companies.
      this.country = await this.api.companyCountry();
    })().catch((error: unknown) => {
      this.opened = undefined;
      throw error;
    });
    return this.opened;
  }

  /**
   * What `write` would do, from the same checks and look-ups and nothing else: the ledger's target,
   * else a look-up by natural key (or the adopt field), in the same batched queries. Documents the
   * ledger knows are read (`select * … where Id in (…)`, 30 at a time) only when asked for the
   * current document; nothing is written, and the unique-name suffixes a create would take are kept
   * in memory.
   */
  async plan(batch: readonly PlanningRecord[], ctx: SinkContext): Promise<PlannedWrite[]> {
    await this.open(ctx);
    const jobs = batch.map((record, index) => this.prepare(record, index, ctx));
    const open = jobs.filter((j) => !j.result);
    for (const job of open) {
      const previous = job.record.previous;
      if (previous?.targetId) job.target = { Id: previous.targetId, ...(previous.targetVersion ? { SyncToken: previous.targetVersion } : {}) };
    }
    await this.lookUp(
      open.filter((j) => !j.target),
      ctx,
    );
    const current = await this.currentDocuments(open.filter((j) => j.target && !j.foundByLookup && (j.record as PlanningRecord).wantCurrent));
    return jobs.map((job): PlannedWrite => {
      if (job.result?.status === 'failed') return { action: 'fail', error: job.result.error };
      const { action, previous } = job.record;
      const target = job.target ? { targetId: job.target.Id } : {};
      if (action === 'delete')
        return job.target ? { action: 'delete', ...target } : { action: 'skip', note: `not in QuickBooks, nothing to delete (${job.object})` };
      if (action === 'void') return job.target ? { action: 'void', ...target } : { action: 'void', note: `not in QuickBooks yet: created, then voided` };
      if (!job.target) return { action: 'create' };
      if (job.foundByLookup && !previous?.pendingWrite) {
        return { action: 'adopt', ...target, note: `already in QuickBooks (${this.describeKey(job)}): linked, left as it is` };
      }
      if (job.foundByLookup) return { action: 'update', ...target, note: 'an interrupted run wrote it; the run updates it' };
      const document = current.get(`${job.object}:${job.target.Id}`);
      return { action: 'update', ...target, ...(document ? { current: document } : {}) };
    });
  }

  /** `ledgersync check`: authenticate (one token refresh at most), then look every referenced id up (connectors/quickbooks-online/references.ts). */
  async check(queries: readonly ReferenceQuery[], ctx: SinkContext): Promise<ReferenceAnswer[][]> {
    await this.open(ctx);
    return checkQboReferences(this.api, queries, { country: this.country });
  }

  private describeKey(job: Job): string {
    const adoptField = this.settings.adoptBySourceId[job.object];
    if (adoptField) return `${job.object}.${adoptField} = ${job.record.sourceId}`;
    const key = this.settings.naturalKeys[job.object]!;
    return `${job.object}.${key} = ${keyValue(job, key) ?? ''}`;
  }

  /** The documents as QuickBooks holds them, by `<object>:<Id>`, 30 to a query. */
  private async currentDocuments(jobs: Job[]): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    for (const [object, group] of groupBy(jobs, (j) => j.object)) {
      for (const chunk of chunks([...new Set(group.map((j) => j.target!.Id))], 30)) {
        const rows = await this.api.query(object, `select * from ${object} where Id in (${chunk.map(quote).join(', ')})`);
        for (const row of rows) out.set(`${object}:${String(row['Id'])}`, row);
      }
    }
    return out;
  }

  async write(batch: readonly SinkRecord[], ctx: SinkContext): Promise<SinkResult[]> {
    this.oauth.bind(ctx.secrets);
    const jobs = batch.map((record, index) => this.prepare(record, index, ctx));
    await this.resolveTargets(
      jobs.filter((j) => !j.result),
      ctx,
    );
    await this.execute(
      jobs.filter((j) => !j.result),
      ctx,
    );
    return jobs.map((j) => j.result ?? failed(new LedgersyncError('qbo_no_result', 'system', `no outcome for ${j.object} ${j.record.sourceId}`)));
  }

  // ---- step 1: check what QBO would refuse anyway, before any request ----

  private prepare(record: SinkRecord, index: number, ctx: SinkContext): Job {
    const job: Job = { index, record, object: record.object, body: structuredClone(record.data), foundByLookup: false, thenVoid: false };
    if (this.country === 'US') delete job.body['GlobalTaxCalculation'];
    const key = this.settings.naturalKeys[record.object];
    if (key === undefined) {
      job.result = failed(
        new LedgersyncError('qbo_unknown_object', 'record', `QuickBooks Online has no object '${record.object}' in this connector`, {
          fix: `use one of ${Object.keys(this.settings.naturalKeys).join(', ')} as target.object or _object`,
        }),
      );
      return job;
    }
    if (record.action === 'void' && !this.settings.voidable.has(record.object)) {
      job.result = failed(
        new LedgersyncError('qbo_cannot_void', 'record', `QuickBooks cannot void a ${record.object}`, {
          fix: `map it as _action "delete" (allowed for ${[...this.settings.deletable].join(', ')}) or as a reversing document`,
        }),
      );
      return job;
    }
    if (record.action === 'delete' && !this.settings.deletable.has(record.object)) {
      job.result = failed(
        new LedgersyncError('qbo_cannot_delete', 'record', `QuickBooks does not delete a ${record.object}`, {
          fix: 'map it as an update with Active: false to make it inactive, or skip deletions of this stream',
        }),
      );
      return job;
    }
    if (this.settings.adoptBySourceId[record.object] && ctx.kv.get(suffixKey(record)) === true) this.applySuffix(job);
    const tooLong = this.overLimit(job);
    if (tooLong) job.result = failed(tooLong);
    else if (record.action === 'upsert' && !this.settings.adoptBySourceId[record.object] && !keyValue(job, key)) {
      job.result = failed(
        new LedgersyncError(
          'qbo_missing_natural_key',
          'record',
          `the mapped ${record.object} has no ${key}, so it cannot be looked up before creating (QBO has no idempotency key)`,
          {
            fix: `make the stream's mapping produce ${key}`,
          },
        ),
      );
    }
    return job;
  }

  private overLimit(job: Job): LedgersyncError | undefined {
    for (const [field, limit] of Object.entries(this.settings.fieldLimits)) {
      const value = job.body[field];
      if (typeof value !== 'string') continue;
      const length = Array.from(value).length;
      if (length > limit) {
        return new LedgersyncError('qbo_field_too_long', 'record', `${job.object}.${field} '${value}' is ${length} characters; QuickBooks allows ${limit}`, {
          fix: `map a value of at most ${limit} characters to ${field} (e.g. $truncate(…, ${limit}) for free text; a shorter numbering for document numbers, since truncating them could collide)`,
          details: { field, limit, length },
        });
      }
    }
    return undefined;
  }

  // ---- step 2: find the QBO document each record is ----

  private async resolveTargets(jobs: Job[], ctx: SinkContext): Promise<void> {
    const needSyncToken: Job[] = [];
    const needLookup: Job[] = [];
    for (const job of jobs) {
      const previous = job.record.previous;
      if (previous?.targetId) {
        job.target = { Id: previous.targetId, ...(previous.targetVersion ? { SyncToken: previous.targetVersion } : {}) };
        if (!previous.targetVersion) needSyncToken.push(job);
      } else {
        needLookup.push(job);
      }
    }
    await this.fetchSyncTokens(needSyncToken);
    await this.lookUp(needLookup, ctx);
  }

  private async fetchSyncTokens(jobs: Job[]): Promise<void> {
    for (const [object, group] of groupBy(jobs, (j) => j.object)) {
      for (const chunk of chunks(group, 30)) {
        const rows = await this.api.query(object, `select Id, SyncToken from ${object} where Id in (${chunk.map((j) => quote(j.target!.Id)).join(', ')})`);
        const byId = new Map(rows.map((r) => [String(r['Id']), String(r['SyncToken'])]));
        for (const job of chunk) {
          const token = byId.get(job.target!.Id);
          if (token !== undefined) job.target!.SyncToken = token;
          else if (job.record.action === 'delete')
            job.result = { status: 'skipped', reason: `already gone from QuickBooks (${job.object} ${job.target!.Id})`, targetId: job.target!.Id };
          else job.result = failed(goneError(job));
        }
      }
    }
  }

  private async lookUp(jobs: Job[], ctx: SinkContext): Promise<void> {
    for (const [object, group] of groupBy(jobs, (j) => j.object)) {
      const adoptField = this.settings.adoptBySourceId[object];
      const key = this.settings.naturalKeys[object]!;
      if (adoptField) {
        const index = await this.adoptIndexOf(object, adoptField);
        for (const job of group) {
          const hit = index.get(job.record.sourceId);
          if (hit) {
            job.target = { ...hit };
            job.foundByLookup = true;
          }
        }
        // Not adopted: the unique name may still be taken by another record; then suffix it.
        const creating = group.filter((j) => !j.target && j.record.action !== 'delete' && keyValue(j, key));
        const taken = await this.existingKeys(
          object,
          key,
          creating.map((j) => keyValue(j, key)!),
        );
        for (const job of creating) {
          // Taken in QBO, or by an earlier record of this same batch.
          const name = keyValue(job, key)!.toLowerCase();
          if (taken.has(name)) {
            this.applySuffix(job);
            ctx.kv.set(suffixKey(job.record), true);
          }
          taken.add(name);
        }
      } else {
        const wanted = group.filter((j) => keyValue(j, key));
        const found = await this.findByKey(
          object,
          key,
          wanted.map((j) => keyValue(j, key)!),
        );
        for (const job of wanted) {
          const hit = found.get(keyValue(job, key)!.toLowerCase());
          if (hit) {
            job.target = hit;
            job.foundByLookup = true;
          }
        }
      }
    }
  }

  private async findByKey(object: string, key: string, values: string[]): Promise<Map<string, { Id: string; SyncToken: string }>> {
    const out = new Map<string, { Id: string; SyncToken: string }>();
    for (const chunk of chunks([...new Set(values)], 30)) {
      const rows = await this.api.query(object, `select Id, SyncToken, ${key} from ${object} where ${key} in (${chunk.map(quote).join(', ')})`);
      // QBO compares names and numbers without regard to case.
      for (const row of rows) out.set(String(row[key]).toLowerCase(), { Id: String(row['Id']), SyncToken: String(row['SyncToken']) });
    }
    return out;
  }

  private async existingKeys(object: string, key: string, values: string[]): Promise<Set<string>> {
    return new Set((await this.findByKey(object, key, values)).keys());
  }

  private async adoptIndexOf(object: string, field: string): Promise<Map<string, { Id: string; SyncToken: string }>> {
    let index = this.adoptIndex.get(object);
    if (index) return index;
    // QBO cannot filter on free-text fields such as Notes: read them all once per run.
    const rows = await this.api.queryAll(object, `select Id, SyncToken, ${field} from ${object}`);
    index = new Map();
    for (const row of rows) {
      const value = typeof row[field] === 'string' ? (row[field] as string).trim() : '';
      if (value && !index.has(value)) index.set(value, { Id: String(row['Id']), SyncToken: String(row['SyncToken']) });
    }
    this.adoptIndex.set(object, index);
    return index;
  }

  private applySuffix(job: Job): void {
    const key = this.settings.naturalKeys[job.object]!;
    const name = keyValue(job, key);
    if (!name) return;
    const suffix = this.settings.uniqueNameSuffix.replace('{sourceId}', job.record.sourceId);
    if (name.endsWith(suffix)) return;
    const limit = this.settings.fieldLimits[key] ?? 500;
    const room = Math.max(1, limit - Array.from(suffix).length);
    job.body[key] = Array.from(name).slice(0, room).join('').trimEnd() + suffix;
  }

  // ---- step 3: send the operations ----

  private async execute(jobs: Job[], ctx: SinkContext): Promise<void> {
    const operations: { job: Job; kind: OperationKind }[] = [];
    for (const job of jobs) {
      const { action, previous } = job.record;
      if (action === 'delete') {
        if (!job.target) job.result = { status: 'skipped', reason: `not in QuickBooks, nothing to delete (${job.object})` };
        else operations.push({ job, kind: 'delete' });
      } else if (action === 'void') {
        if (job.target) operations.push({ job, kind: 'void' });
        else {
          job.thenVoid = true;
          operations.push({ job, kind: 'create' });
        }
      } else if (!job.target) {
        operations.push({ job, kind: 'create' });
      } else if (job.foundByLookup && !previous?.pendingWrite) {
        // Already in QBO before this pipeline knew it (keyed by hand, or by the tool used before go-live): link it, leave it as is.
        job.result = {
          status: 'skipped',
          reason: `adopted the existing QuickBooks ${job.object} ${job.target.Id}`,
          targetId: job.target.Id,
          ...(job.target.SyncToken ? { targetVersion: job.target.SyncToken } : {}),
        };
      } else {
        operations.push({ job, kind: 'update' });
      }
    }

    const batchable = operations.filter((o) => o.kind !== 'void');
    const single = operations.filter((o) => o.kind === 'void');
    if (this.settings.useBatch && batchable.length > 1) {
      for (const chunk of chunks(batchable, this.settings.batchMaxItems)) await this.sendBatch(chunk, ctx);
    } else {
      single.push(...batchable);
    }
    await Promise.all(single.map((o) => this.sendOne(o.job, o.kind, ctx)));
    await Promise.all(jobs.filter((j) => j.thenVoid && j.result && j.result.status === 'created').map((j) => this.sendOne(j, 'void', ctx)));
  }

  private bodyFor(job: Job, kind: OperationKind): Record<string, unknown> {
    if (kind === 'create') return job.body;
    if (kind === 'update') return { ...job.body, Id: job.target!.Id, SyncToken: job.target!.SyncToken ?? '0', sparse: true };
    return { Id: job.target!.Id, SyncToken: job.target!.SyncToken ?? '0' };
  }

  private async sendBatch(operations: { job: Job; kind: OperationKind }[], ctx: SinkContext): Promise<void> {
    const items: BatchItem[] = operations.map((o, i) => ({
      bId: String(i),
      operation: o.kind as 'create' | 'update' | 'delete',
      object: o.job.object,
      entity: this.bodyFor(o.job, o.kind),
    }));
    const outcomes = await this.api.batch(items, ctx.signal);
    const retries: { job: Job; kind: OperationKind; fault: QboFault }[] = [];
    outcomes.forEach((outcome, i) => {
      const { job, kind } = operations[i]!;
      if ('fault' in outcome) {
        // A batch item's fault is retried on its own request when a retry can change the answer.
        if (outcome.fault.type === 'SystemFault' || faultCodes(outcome.fault).some((c) => recoverableCodes.has(c)))
          retries.push({ job, kind, fault: outcome.fault });
        else job.result = failed(documentError(outcome.fault, describe(job, kind)));
      } else if ('entity' in outcome) {
        this.succeeded(job, kind, outcome.entity);
      }
    });
    await Promise.all(retries.map((r) => this.recover(r.job, r.kind, r.fault, ctx, true)));
  }

  /** One operation on its own request. */
  private async sendOne(job: Job, kind: OperationKind, ctx: SinkContext, attempt = 1): Promise<void> {
    try {
      let entity: Record<string, unknown>;
      if (kind === 'create') entity = await this.api.create(job.object, this.bodyFor(job, kind));
      else if (kind === 'update') entity = await this.api.update(job.object, this.bodyFor(job, kind));
      else entity = await this.api.operation(job.object, kind, job.target!.Id, job.target!.SyncToken ?? '0');
      this.succeeded(job, kind, entity);
    } catch (error) {
      const e = asLedgersyncError(error);
      if (e.kind !== 'record') throw e;
      const fault = faultOf(e);
      if (attempt === 1 && fault && faultCodes(fault).some((c) => recoverableCodes.has(c))) return this.recover(job, kind, fault, ctx, false);
      if (kind === 'delete' && faultCodes(fault).includes('610')) {
        job.result = { status: 'skipped', reason: `already gone from QuickBooks (${job.object} ${job.target!.Id})`, targetId: job.target!.Id };
        return;
      }
      job.result = failed(fault ? documentError(fault, describe(job, kind)) : e);
    }
  }

  /** The one retry a recoverable fault earns: fresh SyncToken, a free name, or adopting the document that holds the number. */
  private async recover(job: Job, kind: OperationKind, fault: QboFault, ctx: SinkContext, fromBatch: boolean): Promise<void> {
    const codes = faultCodes(fault);
    if (codes.includes('5010') && job.target) {
      const current = await this.api.read(job.object, job.target.Id);
      job.target.SyncToken = current.SyncToken;
      return this.sendOne(job, kind, ctx, 2);
    }
    if (codes.includes('6240') && kind !== 'delete' && kind !== 'void' && this.settings.adoptBySourceId[job.object]) {
      this.applySuffix(job);
      ctx.kv.set(suffixKey(job.record), true);
      return this.sendOne(job, kind, ctx, 2);
    }
    if (codes.includes('6140') && kind === 'create') {
      const key = this.settings.naturalKeys[job.object]!;
      const value = keyValue(job, key);
      const hit = value ? (await this.findByKey(job.object, key, [value])).get(value.toLowerCase()) : undefined;
      if (hit) {
        ctx.log.warn(`${job.object} ${key} ${value} appeared in QuickBooks after the look-up; adopting ${hit.Id}`);
        job.target = hit;
        job.result = { status: 'skipped', reason: `adopted the existing QuickBooks ${job.object} ${hit.Id}`, targetId: hit.Id, targetVersion: hit.SyncToken };
        return;
      }
    }
    if (fromBatch && fault.type === 'SystemFault') {
      // The item may have been applied before the fault: a create looks itself up before going again.
      if (kind === 'create') {
        await this.lookUp([job], ctx);
        if (job.target) {
          job.result = { status: 'created', targetId: job.target.Id, ...(job.target.SyncToken ? { targetVersion: job.target.SyncToken } : {}) };
          return;
        }
      }
      return this.sendOne(job, kind, ctx, 2);
    }
    job.result = failed(documentError(fault, describe(job, kind)));
  }

  private succeeded(job: Job, kind: OperationKind, entity: Record<string, unknown>): void {
    const id = String(entity['Id'] ?? job.target?.Id ?? '');
    const syncToken = entity['SyncToken'] === undefined ? undefined : String(entity['SyncToken']);
    job.target = { Id: id, ...(syncToken !== undefined ? { SyncToken: syncToken } : {}) };
    const adoptField = this.settings.adoptBySourceId[job.object];
    if (adoptField && kind === 'create') this.adoptIndex.get(job.object)?.set(job.record.sourceId, { Id: id, SyncToken: syncToken ?? '0' });
    const status = kind === 'create' && !job.foundByLookup ? 'created' : 'updated';
    job.result = { status, targetId: id, ...(syncToken !== undefined && kind !== 'delete' ? { targetVersion: syncToken } : {}) };
  }
}

function failed(error: LedgersyncError): SinkResult {
  return { status: 'failed', error };
}

function faultOf(error: LedgersyncError): QboFault | undefined {
  const errors = error.details['qboErrors'] as QboFault['errors'] | undefined;
  return errors ? { type: String(error.details['qboFaultType'] ?? ''), errors } : undefined;
}

function keyValue(job: Job, key: string): string | undefined {
  const v = job.body[key];
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

function suffixKey(record: SinkRecord): string {
  return `unique_name_suffixed:${record.object}:${record.sourceId}`;
}

function describe(job: Job, kind: OperationKind): string {
  return `the ${kind} of ${job.object} for source record ${job.record.sourceId}`;
}

function goneError(job: Job): LedgersyncError {
  return new LedgersyncError(
    'qbo_target_gone',
    'record',
    `the QuickBooks ${job.object} ${job.target!.Id} recorded for source record ${job.record.sourceId} no longer exists (deleted in QuickBooks?)`,
    {
      fix: 'restore it in QuickBooks (Audit log → deleted transactions), or reset this record with `ledgersync reset` so it is created again',
    },
  );
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
