/**
 * The QuickBooks Online sink. QBO has no idempotency key, so a record becomes a QBO document in
 * three steps: find its target (the ledger's id, else a look-up on the natural key, else — for
 * objects that carry the source id, like Customer.Notes — a scan), decide the operation
 * (create, sparse update with the SyncToken, void, delete, or adopt what is already there), then
 * send the operations in batch requests of up to 30, retrying single items whose fault can be
 * recovered (stale SyncToken 5010, duplicate name 6240). A write whose answer is lost (a 5xx or
 * gateway 429 after it was sent, a reset, garbage) is looked up before anything is sent again: a
 * create by its natural key, an update by comparing the document with what was sent. It knows QBO's
 * protocol, never the source's fields: the mapping in the pipeline produces QBO-shaped records.
 */
import { LedgersyncError, asLedgersyncError } from '../../engine/errors.js';
import type { PlannedWrite, PlanningRecord, ReferenceAnswer, ReferenceQuery, Sink, SinkContext, SinkRecord, SinkResult } from '../../engine/connector/types.js';
import { checkQboReferences, type ReceivableEntry } from './references.js';
import { quote, type BatchItem, type QboApi, type QboEntity, type WriteAnswer } from './api.js';
import { holdsAll, isVoided } from './compare.js';
import { withoutClearedFields } from './cleared-fields.js';
import { documentError, faultCodes, type QboFault } from './faults.js';
import { compileFieldLimits, firstTooLong, type FieldLimit } from '../../engine/connector/field-limits.js';
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
  /** Path (`DocNumber`, `PrimaryPhone.FreeFormNumber`, `Line[].Description`) → QBO's maximum length. */
  fieldLimits: Readonly<Record<string, number>>;
  voidable: ReadonlySet<string>;
  deletable: ReadonlySet<string>;
  /** The lookup entries naming each ReceivableAccount, for `check` to compare their keys with the account's currency. */
  receivableEntries?: ReadonlyMap<string, readonly ReceivableEntry[]>;
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
  /** The whole document, read when an interrupted run left this record's write unconfirmed. */
  current?: QboEntity;
  result?: SinkResult;
}

interface Operation {
  job: Job;
  kind: OperationKind;
  /** Sent again after an attempt whose answer was lost (and a look-up that did not find it landed). */
  repeat?: true;
}

type Skipped = Extract<SinkResult, { status: 'skipped' }>;

/** What one record needs: an operation to send (a create a void completes, for a document never synced), or nothing. */
type Decision = { operation: OperationKind; thenVoid?: true } | { skip: Skipped; adopted?: true };

/** An operation sent whose answer was lost: it may have been applied. */
interface InDoubt extends Operation {
  error: LedgersyncError;
}

/** Who holds a unique name (Customer.DisplayName, Item.Name), and which source record its adopt field names. */
interface NameHolder {
  Id: string;
  SyncToken: string;
  /** The value of the adopt field (Notes, Sku): the source record it was created for, if ledgersync created it. */
  owner: string;
  /** Taken by an earlier record of the batch being written (not in QBO yet). */
  inBatch?: boolean;
}

/** QBO fault codes worth one more attempt on their own: stale SyncToken, duplicate name / number. */
const recoverableCodes = new Set(['5010', '6240', '6140']);

export class QboSink implements Sink {
  readonly maxBatchSize: number;
  /** Per object with an adopt field: source id → QBO document, read once per run. */
  private readonly adoptIndex = new Map<string, Map<string, { Id: string; SyncToken: string }>>();
  /** Per object: source id → the document this sink created or adopted for it in this run (the ledger has earlier ones). */
  private readonly written = new Map<string, Map<string, string>>();

  /** CompanyInfo.Country, read when the sink opens. */
  private country: string | undefined;
  private opened: Promise<void> | undefined;
  private readonly fieldLimits: readonly FieldLimit[];

