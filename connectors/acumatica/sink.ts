/**
 * The Acumatica sink. Acumatica has no idempotency key and numbers documents itself, so a record
 * becomes a document in three steps:
 *
 * 1. find it: by the key the ledger recorded (ReferenceNbr, CustomerID…), else by its natural key
 *    (CustomerOrder, PaymentRef…, with the document type) with `$filter`, a whole batch per request;
 *    keys are compared without regard to case, as Acumatica stores segmented keys upper case;
 * 2. decide: not there → create (`PUT`; a customer with `If-None-Match: *`, since its key is the
 *    natural key); there but unknown to the ledger → adopted as it is (a document entered before
 *    go-live), unless it is another customer's (another pipeline's document under the same key,
 *    refused; a void or delete of a record never synced is skipped); there and ours → a sparse
 *    update of the fields that differ (detail rows by `id`);
 * 3. release it when the mapping asks (`_release: true`) and it is not on hold.
 *
 * A void (`_action: void`) of a released payment or refund is Acumatica's VoidPayment, whose voiding
 * document is then released (voids.ts); other documents Acumatica holds are refused with a dead
 * letter naming them.
 *
 * A create whose answer is lost (timeout, reset) looks the document up before anything else; a
 * document Acumatica numbers that is not found is left pending for the next run's look-up.
 */
import type { PlannedWrite, PlanningRecord, ReferenceAnswer, ReferenceQuery, Sink, SinkContext, SinkRecord, SinkResult } from '../../engine/connector/types.js';
import { asLedgersyncError, LedgersyncError } from '../../engine/errors.js';
import { type AcumaticaApi, LOOKUPS_PER_REQUEST, literal } from './api.js';
import type { AcumaticaAuth } from './auth.js';
import type { Contract } from './contract.js';
import { isValueType } from './contract.js';
import { type ApplicationHistory, unreleasedApplications, withApplications } from './applications.js';
import { CURRENCY_FIELD, type CustomerCurrency, CustomerCurrencies } from './currencies.js';
import { type FieldLimits, overLimit } from './field-limits.js';
import { checkAcumaticaReferences, type ReferenceSettings } from './references.js';
import { describeKept, type KeptField, withoutFixedFields } from './released.js';
import { type CompareOptions, changes, isPlainObject, type Plain } from './values.js';
import { voidRefused } from './voids.js';

export interface AcumaticaSinkSettings {
  /** Entity → natural key field (descriptor `objects.<name>.natural_key`). */
  naturalKeys: Readonly<Record<string, string>>;
  /** Entity → field → its length: a longer text is refused before sending, as Acumatica would cut it (field-limits.ts). */
  fieldLimits: FieldLimits;
  discriminators: Readonly<Record<string, readonly string[]>>;
  keys: Readonly<Record<string, readonly string[]>>;
  numberedByTenant: Readonly<Record<string, string>>;
  upperCaseKeys: ReadonlySet<string>;
  releaseActions: Readonly<Record<string, string>>;
  releasableStatuses: ReadonlySet<string>;
  unreleasedStatuses: ReadonlySet<string>;
  rereleaseOnChange: Readonly<Record<string, readonly string[]>>;
  /** Entity → fields a released document keeps (`Branch`, `Details.Branch`): left out of its updates (released.ts). */
  fixedOnceReleased: Readonly<Record<string, readonly string[]>>;
  /** Entities whose applications collection lists only unreleased rows (applications.ts). */
  applicationHistory: Readonly<Record<string, ApplicationHistory>>;
  /** Documents whose applications, once they are released, are made on another entity (a credit memo's on its Payment). */
  appliedThroughOnceReleased: Readonly<Record<string, AppliedThrough>>;
  /** Documents that take their customer's currency, checked against the mapped `_currency` (currencies.ts). */
  currencyOfCustomer: Readonly<Record<string, CustomerCurrency>>;
  /**
   * Entity → the field naming a document's customer, or the path of a detail row's field that does
   * (`Details[0].TransactionDescription`, a GL batch's first line): one found by its natural key is
   * this record's only when it names the mapped customer.
   */
  documentCustomer: Readonly<Record<string, string>>;
  /** Statuses of a document voided or canceled in Acumatica: a void asked of it is done. */
  voidedStatuses: ReadonlySet<string>;
  /** Entity → the action that voids a released document of it (voids.ts). */
  voidActions: Readonly<Record<string, string>>;
  /** Document type → the type of the voiding document that action creates. */
  voidingTypes: Readonly<Record<string, string>>;
  /** How `ledgersync check` reads each kind of reference (references.ts). */
  references: ReferenceSettings;
  maxBatchSize: number;
  /** Names the tenant and endpoint in messages. */
  label: string;
  /** `{url}` and the path listing the tenant's endpoints, for the version-mismatch message. */
  instanceUrl: string;
  endpointsPath: string;
  endpoint: string;
  /** Told the run's context when the sink opens (waits then stop with the run). */
  opened(ctx: SinkContext): void;
}

/** Descriptor `settings.applied_through_once_released.<entity>`. */
export interface AppliedThrough {
  /** Field values of the documents this applies to (`Type: Credit Memo`). */
  when: Readonly<Record<string, string>>;
  /** The mapped collection of applications (ApplicationsCreditMemo). */
  collection: string;
  /** The entity the released document is applied on, under the same key values (Payment). */
  entity: string;
  /** Its collection of applications (DocumentsToApply). */
  as: string;
}

/** Field of a mapped record that asks the sink to release the document once written. */
export const RELEASE_FIELD = '_release';
/** Creates of a record keyed by its natural key (If-None-Match) tried in all when their answers are lost. */
const CREATE_ATTEMPTS = 3;
/** Updates tried in all when their answers are lost and the document still differs. */
const UPDATE_ATTEMPTS = 3;
/** Releases sent for one document when their answers are lost and it is still unreleased. */
const RELEASE_ATTEMPTS = 3;
/** DELETEs of one document whose answers were lost, each followed by a look-up. */
const DELETE_ATTEMPTS = 3;
/** Voids sent for one document when their answers are lost and no voiding document is found. */
const VOID_ATTEMPTS = 3;

/** A result reached without writing anything. */
type Settled = Extract<SinkResult, { status: 'skipped' | 'failed' }>;

/**
 * `decision()`'s answer: a result reached without writing, or what to write. `unconfirmedCreate`:
 * the document was created by a write of ours whose answer was lost.
 */
type Decision =
  | { settled: Settled }
  | { operation: 'create' }
  | { operation: 'delete'; current: Plain }
  | { operation: 'void'; current: Plain; action: string; voidingType: string }
  | { operation: 'adopt'; current: Plain }
  | { operation: 'update'; current: Plain; unconfirmedCreate: boolean };