  constructor(
    private readonly api: QboApi,
    private readonly oauth: IntuitOAuth,
    private readonly settings: QboSinkSettings,
  ) {
    this.maxBatchSize = settings.maxBatchSize;
    this.fieldLimits = compileFieldLimits(settings.fieldLimits);
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
   * What `write` would do, from the same checks, look-ups and decision and nothing else: the
   * ledger's target, else a look-up by natural key (or the adopt field), in the same batched
   * queries; the documents the run reads whole (a void's, and one an interrupted run may have
   * written) are read as it reads them (`select * … where Id in (…)`, 30 at a time), and so is one
   * asked for its current document. Nothing is written, and the unique-name suffixes a create would
   * take are kept in memory.
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
    await this.readCurrent(open.filter((j) => !j.result && j.target && (readsCurrent(j) || (j.record as PlanningRecord).wantCurrent)));
    return jobs.map((job): PlannedWrite => {
      if (job.result?.status === 'failed') return { action: 'fail', error: job.result.error };
      if (job.result?.status === 'skipped') return { action: 'skip', note: job.result.reason };
      const target = job.target ? { targetId: job.target.Id } : {};
      // The run reads a document only where readsCurrent says so: one read here for its diff alone decides nothing.
      const decision = this.decide(job, readsCurrent(job) ? job.current : undefined);
      if ('skip' in decision) {
        return decision.adopted
          ? { action: 'adopt', ...target, note: `already in QuickBooks (${this.describeKey(job)}): linked, left as it is` }
          : { action: 'skip', note: decision.skip.reason };
      }
      if (decision.operation === 'create')
        return decision.thenVoid ? { action: 'void', note: 'not in QuickBooks yet: created, then voided' } : { action: 'create' };
      if (decision.operation === 'update') {
        const current = job.current ? { current: job.current } : {};
        return job.foundByLookup
          ? { action: 'update', ...target, ...current, note: 'an interrupted run created it; the run updates it to the mapping' }
          : { action: 'update', ...target, ...current };
      }
      return { action: decision.operation, ...target };
    });
  }

  /** `ledgersync check`: authenticate (one token refresh at most), then look every referenced id up (connectors/quickbooks-online/references.ts). */
  async check(queries: readonly ReferenceQuery[], ctx: SinkContext): Promise<ReferenceAnswer[][]> {
    await this.open(ctx);
    return checkQboReferences(this.api, queries, {
      country: this.country,
      ...(this.settings.receivableEntries ? { receivableEntries: this.settings.receivableEntries } : {}),
    });
  }