interface Job {
  record: SinkRecord;
  entity: string;
  data: Plain;
  release: boolean;
  /** The document's currency, as the mapping states it (`_currency`). */
  currency?: string;
  /** Key values that find the document, instead of the ledger's target id or the natural key. */
  keys?: Record<string, string>;
  /** What Acumatica holds for this record, when found. */
  current?: Plain;
  result?: SinkResult;
}

export class AcumaticaSink implements Sink {
  readonly maxBatchSize: number;
  /** Requests by purpose, for figures and tests. */
  readonly counters = { lookups: 0, creates: 0, updates: 0, releases: 0, deletes: 0, voids: 0 };
  private readonly currencies: CustomerCurrencies;

  constructor(
    private readonly api: AcumaticaApi,
    private readonly auth: AcumaticaAuth,
    private readonly contract: Contract,
    private readonly settings: AcumaticaSinkSettings,
  ) {
    this.maxBatchSize = settings.maxBatchSize;
    this.currencies = new CustomerCurrencies(api, settings.currencyOfCustomer, settings.label);
  }

  async open(ctx: SinkContext): Promise<void> {
    this.settings.opened(ctx);
    this.auth.bind(ctx.secrets);
    await this.auth.signIn();
    await this.checkEndpoint();
  }

  async write(batch: readonly SinkRecord[], ctx: SinkContext): Promise<SinkResult[]> {
    this.auth.bind(ctx.secrets);
    const jobs = batch.map((record) => this.prepare(record));
    await this.find(jobs.filter((job) => !job.result));
    await this.checkCurrencies(jobs.filter((job) => !job.result && !job.current && job.record.action === 'upsert'));
    await Promise.all(jobs.filter((job) => !job.result).map((job) => this.execute(job, ctx)));
    return jobs.map((job) => job.result!);
  }

  /**
   * What `write` would do (`ledgersync plan`), from the same checks, look-ups and `decision()`, with
   * nothing written: a void is the run's void, delete, skip or `acumatica_cannot_void`. The engine
   * neither opens nor closes a sink for a plan, so each batch signs in and out, as `check` does: a
   * session left open holds a licence seat.
   */
  async plan(batch: readonly PlanningRecord[], ctx: SinkContext): Promise<PlannedWrite[]> {
    try {
      this.settings.opened(ctx);
      this.auth.bind(ctx.secrets);
      const jobs = batch.map((record) => this.prepare(record));
      await this.find(jobs.filter((job) => !job.result));
      await this.checkCurrencies(jobs.filter((job) => !job.result && !job.current && job.record.action === 'upsert'));
      // Before a decision, a job's result can only be a refusal (prepare, look-up, currency check).
      return jobs.map((job) => (job.result?.status === 'failed' ? plannedOf(job.result) : this.planned(job, ctx)));
    } finally {
      await this.auth.signOut();
    }
  }

  private planned(job: Job, ctx: SinkContext): PlannedWrite {
    const decision = this.decision(job);
    if ('settled' in decision) return plannedOf(decision.settled);
    if (decision.operation === 'create') return { action: 'create' };
    const targetId = this.targetIdOf(job.entity, decision.current);
    if (decision.operation === 'delete') {
      return { action: 'delete', targetId, ...(job.record.action === 'void' ? { note: 'voided at the source, unreleased in Acumatica: deleted' } : {}) };
    }
    if (decision.operation === 'void') {
      return { action: 'void', targetId, note: `${decision.action}, then the ${decision.voidingType} ${targetId} released: its applications are reversed` };
    }
    if (decision.operation === 'adopt') return { action: 'adopt', targetId, note: 'already in Acumatica: linked, left as it is' };
    try {
      return this.plannedUpdate(job, decision.current, decision.unconfirmedCreate, ctx);
    } catch (error) {
      // Refused as the run's update would refuse it (a released application lowered).
      if (!(error instanceof LedgersyncError) || error.kind !== 'record') throw error;
      return { action: 'fail', error };
    }
  }

  /**
   * What `update` would do with the document as Acumatica holds it, compared as the run compares
   * (not with the payload last sent): an update when a field differs, a release or an application is
   * due, else a skip. Fields a released document keeps are warned about as the run warns.
   */
  private plannedUpdate(job: Job, current: Plain, unconfirmedCreate: boolean, ctx: SinkContext): PlannedWrite {
    const { entity } = job;
    const targetId = this.targetIdOf(entity, current);
    const through = this.appliedThrough(job, current);
    const { data, kept } = this.keptOnceReleased(job, through ? withoutField(job.data, through.collection) : job.data, current, ctx);
    const pending = this.pendingChanges(job, data, current);
    const applicationsToRelease = this.applicationsToRelease(entity, pending.unreleased, Object.keys(pending.diff ?? {}));
    const writes =
      pending.diff !== undefined ||
      this.releasable(job, current, applicationsToRelease) ||
      (through !== undefined && this.pendingThrough(job, current, through)) ||
      unconfirmedCreate;
    const notes = [
      ...(kept.length ? [`released: keeps ${describeKept(kept)}, which is not sent`] : []),
      ...(unconfirmedCreate ? ['an interrupted run created it; the run updates it to the mapping'] : []),
    ];
    if (!writes) return { action: 'skip', targetId, note: notes[0] ?? `Acumatica already holds this ${entity}` };
    return {
      action: 'update',
      targetId,
      ...((job.record as PlanningRecord).wantCurrent ? { current } : {}),
      ...(notes.length ? { note: notes.join('; ') } : {}),
    };
  }

  async close(): Promise<void> {
    await this.auth.signOut();
  }

  async dispose(): Promise<void> {
    await this.auth.signOut();
  }

  /**
   * `ledgersync check`: signs in with the password (a stored refresh token would hide a wrong one),
   * checks the endpoint as a run opens, reads what the pipeline names (references.ts, GETs only),
   * and signs out: the engine calls no `dispose` after a check, and a session left open holds a
   * licence seat.
   */
  async check(queries: readonly ReferenceQuery[], ctx: SinkContext): Promise<ReferenceAnswer[][]> {
    try {
      this.settings.opened(ctx);
      this.auth.bind(ctx.secrets);
      await this.auth.signIn({ withPassword: true });
      await this.checkEndpoint();
      const today = new Date((ctx.now?.() ?? Date.now() / 1000) * 1000).toISOString().slice(0, 10);
      return await checkAcumaticaReferences(this.api, queries, this.settings.references, today);
    } finally {
      await this.auth.signOut();
    }
  }

  /** A version the tenant does not serve answers 404 on every path under it: say so before any write. */
  private async checkEndpoint(): Promise<void> {
    const probe = Object.keys(this.settings.naturalKeys)[0] ?? 'Customer';
    const response = await this.api.connection.request({
      method: 'GET',
      path: probe,
      query: { $top: 1, $select: this.settings.keys[probe]?.[0] ?? 'id' },
      acceptErrors: true,
    });
    if (response.status !== 404) return;
    const served = await this.api.servedEndpoints(this.settings.instanceUrl, this.settings.endpointsPath);
    throw new LedgersyncError(
      'acumatica_endpoint_not_found',
      'config',
      `${this.settings.label} does not serve the endpoint ${this.settings.endpoint} (HTTP 404)${served.length ? `; it serves ${served.join(', ')}` : ''}`,
      {
        fix: `set ACUMATICA_ENDPOINT_VERSION (sink.endpoint_version) and sink.endpoint_name to an endpoint the tenant serves: GET ${this.settings.instanceUrl}${this.settings.endpointsPath} (signed in) lists them, as does the Web Service Endpoints form (SM207060)`,
        details: { endpoint: this.settings.endpoint, served },
      },
    );
  }

  // ---- step 0: refuse what Acumatica would refuse anyway, before any request ----

  private prepare(record: SinkRecord): Job {
    const entity = record.object;
    const data: Plain = { ...record.data };
    const release = data[RELEASE_FIELD] === true;
    const currency = typeof data[CURRENCY_FIELD] === 'string' ? data[CURRENCY_FIELD] : undefined;
    delete data[RELEASE_FIELD];
    delete data[CURRENCY_FIELD];
    const job: Job = { record, entity, data, release, ...(currency ? { currency } : {}) };
    const naturalKey = this.settings.naturalKeys[entity];
    if (!naturalKey || !this.contract.writes(entity)) {
      job.result = failed(
        new LedgersyncError('acumatica_unknown_object', 'record', `the Acumatica connector does not write '${entity}'`, {
          fix: `use one of ${Object.keys(this.settings.naturalKeys).join(', ')} as target.object or _object`,
        }),
      );
      return job;
    }
    if (record.action === 'upsert') {
      try {
        this.api.check(entity, data);
      } catch (error) {
        job.result = failed(asLedgersyncError(error, 'record'));
        return job;
      }
    }
    const tooLong = overLimit(this.settings.fieldLimits, { entity, sourceId: record.sourceId, data }, this.limitedFields(job, naturalKey), naturalKey);
    if (tooLong) {
      job.result = failed(tooLong);
      return job;
    }
    if (!textOf(data[naturalKey]) && !record.previous?.targetId) {
      job.result = failed(
        new LedgersyncError(
          'acumatica_missing_natural_key',
          'record',
          `the mapped ${entity} has no ${naturalKey}, so it cannot be looked up before creating (Acumatica has no idempotency key)`,
          { fix: `make the stream's mapping produce ${naturalKey}` },
        ),
      );
    }
    return job;
  }

  /**
   * The fields of a record checked against `field_limits`: those an upsert sends; of a delete or a
   * void, the natural key when the document is looked up by it (no target id in the ledger).
   */
  private limitedFields(job: Job, naturalKey: string): readonly string[] {
    if (job.record.action === 'upsert') return (this.settings.fieldLimits[job.entity] ?? []).map((limit) => limit.path);
    return job.record.previous?.targetId ? [] : [naturalKey];
  }

  /** Documents about to be created in a currency their customer does not have are refused (currencies.ts). */
  private async checkCurrencies(jobs: Job[]): Promise<void> {
    const checked = jobs.filter((job) => job.currency !== undefined && this.settings.currencyOfCustomer[job.entity]);
    if (!checked.length) return;
    const errors = await this.currencies.mismatches(
      checked.map((job) => ({ entity: job.entity, data: job.data, currency: job.currency!, describe: this.describeNew(job) })),
    );
    for (const [index, error] of errors.entries()) if (error) checked[index]!.result = failed(error);
  }

  // ---- step 1: find the document each record is ----

  private async find(jobs: Job[]): Promise<void> {
    for (const [entity, group] of groupBy(jobs, (job) => job.entity)) {
      const expand = this.expansionsOf(
        entity,
        group.map((job) => job.data),
      );
      for (const chunk of chunks(group, LOOKUPS_PER_REQUEST)) {
        const criteria = chunk.map((job) => this.criteria(job));
        const filter = criteria
          .map(
            (c) =>
              `(${Object.entries(c)
                .map(([field, value]) => `${field} eq ${literal(value)}`)
                .join(' and ')})`,
          )
          .join(' or ');
        this.counters.lookups++;
        const rows = await this.api.list(entity, { filter, expand });
        for (const [index, job] of chunk.entries()) this.match(job, rows, criteria[index]!);
      }
    }
  }

  /** Field → value that find this record: the key the ledger holds, else the natural key, with the document type. */
  private criteria(job: Job): Record<string, string> {
    const { entity, data, record } = job;
    if (job.keys) return { ...job.keys };
    const out: Record<string, string> = {};
    const targetId = record.previous?.targetId;
    if (targetId) out[this.targetField(entity)] = targetId;
    else out[this.settings.naturalKeys[entity]!] = textOf(data[this.settings.naturalKeys[entity]!])!;
    for (const field of this.settings.discriminators[entity] ?? []) {
      const value = textOf(data[field]);
      if (value !== undefined && out[field] === undefined) out[field] = value;
    }
    return out;
  }

  private match(job: Job, rows: readonly Plain[], criteria: Record<string, string>): void {
    const hits = rows.filter((row) =>
      Object.entries(criteria).every(([field, value]) => String(row[field] ?? '').toUpperCase() === value.trim().toUpperCase()),
    );
    if (hits.length > 1) {
      job.result = failed(
        new LedgersyncError(
          'acumatica_ambiguous_match',
          'record',
          `${hits.length} Acumatica ${job.entity} documents match ${describeCriteria(criteria)} (${hits.map((h) => this.targetIdOf(job.entity, h)).join(', ')}); none is adopted`,
          { fix: 'keep one of them in Acumatica (delete or change the natural key of the others), then run again' },
        ),
      );
    } else if (hits[0]) {
      job.current = hits[0];
    }
  }

  // ---- step 2: create, adopt, update or delete ----

  private async execute(job: Job, ctx: SinkContext): Promise<void> {
    try {
      job.result = await this.decide(job, ctx);
    } catch (error) {
      // A stop, a lost session, an unreachable tenant or a bug end the run; a refused document is this record's alone.
      if (ctx.signal.aborted || !(error instanceof LedgersyncError) || error.kind !== 'record') throw error;
      job.result = failed(error);
    }
  }