  private describeKey(job: Job): string {
    const adoptField = this.settings.adoptBySourceId[job.object];
    if (adoptField) return `${job.object}.${adoptField} = ${job.record.sourceId}`;
    const key = this.settings.naturalKeys[job.object]!;
    return `${job.object}.${key} = ${keyValue(job, key) ?? ''}`;
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
    const key = this.settings.naturalKeys[record.object];
    if (key === undefined) {
      job.result = failed(
        new LedgersyncError('qbo_unknown_object', 'record', `QuickBooks Online has no object '${record.object}' in this connector`, {
          fix: `use one of ${Object.keys(this.settings.naturalKeys).join(', ')} as target.object or _object`,
        }),
      );
      return job;
    }
    if (this.country === 'US' && record.action === 'upsert' && job.body['GlobalTaxCalculation'] === 'TaxInclusive') {
      // Dropping the flag would post the lines' tax twice (once inside them, once in TxnTaxDetail).
      job.result = failed(
        new LedgersyncError(
          'qbo_tax_inclusive_us',
          'record',
          `${record.object} ${record.sourceId} is tax-inclusive, and this QuickBooks company is in the US, where QuickBooks takes amounts net of tax only`,
          {
            fix: 'map tax-inclusive documents net of tax for US companies: each line less its tax, the tax in TxnTaxDetail (the example pipeline does so under options.us_sales_tax_codes: true)',
          },
        ),
      );
      return job;
    }
    if (this.country === 'US') delete job.body['GlobalTaxCalculation'];
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
    if (foundNowhereBefore(job, key)) {
      job.result = { status: 'skipped', reason: `not in QuickBooks when last looked up (${this.describeKey(job)}), nothing to ${record.action}` };
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
    const tooLong = firstTooLong(job.body, this.fieldLimits);
    if (!tooLong) return undefined;
    const { path, value, length, limit } = tooLong;
    const isKey = path === this.settings.naturalKeys[job.object];
    return new LedgersyncError('qbo_field_too_long', 'record', `${job.object}.${path} '${value}' is ${length} characters; QuickBooks allows ${limit}`, {
      fix: isKey
        ? `map a key of at most ${limit} characters to ${path}: a shorter numbering, or a key built to fit, unique and the same on every run (the value when it fits, else $digest of it, as the example's credit_note_allocations does); truncating could collide`
        : `map a value of at most ${limit} characters to ${path} (e.g. $truncate(…, ${limit}))`,
      details: { field: path, limit, length },
    });
  }

  // ---- step 2: find the QBO document each record is ----

  private async resolveTargets(jobs: Job[], ctx: SinkContext): Promise<void> {
    const needSyncToken: Job[] = [];
    const needLookup: Job[] = [];
    for (const job of jobs) {
      const previous = job.record.previous;
      if (previous?.targetId) {
        job.target = { Id: previous.targetId, ...(previous.targetVersion ? { SyncToken: previous.targetVersion } : {}) };
        if (!previous.targetVersion || previous.pendingWrite) needSyncToken.push(job);
      } else {
        needLookup.push(job);
      }
    }
    await this.fetchSyncTokens(needSyncToken);
    await this.lookUp(needLookup, ctx);
    await this.readCurrent(jobs.filter((j) => !j.result && j.target && readsCurrent(j)));
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

  private async readCurrent(jobs: Job[]): Promise<void> {
    for (const [object, group] of groupBy(jobs, (j) => j.object)) {
      const current = await this.api.entities(
        object,
        group.map((j) => j.target!.Id),
      );
      for (const job of group) {
        const entity = current.get(job.target!.Id);
        if (!entity) continue;
        job.current = entity;
        job.target!.SyncToken = String(entity.SyncToken);
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
            this.remember(job.object, job.record.sourceId, hit.Id);
          }
        }
        await this.claimNames(
          group.filter((j) => !j.target && j.record.action !== 'delete' && keyValue(j, key)),
          object,
          key,
          adoptField,
          ctx,
        );
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

  /**
   * Records about to be created under a unique name (DisplayName, Name): a name held in QBO by a
   * document ledgersync wrote for another source record (or by an earlier record of this batch) gets
   * the suffix; one held by a document ledgersync did not write is dead-lettered, never renamed
   * around, so a person decides whether it is the same customer.
   */
  private async claimNames(jobs: Job[], object: string, key: string, adoptField: string, ctx: SinkContext): Promise<void> {
    if (!jobs.length) return;
    const holders = await this.holdersOf(
      object,
      key,
      adoptField,
      jobs.map((j) => keyValue(j, key)!),
    );
    for (const job of jobs) {
      const name = keyValue(job, key)!;
      const holder = holders.get(name.toLowerCase());
      if (!holder) {
        holders.set(name.toLowerCase(), { Id: '', SyncToken: '', owner: job.record.sourceId, inBatch: true });
        continue;
      }
      const verdict = this.nameHeldBy(job, holder, ctx);
      if (verdict === 'this record') {
        job.target = { Id: holder.Id, SyncToken: holder.SyncToken };
        job.foundByLookup = true;
      } else if (verdict === 'another record') {
        this.applySuffix(job);
        ctx.kv.set(suffixKey(job.record), true);
        holders.set(keyValue(job, key)!.toLowerCase(), { Id: '', SyncToken: '', owner: job.record.sourceId, inBatch: true });
      } else {
        job.result = failed(this.nameTaken(job, name, holder));
      }
    }
  }

  /** Whose is the document holding the name this record wants. */
  private nameHeldBy(job: Job, holder: NameHolder, ctx: SinkContext): 'this record' | 'another record' | 'foreign' {
    if (holder.inBatch) return 'another record';
    if (holder.owner === job.record.sourceId) return 'this record';
    if (!holder.owner) return 'foreign';
    const ours = ctx.resolveTarget(job.record.stream, holder.owner) ?? this.written.get(job.object)?.get(holder.owner);
    return ours === holder.Id ? 'another record' : 'foreign';
  }

  private nameTaken(job: Job, name: string, holder: NameHolder | undefined): LedgersyncError {
    const key = this.settings.naturalKeys[job.object]!;
    const adoptField = this.settings.adoptBySourceId[job.object]!;
    const who = holder
      ? `${job.object} ${holder.Id}, which ledgersync did not write for this pipeline (its ${adoptField} ${holder.owner ? `hold '${holder.owner}'` : 'are empty'})`
      : 'a vendor or an employee (QuickBooks names are unique across customers, vendors and employees)';
    return new LedgersyncError(
      'qbo_name_taken',
      'record',
      `the ${key} '${name}' of source record ${job.record.sourceId} is already used in QuickBooks by ${who}; it is not created again under another name`,
      {
        details: { field: key, name, ...(holder ? { holderId: holder.Id, holderOwner: holder.owner } : {}) },
        fix: holder
          ? `if ${job.object} ${holder.Id} is this record, put '${job.record.sourceId}' in its ${adoptField} in QuickBooks and it is adopted on the next run; otherwise rename one of the two (in QuickBooks, or through the ${key} mapping)`
          : `rename the vendor or employee in QuickBooks, or change the ${key} mapping`,
      },
    );
  }

  private async holdersOf(object: string, key: string, adoptField: string, names: string[]): Promise<Map<string, NameHolder>> {
    const out = new Map<string, NameHolder>();
    for (const chunk of chunks([...new Set(names)], 30)) {
      const rows = await this.api.query(object, `select Id, SyncToken, ${key}, ${adoptField} from ${object} where ${key} in (${chunk.map(quote).join(', ')})`);
      for (const row of rows) {
        const owner = typeof row[adoptField] === 'string' ? (row[adoptField] as string).trim() : '';
        out.set(String(row[key]).toLowerCase(), { Id: String(row['Id']), SyncToken: String(row['SyncToken']), owner });
      }
    }
    return out;
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

  private remember(object: string, sourceId: string, id: string): void {
    let map = this.written.get(object);
    if (!map) this.written.set(object, (map = new Map()));
    map.set(sourceId, id);
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

  // ---- step 3: send the operations; look up those whose answer was lost before sending them again ----

  private async execute(jobs: Job[], ctx: SinkContext): Promise<void> {
    await this.sendConfirmed(this.operationsFor(jobs), ctx);
    // Every create a void completes and that ended with its document, created or found (a lost
    // answer's create that landed late, adopted when its repeat was refused 6140): the source voided it.
    const toVoid = jobs.filter((j) => j.thenVoid && j.target && j.result && j.result.status !== 'failed');
    // One found may be voided already (by hand, or by a run whose outcome was lost): it is read first.
    await this.readCurrent(toVoid.filter((j) => j.foundByLookup));
    await Promise.all(toVoid.map((j) => this.voidCreated(j, ctx)));
  }

  /** Sends the operations; those whose answer was lost are looked up, and sent again (as repeats) when not found, for as many rounds as the retry policy allows. */
  private async sendConfirmed(operations: Operation[], ctx: SinkContext): Promise<void> {
    let pending = operations;
    for (let round = 1; pending.length > 0; round++) {
      const doubts = await this.sendAll(pending, ctx);
      if (!doubts.length) break;
      if (round >= this.api.connection.retryPolicy.maxAttempts) {
        for (const d of doubts) d.job.result = failed(stillInDoubt(d, round));
        break;
      }
      await this.api.connection.pause(round);
      pending = await this.confirm(doubts);
    }
  }

  /**
   * The void that completes a create (a document voided before its first sync). The record stays
   * `created` when this run created the document; one found instead (its create landed late) is
   * `updated`, and one found voided already is not voided again. The result carries both requests
   * for the audit trail, which otherwise keeps one payload per record.
   */
  private async voidCreated(job: Job, ctx: SinkContext): Promise<void> {
    const create = { operation: 'create', object: job.object, body: this.bodyFor(job, 'create') };
    if (job.foundByLookup && job.current && isVoided(job.current)) {
      job.result = { ...this.alreadyVoided(job), audit: { sent: [create] } };
      return;
    }
    const sent = [create, { operation: 'void', object: job.object, body: this.bodyFor(job, 'void') }];
    await this.sendConfirmed([{ job, kind: 'void' }], ctx);
    const voided = job.result!;
    const { Id, SyncToken } = job.target!;
    const status = job.foundByLookup ? 'updated' : 'created';
    const outcome: SinkResult = voided.status === 'failed' ? voided : { status, targetId: Id, ...(SyncToken ? { targetVersion: SyncToken } : {}) };
    job.result = { ...outcome, audit: { sent } };
  }

  /** What each record needs: create, update, void, delete, or nothing (adopted, or already as mapped). */
  private operationsFor(jobs: Job[]): Operation[] {
    const operations: Operation[] = [];
    for (const job of jobs) {
      const decision = this.decide(job, job.current);
      if ('skip' in decision) {
        job.result = decision.skip;
      } else {
        job.thenVoid = decision.thenVoid === true;
        operations.push({ job, kind: decision.operation });
      }
    }
    return operations;
  }

  /**
   * One record's operation, from its target and `current`, the document as the run reads it (a
   * void's, a pending write's; plan reads more, for its diffs only): `write` sends it, `plan` reports it.
   */
  private decide(job: Job, current: QboEntity | undefined): Decision {
    const { action, previous } = job.record;
    const target = job.target;
    if (action === 'delete') {
      return target ? { operation: 'delete' } : { skip: { status: 'skipped', reason: `not in QuickBooks, nothing to delete (${job.object})` } };
    }
    if (action === 'void') {
      if (!target && carriesOnlyItsKey(job, this.settings.naturalKeys[job.object]!)) {
        // A void that names its document only (one the ledger may not know: its create in doubt) has nothing to create.
        return { skip: { status: 'skipped', reason: `not in QuickBooks (${this.describeKey(job)}), nothing to void` } };
      }
      if (!target) return { operation: 'create', thenVoid: true };
      return current && isVoided(current) ? { skip: this.alreadyVoided(job) } : { operation: 'void' };
    }
    if (!target) return { operation: 'create' };
    if (current && holdsAll(current, job.body)) {
      // An interrupted run's write landed: the document already is what would be sent.
      return { skip: skippedAt(job, `already in QuickBooks as mapped (${job.object} ${target.Id}, written by an interrupted run)`) };
    }
    if (job.foundByLookup && !previous?.pendingWrite) {
      // Already in QBO before this pipeline knew it (keyed by hand, or by the tool used before go-live): link it, leave it as is.
      return { skip: skippedAt(job, `adopted the existing QuickBooks ${job.object} ${target.Id}`), adopted: true };
    }
    return { operation: 'update' };
  }

  /** Sends the operations (batched where it can); returns those whose answer was lost. */
  private async sendAll(operations: Operation[], ctx: SinkContext): Promise<InDoubt[]> {
    const batchable = operations.filter((o) => o.kind !== 'void');
    const single: Operation[] = [];
    const doubts: InDoubt[] = [];
    // Voids (never batched) go first: a Payment voided frees the credit memo credit another one in
    // this write may apply (an allocation moved to another invoice).
    const voids = operations.filter((o) => o.kind === 'void');
    for (const found of await Promise.all(voids.map((o) => this.sendOne(o, ctx)))) doubts.push(...found);
    if (this.settings.useBatch && batchable.length > 1) {
      for (const chunk of chunks(batchable, this.settings.batchMaxItems)) {
        // With the minute's batch requests spent, single requests (their own, larger allowance) go now instead of waiting it out.
        if (this.api.batchHasRoom()) doubts.push(...(await this.sendBatch(chunk, ctx)));
        else single.push(...chunk);
      }
    } else {
      single.push(...batchable);
    }
    for (const found of await Promise.all(single.map((o) => this.sendOne(o, ctx)))) doubts.push(...found);
    return doubts;
  }

  private bodyFor(job: Job, kind: OperationKind): Record<string, unknown> {
    if (kind === 'create') return withoutClearedFields(job.body);
    if (kind === 'update') return { ...job.body, Id: job.target!.Id, SyncToken: job.target!.SyncToken ?? '0', sparse: true };
    return { Id: job.target!.Id, SyncToken: job.target!.SyncToken ?? '0' };
  }

  private async sendBatch(operations: Operation[], ctx: SinkContext): Promise<InDoubt[]> {
    const items: BatchItem[] = operations.map((o, i) => ({
      bId: String(i),
      operation: o.kind as 'create' | 'update' | 'delete',
      object: o.job.object,
      entity: this.bodyFor(o.job, o.kind),
    }));
    const answer = await this.api.batch(items, ctx.signal, { repeat: operations.some((o) => o.repeat) });
    if (answer.outcome === 'uncertain') return operations.map((o) => ({ ...o, error: answer.error }));
    const doubts: InDoubt[] = [];
    const retries: { job: Job; kind: OperationKind; fault: QboFault }[] = [];
    answer.value.forEach((outcome, i) => {
      const { job, kind } = operations[i]!;
      if ('uncertain' in outcome) doubts.push({ job, kind, error: outcome.uncertain });
      else if ('fault' in outcome) {
        // A system fault may come after the item was applied: it is looked up like a lost answer.
        if (outcome.fault.type === 'SystemFault') doubts.push({ job, kind, error: inDoubtFault(outcome.fault, describe(job, kind)) });
        // A batch item's fault is retried on its own request when a retry can change the answer.
        else if (faultCodes(outcome.fault).some((c) => recoverableCodes.has(c))) retries.push({ job, kind, fault: outcome.fault });
        else job.result = failed(documentError(outcome.fault, describe(job, kind)));
      } else if ('entity' in outcome) {
        this.succeeded(job, kind, outcome.entity);
      }
    });
    for (const found of await Promise.all(retries.map((r) => this.recover(r.job, r.kind, r.fault, ctx)))) doubts.push(...found);
    return doubts;
  }

  /**
   * One operation on its own request; returns it when its answer was lost, or when a repeat's refusal
   * cannot be read (api.ts WriteOptions): the write may have landed, and is looked up like a lost one.
   */
  private async sendOne(operation: Operation, ctx: SinkContext, attempt = 1): Promise<InDoubt[]> {
    const { job, kind } = operation;
    const options = { repeat: operation.repeat === true };
    try {
      let answer: WriteAnswer<Record<string, unknown>>;
      if (kind === 'create') answer = await this.api.create(job.object, this.bodyFor(job, kind), options);
      else if (kind === 'update') answer = await this.api.update(job.object, this.bodyFor(job, kind), options);
      // Repeated by the API itself after a lost answer: a repeat carries the same SyncToken, which QBO refuses (5010) once the first landed.
      else answer = await this.api.operation(job.object, kind, job.target!.Id, job.target!.SyncToken ?? '0', options);
      if (answer.outcome === 'uncertain') return [{ job, kind, error: answer.error }];
      this.succeeded(job, kind, answer.value);
      return [];
    } catch (error) {
      const e = asLedgersyncError(error);
      if (e.kind !== 'record') throw e;
      const fault = faultOf(e);
      if (attempt === 1 && fault && faultCodes(fault).some((c) => recoverableCodes.has(c))) return this.recover(job, kind, fault, ctx);
      if (kind === 'delete' && faultCodes(fault).includes('610')) {
        job.result = { status: 'skipped', reason: `already gone from QuickBooks (${job.object} ${job.target!.Id})`, targetId: job.target!.Id };
        return [];
      }
      job.result = failed(fault ? documentError(fault, describe(job, kind)) : e);
      return [];
    }
  }

  /** The one retry a recoverable fault earns: fresh SyncToken, the suffix rule for a name, or adopting what holds the number. */
  private async recover(job: Job, kind: OperationKind, fault: QboFault, ctx: SinkContext): Promise<InDoubt[]> {
    const codes = faultCodes(fault);
    if (codes.includes('5010') && job.target) {
      const current = await this.api.read(job.object, job.target.Id);
      job.target.SyncToken = current.SyncToken;
      // Stale because our own void landed (its answer lost, the client's repeat refused): done.
      if (kind === 'void' && isVoided(current)) {
        this.succeeded(job, kind, current);
        return [];
      }
      return this.sendOne({ job, kind }, ctx, 2);
    }
    const adoptField = this.settings.adoptBySourceId[job.object];
    if (codes.includes('6240') && (kind === 'create' || kind === 'update') && adoptField) {
      const key = this.settings.naturalKeys[job.object]!;
      const name = keyValue(job, key) ?? '';
      const holder = (await this.holdersOf(job.object, key, adoptField, [name])).get(name.toLowerCase());
      const verdict = holder ? this.nameHeldBy(job, holder, ctx) : 'foreign';
      if (verdict === 'this record' && holder && kind === 'create') {
        // Our own create landed before (its answer lost, or an interrupted run): adopt it.
        ctx.log.warn(`${job.object} ${key} '${name}' is already in QuickBooks as ${holder.Id} for source record ${job.record.sourceId}; adopting it`);
        job.target = { Id: holder.Id, SyncToken: holder.SyncToken };
        job.result = { status: 'created', targetId: holder.Id, targetVersion: holder.SyncToken };
        this.remember(job.object, job.record.sourceId, holder.Id);
        return [];
      }
      if (verdict === 'another record') {
        this.applySuffix(job);
        ctx.kv.set(suffixKey(job.record), true);
        return this.sendOne({ job, kind }, ctx, 2);
      }
      job.result = failed(this.nameTaken(job, name, holder));
      return [];
    }
    if (codes.includes('6140') && kind === 'create') {
      const key = this.settings.naturalKeys[job.object]!;
      const value = keyValue(job, key);
      const hit = value ? (await this.findByKey(job.object, key, [value])).get(value.toLowerCase()) : undefined;
      if (hit) {
        ctx.log.warn(`${job.object} ${key} ${value} appeared in QuickBooks after the look-up; adopting ${hit.Id}`);
        job.target = hit;
        // Found, not created: a void that completes this create reads it before voiding it (execute).
        job.foundByLookup = true;
        job.result = { status: 'skipped', reason: `adopted the existing QuickBooks ${job.object} ${hit.Id}`, targetId: hit.Id, targetVersion: hit.SyncToken };
        return [];
      }
    }
    job.result = failed(documentError(fault, describe(job, kind)));
    return [];
  }

  /**
   * Operations whose answer was lost: each is looked for in QBO. A create found by its natural key
   * (and, for objects carrying the source id, that id) landed; an update landed when the document
   * holds what was sent; a void when the document reads voided; a delete when the document is gone.
   * The rest are returned to send again.
   */
  private async confirm(doubts: InDoubt[]): Promise<Operation[]> {
    const again: Operation[] = [];
    for (const [object, group] of groupBy(
      doubts.filter((d) => d.kind === 'create'),
      (d) => d.job.object,
    )) {
      const key = this.settings.naturalKeys[object]!;
      const adoptField = this.settings.adoptBySourceId[object];
      const names = group.map((d) => keyValue(d.job, key)).filter((v): v is string => v !== undefined);
      const rows: Record<string, unknown>[] = [];
      for (const chunk of chunks([...new Set(names)], 30)) {
        rows.push(...(await this.api.query(object, `select * from ${object} where ${key} in (${chunk.map(quote).join(', ')})`)));
      }
      for (const d of group) {
        const name = keyValue(d.job, key)?.toLowerCase();
        const landed = rows.find(
          (r) =>
            String(r[key]).toLowerCase() === name && (!adoptField || (typeof r[adoptField] === 'string' && r[adoptField].trim() === d.job.record.sourceId)),
        );
        if (landed) this.succeeded(d.job, d.kind, landed);
        else again.push({ job: d.job, kind: d.kind, repeat: true });
      }
    }
    for (const [object, group] of groupBy(
      doubts.filter((d) => d.kind !== 'create'),
      (d) => d.job.object,
    )) {
      const current = await this.api.entities(
        object,
        group.map((d) => d.job.target!.Id),
      );
      for (const d of group) {
        const entity = current.get(d.job.target!.Id);
        if (d.kind === 'delete' && !entity) this.succeeded(d.job, d.kind, { Id: d.job.target!.Id });
        else if (d.kind === 'void' && entity && isVoided(entity)) this.succeeded(d.job, d.kind, entity);
        else if (d.kind === 'update' && entity && holdsAll(entity, d.job.body)) this.succeeded(d.job, d.kind, entity);
        else {
          if (entity) d.job.target!.SyncToken = String(entity.SyncToken);
          again.push({ job: d.job, kind: d.kind, repeat: true });
        }
      }
    }
    return again;
  }

  private alreadyVoided(job: Job): Skipped {
    return skippedAt(job, `already voided in QuickBooks (${job.object} ${job.target!.Id})`);
  }

  private succeeded(job: Job, kind: OperationKind, entity: Record<string, unknown>): void {
    const id = String(entity['Id'] ?? job.target?.Id ?? '');
    const syncToken = entity['SyncToken'] === undefined ? undefined : String(entity['SyncToken']);
    job.target = { Id: id, ...(syncToken !== undefined ? { SyncToken: syncToken } : {}) };
    const adoptField = this.settings.adoptBySourceId[job.object];
    if (adoptField && kind === 'create') this.adoptIndex.get(job.object)?.set(job.record.sourceId, { Id: id, SyncToken: syncToken ?? '0' });
    if (kind === 'create' || kind === 'update') this.remember(job.object, job.record.sourceId, id);
    const status = kind === 'create' && !job.foundByLookup ? 'created' : 'updated';
    job.result = { status, targetId: id, ...(syncToken !== undefined && kind !== 'delete' ? { targetVersion: syncToken } : {}) };
  }
}

function failed(error: LedgersyncError): SinkResult {
  return { status: 'failed', error };
}

/** Nothing to send: the record's document is the one found, as it is. */
function skippedAt(job: Job, reason: string): Skipped {
  const { Id, SyncToken } = job.target!;
  return { status: 'skipped', reason, targetId: Id, ...(SyncToken ? { targetVersion: SyncToken } : {}) };
}

/**
 * Whether the document is read whole before deciding: a void's (one voided already, by a run that
 * died or by hand, is not voided again), and an upsert's an interrupted run may have written (so
 * nothing it holds is sent again).
 */
function readsCurrent(job: Job): boolean {
  return job.record.action === 'void' || (job.record.action === 'upsert' && job.record.previous?.pendingWrite === true);
}

function faultOf(error: LedgersyncError): QboFault | undefined {
  const errors = error.details['qboErrors'] as QboFault['errors'] | undefined;
  return errors ? { type: String(error.details['qboFaultType'] ?? ''), errors } : undefined;
}

/**
 * A void or delete naming its document only, that found none when this same record was last
 * written, with nothing written for it since (the ledger would hold the target, or the write
 * pending): not looked up again on every full refresh.
 */
function foundNowhereBefore(job: Job, key: string): boolean {
  const { action, previous, contentHash } = job.record;
  if ((action !== 'void' && action !== 'delete') || !carriesOnlyItsKey(job, key) || !previous) return false;
  return !previous.pendingWrite && previous.targetId === null && previous.contentHash === contentHash;
}

/** The record holds its natural key and nothing else: a document to find, none to create. */
function carriesOnlyItsKey(job: Job, key: string): boolean {
  return keyValue(job, key) !== undefined && Object.keys(job.body).every((field) => field === key);
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

/** A batch item's system fault: it may have been applied before the fault. */
function inDoubtFault(fault: QboFault, what: string): LedgersyncError {
  const error = documentError(fault, what);
  return new LedgersyncError(error.code, 'transient', error.message, { details: error.details, mayHaveSucceeded: true });
}

/** A write still unconfirmed after the retry policy: the record stays pending, and the next run looks it up first. */
function stillInDoubt(d: InDoubt, rounds: number): LedgersyncError {
  return new LedgersyncError(
    d.error.code,
    d.error.kind === 'record' ? 'transient' : d.error.kind,
    `${describe(d.job, d.kind)} may have landed and is still unconfirmed after ${rounds} attempts: ${d.error.message}`,
    {
      details: d.error.details,
      cause: d.error,
      mayHaveSucceeded: true,
      fix: 'QuickBooks or the network in front of it is failing; the next run looks the document up before writing it again',
    },
  );
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