  private async decide(job: Job, ctx: SinkContext): Promise<SinkResult> {
    const decision = this.decision(job);
    if ('settled' in decision) return decision.settled;
    const { record, entity } = job;
    switch (decision.operation) {
      case 'create':
        return this.create(job, ctx);
      case 'delete':
        return this.remove(job, decision.current, ctx);
      case 'void':
        return this.voidReleased(job, decision.current, decision.action, decision.voidingType, ctx);
      case 'adopt': {
        // Entered before go-live (by hand, or the integration used before): link it and leave its content
        // as it is; only a release the mapping asks for is done, so that payments can be applied to it.
        const targetId = this.targetIdOf(entity, decision.current);
        ctx.log.info(`${entity} ${targetId} already in Acumatica for ${record.sourceId}: adopted`);
        if (await this.releaseIfAsked(job, decision.current, false, ctx)) return { status: 'updated', targetId };
        return { status: 'skipped', reason: `adopted the existing Acumatica ${entity} ${targetId}`, targetId };
      }
      case 'update':
        return this.update(job, decision.current, decision.unconfirmedCreate, ctx);
    }
  }

  /**
   * What a found (or not found) record comes to, before any write: settled without one (a skip, or
   * a refusal such as a void), or the operation to carry out. `write` carries it out, `plan` reports it.
   */
  private decision(job: Job): Decision {
    const { record, entity, current } = job;
    const previous = record.previous;
    // Found by its natural key, not by the ledger's target id: it may be another pipeline's document.
    const foreign = current && !previous?.targetId ? this.foreignDocument(job, current) : undefined;
    if (foreign && record.action !== 'upsert') {
      // A void or delete of a record never posted: the document under its key is someone else's, not its own.
      return { settled: { status: 'skipped', reason: this.describeForeign(job, foreign, `nothing of it to ${record.action} in Acumatica`) } };
    }
    if (foreign) return { settled: failed(this.keyCollision(job, foreign)) };
    if (record.action === 'delete') {
      if (!current) return { settled: { status: 'skipped', reason: `not in Acumatica, nothing to delete (${entity})` } };
      return { operation: 'delete', current };
    }
    if (record.action === 'void') return this.voidDecision(job);
    if (!current) {
      if (previous?.targetId && !previous.pendingWrite) {
        return {
          settled: failed(
            new LedgersyncError(
              'acumatica_target_gone',
              'record',
              `the Acumatica ${entity} ${previous.targetId} recorded for source record ${record.sourceId} no longer exists (deleted in Acumatica?)`,
              { fix: `restore it in Acumatica, or run \`ledgersync reset\` and --full-refresh so the record is created again` },
            ),
          ),
        };
      }
      return { operation: 'create' };
    }
    if (!previous) return { operation: 'adopt', current };
    return { operation: 'update', current, unconfirmedCreate: previous.pendingWrite && !previous.targetId };
  }

  /**
   * `PUT` of a new document. When its answer is lost it is looked up once, after the connection's
   * backoff: found, it is adopted. A customer (put with `If-None-Match: *`) that is not found is put
   * again, as a repeat can only answer 412. A document Acumatica numbers is not: a gateway that gave
   * up may still have the PUT in Acumatica's hands, and a look-up that finds nothing yet proves
   * nothing. It stays pending, and the next run's look-up decides.
   */
  private async create(job: Job, ctx: SinkContext): Promise<SinkResult> {
    const { entity, data } = job;
    const keyed = this.isKeyedByNaturalKey(entity);
    let saved: Plain | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        this.counters.creates++;
        saved = await this.api.put(entity, data, { insertOnly: keyed, retrySafe: keyed, expand: expansions(this.contract, entity, [data]) });
        break;
      } catch (error) {
        if (!(error instanceof LedgersyncError) || !error.mayHaveSucceeded) throw error;
        await this.api.connection.pause(attempt);
        const found = await this.lookUpOne(job);
        if (found) {
          const foreign = this.foreignDocument(job, found);
          if (foreign) throw this.keyCollision(job, foreign);
          ctx.log.warn(
            `${entity} for ${job.record.sourceId}: the create's answer was lost but the document is in Acumatica (${this.targetIdOf(entity, found)})`,
          );
          return this.update(job, found, true, ctx);
        }
        if (!keyed) return failed(this.unconfirmedCreate(job, error));
        if (attempt >= CREATE_ATTEMPTS) throw error;
        ctx.log.warn(`${entity} for ${job.record.sourceId}: the create's answer was lost and the document is not in Acumatica; creating again`);
      }
    }
    if (!saved) {
      // Created meanwhile (another run, a person): it is this record's document now.
      const found = await this.lookUpOne(job);
      if (!found) throw new LedgersyncError('acumatica_unexpected_answer', 'transient', `${this.settings.label}: ${entity} exists (412) but cannot be found`);
      return this.update(job, found, true, ctx);
    }
    try {
      await this.releaseIfAsked(job, saved, false, ctx);
    } catch (error) {
      // Every release's answer was lost: the document is read again and released from what it holds now.
      if (!(error instanceof LedgersyncError) || !error.mayHaveSucceeded) throw error;
      const now = await this.lookUpOne(job);
      if (!now) throw error;
      return this.update(job, now, true, ctx);
    }
    return { status: 'created', targetId: this.targetIdOf(entity, saved) };
  }

  /**
   * A document found by the record's natural key whose customer is not the mapped one: another
   * pipeline's (a second Chargebee site numbers its invoices 20001… too) or one entered by hand, never
   * this record's, so it is neither adopted, updated, voided nor deleted. The type needs no check: the
   * look-up matches it (descriptor `discriminators`). Undefined when either side names no customer.
   */
  private foreignDocument(job: Job, found: Plain): ForeignDocument | undefined {
    const field = this.settings.documentCustomer[job.entity];
    if (!field) return undefined;
    const mapped = textOf(valueAt(job.data, field));
    const theirs = textOf(valueAt(found, field));
    if (!mapped || !theirs || mapped.trim().toUpperCase() === theirs.trim().toUpperCase()) return undefined;
    return { field, mapped, theirs, ...this.foundByKey(job, found) };
  }

  /** The found document and the natural key it was found by, for messages. */
  private foundByKey(job: Job, found: Plain): { document: string; naturalKey: string; key: string } {
    const naturalKey = this.settings.naturalKeys[job.entity]!;
    const key = textOf(job.data[naturalKey]) ?? textOf(found[naturalKey]) ?? '';
    return { document: `${textOf(found['Type']) ?? job.entity} ${this.targetIdOf(job.entity, found)}`, naturalKey, key };
  }

  /** `source record … (its customer) is found by …, but Acumatica's … is another customer's: …, ${outcome}`. */
  private describeForeign(job: Job, foreign: ForeignDocument, outcome: string): string {
    const { field, mapped, theirs, document, naturalKey, key } = foreign;
    const plain = !isDetailPath(field);
    const ours = plain ? `${field} ${mapped}` : `${field} '${mapped}'`;
    const owner = plain ? `is ${ownerOf(field, theirs)}` : `has ${ownerOf(field, theirs)}, another customer's`;
    return `${this.settings.label}: source record ${job.record.sourceId} (${ours}) is found by ${naturalKey} '${key}', but Acumatica's ${document} with that ${naturalKey} ${owner}: another pipeline's document (another Chargebee site numbering its documents alike) or one entered by hand, not this record's. It was neither adopted nor changed, and ${outcome}`;
  }

  private keyCollision(job: Job, foreign: ForeignDocument): LedgersyncError {
    const { field, mapped, theirs, document, naturalKey, key } = foreign;
    return new LedgersyncError('acumatica_key_collision', 'record', this.describeForeign(job, foreign, 'nothing was posted for the record'), {
      fix: `give each pipeline posting into this tenant a document key prefix of its own (the example's options.document_key_prefix, e.g. "EU-"), so its ${naturalKey} values are its own; if ${document} is this record's document after all, correct its ${isDetailPath(field) ? field : 'customer'} in Acumatica; the next run tries again`,
      details: { source_id: job.record.sourceId, document, document_customer: theirs, mapped_customer: mapped, [naturalKey]: key },
    });
  }

  /** A create whose answer was lost and whose document is not found (yet): pending, looked up by the next run. */
  private unconfirmedCreate(job: Job, lost: LedgersyncError): LedgersyncError {
    const naturalKey = this.settings.naturalKeys[job.entity]!;
    const { previous: _ignored, ...withoutLedger } = job.record;
    const found = describeCriteria(this.criteria({ ...job, record: withoutLedger }));
    return new LedgersyncError(
      'acumatica_create_unconfirmed',
      'transient',
      `${this.settings.label}: the answer to the create of the ${job.entity} for source record ${job.record.sourceId} was lost (${lost.message}), and no ${job.entity} with ${found} is there yet; Acumatica may still be saving it, so it is not created again in this run`,
      {
        fix: `nothing, if the next run is a few minutes away: it looks the ${job.entity} up by ${naturalKey} first, adopts it if it landed and creates it only if it did not`,
        details: { entity: job.entity, source_id: job.record.sourceId, criteria: found },
        cause: lost,
        mayHaveSucceeded: true,
      },
    );
  }

  /**
   * A void of a document Acumatica voids through the API (a payment or refund, voids.ts): one not
   * released yet is deleted, a released one voided; the others, and what needs nothing, as refuseVoid says.
   */
  private voidDecision(job: Job): Decision {
    const { entity, current } = job;
    const action = this.settings.voidActions[entity];
    const status = textOf(current?.['Status']) ?? '';
    const voidingType = this.settings.voidingTypes[textOf(current?.['Type']) ?? ''];
    if (!current || !action || !voidingType || !this.contract.hasAction(entity, action) || this.settings.voidedStatuses.has(status)) {
      return { settled: this.refuseVoid(job) };
    }
    if (this.settings.unreleasedStatuses.has(status)) return { operation: 'delete', current };
    return { operation: 'void', current, action, voidingType };
  }

  /**
   * Voids a released payment as on Payments and Applications: `action` (VoidPayment) creates the
   * voiding document under the same ReferenceNbr, which is taken off hold and released; the release
   * reverses the payment's applications. The voiding document is looked up first, so that one left
   * by an earlier run (or by a void whose answer was lost) is released, not asked for again. A
   * refusal is this record's dead letter naming the payment (voids.ts).
   */
  private async voidReleased(job: Job, current: Plain, action: string, voidingType: string, ctx: SinkContext): Promise<SinkResult> {
    const targetId = this.targetIdOf(job.entity, current);
    const keys = this.keyValues(job.entity, current);
    const voidingKeys = { ...keys, Type: voidingType };
    const voidingJob: Job = { record: job.record, entity: job.entity, data: { ...voidingKeys, Hold: false }, release: true, keys: voidingKeys };
    let voiding = await this.lookUpOne(voidingJob);
    let step = action;
    try {
      voiding ??= await this.startVoid(job, keys, voidingJob, action, ctx);
      if (voiding) {
        step = `the release of ${voidingType} ${targetId}`;
        await this.update(voidingJob, voiding, false, ctx);
      }
    } catch (error) {
      if (ctx.signal.aborted || !(error instanceof LedgersyncError) || error.kind !== 'record') throw error;
      throw voidRefused({
        label: this.settings.label,
        sourceId: job.record.sourceId,
        deleted: job.record.deleted,
        document: `${textOf(current['Type'])} ${targetId}`,
        voidingDocument: `${voidingType} ${targetId}`,
        status: textOf(current['Status']) ?? '',
        step,
        voidingLeft: voiding !== undefined,
        cause: error,
      });
    }
    ctx.log.info(`${this.describe(job, current)}: voided${voiding ? ` (${voidingType} ${targetId} released)` : ''}`);
    return { status: 'updated', targetId };
  }

  /**
   * Sends the void; answers the voiding document it created, or undefined when the payment is
   * Voided without one. A void whose answer is lost, or refused after one that was, is looked up
   * before it is sent again: the voiding document, else the payment's status, says whether it landed.
   */
  private async startVoid(job: Job, keys: Record<string, string>, voidingJob: Job, action: string, ctx: SinkContext): Promise<Plain | undefined> {
    for (let attempt = 1; ; attempt++) {
      let lost: LedgersyncError | undefined;
      try {
        this.counters.voids++;
        await this.api.action(job.entity, action, keys);
      } catch (error) {
        if (!(error instanceof LedgersyncError) || (!error.mayHaveSucceeded && attempt === 1)) throw error;
        lost = error;
      }
      const voiding = await this.lookUpOne(voidingJob);
      if (voiding) return voiding;
      const now = await this.lookUpOne({ ...job, keys });
      if (now && this.settings.voidedStatuses.has(textOf(now['Status']) ?? '')) return undefined;
      if (!lost) {
        // This record's alone (a dead letter naming the payment, voids.ts): the run goes on.
        throw new LedgersyncError(
          'acumatica_action_failed',
          'record',
          `${action} completed, but Acumatica holds no ${describeCriteria(voidingJob.keys!)} and the document is ${textOf(now?.['Status']) ?? 'gone'}`,
        );
      }
      if (!lost.mayHaveSucceeded || attempt >= VOID_ATTEMPTS) throw lost;
      ctx.log.warn(`${this.describe(job, now ?? keys)}: the answer to ${action} was lost and there is no ${describeCriteria(voidingJob.keys!)}; voiding again`);
    }
  }

  /**
   * Documents the connector does not void: one voided at the source that Acumatica holds is a dead
   * letter naming it, for a person to void, cancel or reverse in Acumatica. One Acumatica does not
   * hold, or holds voided or canceled already, needs nothing.
   */
  private refuseVoid(job: Job): Settled {
    const { entity, record, current } = job;
    if (!current) return { status: 'skipped', reason: `not in Acumatica, nothing to void (${entity} for ${record.sourceId})` };
    const targetId = this.targetIdOf(entity, current);
    const status = textOf(current['Status']) ?? '';
    if (this.settings.voidedStatuses.has(status)) return { status: 'skipped', reason: `Acumatica's ${entity} ${targetId} is ${status} already`, targetId };
    const keys = this.keyValues(entity, current);
    // A document's Type names it as Acumatica's screens do (Credit Memo AR000012); other keys follow the entity.
    const document = `${keys['Type'] ? '' : `${entity} `}${Object.values(keys).join(' ')}`;
    const balance = textOf(current['Balance']) ?? textOf(current['Amount']);
    const unreleased = this.settings.unreleasedStatuses.has(status);
    const unsure = this.unsureOwner(job, current);
    const act = unreleased
      ? `delete ${document} in Acumatica (it is unreleased), or void it there; the next run finds nothing left to do`
      : `cancel or void ${document} in Acumatica (Invoices and Memos, AR301000); once its status is ${[...this.settings.voidedStatuses].join(' or ')} the next run finds nothing left to do (a reversal by a credit memo leaves it Closed, and this dead letter stays)`;
    return failed(
      new LedgersyncError(
        'acumatica_cannot_void',
        'record',
        `${this.settings.label}: source record ${record.sourceId} was voided, but Acumatica still holds it as ${document} (${status || 'no status'}${balance !== undefined ? `, balance ${balance}` : ''})${unsure ? `. It was found by ${unsure.naturalKey} '${unsure.key}' alone and ${isDetailPath(unsure.field) ? 'has' : 'is'} ${ownerOf(unsure.field, unsure.owner)}, while the record names no customer: it may be another pipeline's document (another Chargebee site numbering its documents alike), not this record's` : ''}; the connector voids nothing in Acumatica`,
        {
          fix: unsure
            ? `first check that ${document} (${ownerOf(unsure.field, unsure.owner)}) is this record's: if it is another pipeline's, leave it as it is and give each pipeline its own options.document_key_prefix; if it is this record's, ${act}`
            : act,
          details: {
            document,
            status,
            source_id: record.sourceId,
            ...(balance !== undefined ? { balance } : {}),
            ...(unsure ? { document_customer: unsure.owner } : {}),
          },
        },
      ),
    );
  }

  /**
   * A document a void found by its natural key alone (the ledger names none) whose customer the
   * record cannot confirm, as it names none: who Acumatica says it belongs to.
   */
  private unsureOwner(job: Job, found: Plain): { field: string; owner: string; naturalKey: string; key: string } | undefined {
    const field = this.settings.documentCustomer[job.entity];
    if (!field || job.record.previous?.targetId || textOf(valueAt(job.data, field))) return undefined;
    const owner = textOf(valueAt(found, field));
    return owner ? { field, owner, ...this.foundByKey(job, found) } : undefined;
  }

  /** Sends what differs, then releases; `ours` when the document was created by an unconfirmed write of ours. */
  private async update(job: Job, current: Plain, ours: boolean, ctx: SinkContext): Promise<SinkResult> {
    const { entity } = job;
    const through = this.appliedThrough(job, current);
    const { data, kept } = this.keptOnceReleased(job, through ? withoutField(job.data, through.collection) : job.data, current, ctx);
    const sent = await this.sendChanges(job, data, current, ctx);
    const applicationsToRelease = this.applicationsToRelease(entity, sent.unreleased, [...sent.fields]);
    const released = await this.releaseIfAsked(job, sent.saved, applicationsToRelease, ctx);
    const appliedElsewhere = through ? await this.applyThrough(job, current, through, ctx) : false;
    const targetId = this.targetIdOf(entity, sent.saved);
    if (ours) return { status: 'created', targetId };
    if (sent.fields.size > 0 || released || appliedElsewhere) return { status: 'updated', targetId };
    const reason = kept.length
      ? `Acumatica's released ${entity} ${targetId} keeps ${describeKept(kept)}; nothing else differs`
      : `Acumatica already holds this ${entity}`;
    return { status: 'skipped', reason, targetId };
  }

  /** Whether applications wait for a release: those left after the history, else a change to a collection released again. */
  private applicationsToRelease(entity: string, unreleased: readonly Plain[], changedFields: readonly string[]): boolean {
    return this.settings.applicationHistory[entity]
      ? unreleased.length > 0
      : (this.settings.rereleaseOnChange[entity] ?? []).some((field) => changedFields.includes(field));
  }

  /**
   * The mapped data less the fields a released document keeps (released.ts); each one the mapping
   * gives another value is a warning naming the document, the field, what Acumatica holds and what
   * was mapped: a corrected branch mapping applies to documents not released yet.
   */
  private keptOnceReleased(job: Job, data: Plain, current: Plain, ctx: SinkContext): { data: Plain; kept: KeptField[] } {
    const fixed = this.settings.fixedOnceReleased[job.entity];
    if (!fixed?.length || !this.isReleased(current)) return { data, kept: [] };
    const out = withoutFixedFields(this.contract, job.entity, data, current, fixed, this.compareOptions());
    if (out.kept.length) {
      ctx.log.warn(
        `${this.describe(job, current)} is released (${textOf(current['Status'])}) and keeps ${describeKept(out.kept)}: Acumatica changes none of ${fixed.join(', ')} on a released document, so the mapped value is not sent and the rest of the document is compared as usual. The mapping applies to documents not released yet; to move this one, reverse it in Acumatica and enter it again where it belongs`,
      );
    }
    return out;
  }

  /** Released: a status Acumatica gives released documents (one that is not among the unreleased ones). */
  private isReleased(document: Plain): boolean {
    const status = textOf(document['Status']);
    return status !== undefined && !this.settings.unreleasedStatuses.has(status);
  }

  private compareOptions(): CompareOptions {
    return { caseInsensitive: this.settings.upperCaseKeys, keepExtraRows: new Set(Object.values(this.settings.rereleaseOnChange).flat()) };
  }

  /**
   * The part of `data` that differs from `current` (undefined when nothing does), and what is left
   * to release of applications kept in a history: released applications are history, not rows to send again.
   */
  private pendingChanges(job: Job, data: Plain, current: Plain): { diff: Plain | undefined; unreleased: Plain[] } {
    const history = this.settings.applicationHistory[job.entity];
    const unreleased = history ? unreleasedApplications(data, current, history, this.describe(job, current)) : [];
    const diff = changes(this.contract, job.entity, history ? withApplications(data, history, unreleased) : data, current, this.compareOptions());
    return { diff, unreleased };
  }

  /**
   * `DELETE` by the document's keys. When its answer is lost the document is looked up: gone means
   * the delete landed; still there means it did not, and it is sent again.
   */
  private async remove(job: Job, current: Plain, ctx: SinkContext): Promise<SinkResult> {
    const targetId = this.targetIdOf(job.entity, current);
    const keys = this.keyValues(job.entity, current);
    for (let attempt = 1; ; attempt++) {
      try {
        this.counters.deletes++;
        await this.api.delete(job.entity, Object.values(keys));
        return { status: 'updated', targetId };
      } catch (error) {
        if (!(error instanceof LedgersyncError) || !error.mayHaveSucceeded || attempt >= DELETE_ATTEMPTS) throw error;
        if (!(await this.lookUpOne({ ...job, keys }))) {
          ctx.log.warn(`${this.describe(job, current)}: the delete's answer was lost, and the document is gone: deleted`);
          return { status: 'updated', targetId };
        }
        ctx.log.warn(`${this.describe(job, current)}: the delete's answer was lost and the document is still there; deleting again`);
      }
    }
  }

  /**
   * Sends the fields of `data` that differ from `current`: `fields` names them, `unreleased` is what
   * is left to release of applications kept in a history. A PUT that adds or deletes detail rows is
   * not repeated blindly, as Acumatica would append the rows again: when its answer is lost, the
   * document is read again and only what still differs is sent.
   */
  private async sendChanges(job: Job, data: Plain, current: Plain, ctx: SinkContext): Promise<{ saved: Plain; fields: Set<string>; unreleased: Plain[] }> {
    const fields = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const { diff, unreleased } = this.pendingChanges(job, data, current);
      if (!diff) return { saved: current, fields, unreleased };
      for (const field of Object.keys(diff)) fields.add(field);
      try {
        this.counters.updates++;
        const saved = await this.api.put(job.entity, { id: current['id'], ...diff }, { retrySafe: !changesRows(diff) });
        return { saved: saved ?? current, fields, unreleased };
      } catch (error) {
        if (!(error instanceof LedgersyncError) || !error.mayHaveSucceeded || attempt >= UPDATE_ATTEMPTS) throw error;
        const now = await this.lookUpOne({ ...job, keys: this.keyValues(job.entity, current) });
        if (!now) throw error;
        ctx.log.warn(`${this.describe(job, now)}: the update's answer was lost; sending only what still differs`);
        current = now;
      }
    }
  }

  /** Where a released document's applications are made, when not on the document itself. */
  private appliedThrough(job: Job, current: Plain): AppliedThrough | undefined {
    const through = this.settings.appliedThroughOnceReleased[job.entity];
    if (!through || job.data[through.collection] === undefined) return undefined;
    if (this.settings.unreleasedStatuses.has(textOf(current['Status']) ?? '')) return undefined;
    const applies = Object.entries(through.when).every(([field, value]) => textOf(current[field])?.toUpperCase() === value.toUpperCase());
    return applies ? through : undefined;
  }

  /**
   * The mapped applications of a released document, made on the entity that takes them (a released
   * credit memo is applied on its Payment, Payments and Applications): what that entity's history
   * already holds is not sent again, the rest is applied and released as a payment's are. Nothing is
   * asked of that entity when the document itself lists every mapped application already (a released
   * credit memo's ApplicationsCreditMemo lists all of its applications).
   */
  private async applyThrough(job: Job, document: Plain, through: AppliedThrough, ctx: SinkContext): Promise<boolean> {
    if (!this.pendingThrough(job, document, through)) return false;
    const keys = this.keyValues(through.entity, document);
    const applying: Job = {
      record: job.record,
      entity: through.entity,
      data: { ...keys, [through.as]: job.data[through.collection] },
      release: job.release,
      keys,
    };
    const current = await this.lookUpOne(applying);
    if (!current) {
      // This record's alone: the run goes on, and the dead letter is tried again by the next run.
      throw new LedgersyncError(
        'acumatica_not_found',
        'record',
        `${this.describe(job, document)} is released but Acumatica has no ${through.entity} ${describeCriteria(keys)} to apply it on`,
        {
          fix: `apply it in Acumatica on ${through.entity} ${describeCriteria(keys)} (Payments and Applications), or check that the endpoint serves that entity; the next run tries again`,
        },
      );
    }
    return (await this.update(applying, current, false, ctx)).status === 'updated';
  }

  /** Whether a released document has mapped applications it does not list yet (to make on `through.entity`); true when it cannot tell. */
  private pendingThrough(job: Job, document: Plain, through: AppliedThrough): boolean {
    const history = this.settings.applicationHistory[through.entity];
    if (!history) return true;
    const sameFields = (fields: Readonly<Record<string, string>>) => Object.fromEntries(Object.keys(fields).map((field) => [field, field]));
    const listed: ApplicationHistory = {
      pending: through.collection,
      released: through.collection,
      document: sameFields(history.document),
      amount: sameFields(history.amount),
    };
    return unreleasedApplications(job.data, document, listed, this.describe(job, document)).length > 0;
  }

  // ---- step 3: release ----

  /** Whether `releaseIfAsked` releases `document`: asked by the mapping, and unreleased or with applications to release. */
  private releasable(job: Job, document: Plain, applicationsToRelease: boolean): boolean {
    if (!job.release || !this.settings.releaseActions[job.entity]) return false;
    const status = textOf(document['Status']) ?? '';
    return this.settings.releasableStatuses.has(status) || (applicationsToRelease && !this.settings.unreleasedStatuses.has(status));
  }

  /** `applicationsToRelease`: a released document has applications waiting for a release again. */
  private async releaseIfAsked(job: Job, saved: Plain, applicationsToRelease: boolean, ctx: SinkContext): Promise<boolean> {
    const action = this.settings.releaseActions[job.entity];
    if (!action || !this.releasable(job, saved, applicationsToRelease)) return false;
    const status = textOf(saved['Status']) ?? '';
    const keys = Object.fromEntries(this.settings.keys[job.entity]!.map((key) => [key, saved[key]]));
    for (let attempt = 1; ; attempt++) {
      try {
        this.counters.releases++;
        await this.api.action(job.entity, action, keys);
        return true;
      } catch (error) {
        const lost = error instanceof LedgersyncError && error.mayHaveSucceeded;
        // A release refused after one whose answer was lost may be refused because that one went through.
        if (!(error instanceof LedgersyncError) || (!lost && attempt === 1)) throw error;
        // The document's status says whether a release happened, except for a re-release (its status is
        // the same before and after): then the application history does, where there is one.
        const rerelease = applicationsToRelease && !this.settings.releasableStatuses.has(status);
        const history = this.settings.applicationHistory[job.entity];
        if (rerelease && !history) throw this.unconfirmedRelease(job, keys, action, error);
        const now = await this.lookUpOne(job);
        if (!now) throw error;
        const released = rerelease
          ? unreleasedApplications(job.data, now, history!, this.describe(job, now)).length === 0
          : !this.settings.releasableStatuses.has(textOf(now['Status']) ?? '');
        if (released) return true;
        if (!lost || attempt >= RELEASE_ATTEMPTS) throw error;
        const state = rerelease ? 'its new applications are not in its application history' : `the document is still ${textOf(now['Status'])}`;
        ctx.log.warn(`${job.entity} ${this.targetIdOf(job.entity, now)}: the answer to ${action} was lost and ${state}; releasing again`);
      }
    }
  }

  private unconfirmedRelease(job: Job, keys: Plain, action: string, lost: LedgersyncError): LedgersyncError {
    const document = `${job.entity} ${Object.values(keys).map(String).join(' ')}`;
    return new LedgersyncError(
      'acumatica_release_unconfirmed',
      'transient',
      `${this.settings.label}: the answer to ${action} of ${document} (source record ${job.record.sourceId}) was lost (${lost.message}); a released document keeps its status whether its new applications were released or not`,
      {
        fix: `check in Acumatica that the applications of ${document} are released, and release it there if they are not: the next run sees nothing left to change`,
        details: { entity: job.entity, keys, action, source_id: job.record.sourceId },
        cause: lost,
      },
    );
  }

  // ---- helpers ----

  /** `$expand` for what the records carry, and the released applications beside a collection that lists only unreleased ones. */
  private expansionsOf(entity: string, records: readonly Plain[]): string[] {
    const expand = expansions(this.contract, entity, records);
    const history = this.settings.applicationHistory[entity];
    if (history && records.some((record) => record[history.pending] !== undefined)) expand.push(history.released);
    return expand;
  }

  /** A document not created yet, for messages: its type and natural key, and its source record. */
  private describeNew(job: Job): string {
    const naturalKey = this.settings.naturalKeys[job.entity]!;
    const type = textOf(job.data['Type']) ?? job.entity;
    return `the ${type} with ${naturalKey} '${textOf(job.data[naturalKey]) ?? ''}' (source record ${job.record.sourceId})`;
  }

  /** The document and its source record, for messages. */
  private describe(job: Job, document: Plain): string {
    return `${this.settings.label}: ${job.entity} ${this.targetIdOf(job.entity, document)} (source record ${job.record.sourceId})`;
  }

  private async lookUpOne(job: Job): Promise<Plain | undefined> {
    const { previous: _ignored, ...withoutLedger } = job.record;
    const probe: Job = { record: withoutLedger, entity: job.entity, data: job.data, release: job.release, ...(job.keys ? { keys: job.keys } : {}) };
    const criteria = this.criteria(probe);
    this.counters.lookups++;
    const rows = await this.api.list(job.entity, {
      filter: Object.entries(criteria)
        .map(([field, value]) => `${field} eq ${literal(value)}`)
        .join(' and '),
      expand: this.expansionsOf(job.entity, [job.data]),
    });
    this.match(probe, rows, criteria);
    if (probe.result) throw (probe.result as { error: LedgersyncError }).error;
    return probe.current;
  }

  /** A customer's natural key is its key: PUT with If-None-Match creates it exactly once. */
  private isKeyedByNaturalKey(entity: string): boolean {
    const keys = this.settings.keys[entity] ?? [];
    return keys.length === 1 && keys[0] === this.settings.naturalKeys[entity];
  }

  private targetField(entity: string): string {
    return this.settings.numberedByTenant[entity] ?? this.settings.keys[entity]?.[0] ?? 'id';
  }

  private targetIdOf(entity: string, record: Plain): string {
    return String(record[this.targetField(entity)] ?? record['id'] ?? '');
  }

  /** The entity's key fields with `record`'s values (the same names on a credit memo and its Payment). */
  private keyValues(entity: string, record: Plain): Record<string, string> {
    return Object.fromEntries((this.settings.keys[entity] ?? []).map((key) => [key, String(record[key] ?? '')]));
  }
}

/** `$expand` paths for the detail collections and linked entities the mapped records carry (nested with `/`). */
export function expansions(contract: Contract, schema: string, records: readonly Plain[], prefix = ''): string[] {
  const out = new Set<string>();
  const fields = contract.fields(schema);
  for (const record of records) {
    for (const [key, value] of Object.entries(record)) {
      const spec = fields[key];
      if (spec === undefined || isValueType(spec) || value === undefined || value === null) continue;
      const path = prefix + key;
      out.add(path);
      const inner = 'linked' in spec ? spec.linked : spec.detail;
      const nested = Array.isArray(value) ? value.filter(isPlainObject) : isPlainObject(value) ? [value] : [];
      for (const sub of expansions(contract, inner, nested, `${path}/`)) out.add(sub);
    }
  }
  return [...out].sort();
}

/** A document found by a record's natural key that names another customer than the record (`foreignDocument`). */
interface ForeignDocument {
  field: string;
  mapped: string;
  theirs: string;
  document: string;
  naturalKey: string;
  key: string;
}

/** A field names the customer (Customer EU-ACME); a detail row's field (`Details[0].TransactionDescription`) holds a text that names it. */
function isDetailPath(field: string): boolean {
  return /[.[]/.test(field);
}

/** Who a document belongs to, for messages: `customer ACME's`, or the detail field that names it and its text. */
function ownerOf(field: string, value: string): string {
  return isDetailPath(field) ? `${field} '${value}'` : `customer ${value}'s`;
}

/** The value at a field or a detail row's field (`Details[0].TransactionDescription`) of a record. */
function valueAt(record: Plain, path: string): unknown {
  let value: unknown = record;
  for (const step of path.split('.')) {
    const [, name, index] = /^([^[\]]+)(?:\[(\d+)\])?$/.exec(step) ?? [];
    if (!name || !isPlainObject(value)) return undefined;
    value = value[name];
    if (index !== undefined) value = Array.isArray(value) ? value[Number(index)] : undefined;
  }
  return value;
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Whether an update adds or deletes detail rows (those without `id`, or marked `delete`): repeating it would do so twice. */
function changesRows(diff: Plain): boolean {
  return Object.values(diff).some(
    (value) => Array.isArray(value) && value.some((row) => !isPlainObject(row) || row['id'] === undefined || row['delete'] === true),
  );
}

function withoutField(record: Plain, field: string): Plain {
  const { [field]: _dropped, ...rest } = record;
  return rest;
}

function describeCriteria(criteria: Record<string, string>): string {
  return Object.entries(criteria)
    .map(([field, value]) => `${field} '${value}'`)
    .join(' and ');
}

function failed(error: LedgersyncError): Settled {
  return { status: 'failed', error };
}

/** A result reached without a write, as a plan reports it. */
function plannedOf(result: Settled): PlannedWrite {
  if (result.status === 'failed') return { action: 'fail', error: result.error };
  return { action: 'skip', note: result.reason, ...(result.targetId ? { targetId: result.targetId } : {}) };
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
