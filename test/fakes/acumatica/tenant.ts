/**
 * One tenant's business logic around the store: `PUT` as Acumatica does it (find the record by `id`
 * or by its key fields, insert or update it, `If-None-Match: *` / `If-Match: *` preconditions),
 * detail lines merged by `id` (or line number) and appended otherwise, segmented keys stored upper
 * case and found whatever the case, document numbers assigned by the tenant, `LastModifiedDateTime`
 * kept, and each entity's own rules (./customer.ts, ./ar.ts, ./payment.ts, ./gl.ts,
 * ./reference.ts) run before anything is saved.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, noEntitySatisfiesTheCondition, preconditionFailed, pxException } from './errors.js';
import { formatDateTime, type ContractSchema, type PlainRecord, type PlainValue } from './openapi.js';
import type { TenantStore, WriteEvent } from './store.js';

/** Refusals by field path (`CustomerID`, `Details[1].Account`); `''` is the record's own error. */
export type FieldErrors = Record<string, string>;

export interface TenantConfig {
  baseCurrency: string;
  currencies: readonly string[];
  /** AR/GL preference "Hold Documents on Entry": new documents start On Hold unless `Hold` is sent false. */
  holdDocumentsOnEntry: boolean;
  /** AR preference "Validate Document Totals on Entry": the `Amount` sent is a control total that must match the lines. */
  validateDocumentTotals: boolean;
  /** Length of the customer ID segmented key (the BIZACCT dimension). */
  customerIdLength: number;
  defaultBranch: string;
  customerClasses: readonly string[];
  /** The customer class's sales account and subaccount, the default of AR lines without an account. */
  defaultSalesAccount: string;
  defaultSubaccount: string;
  defaultLedger: string;
}

export interface RoundingNote {
  entity: string;
  path: string;
  sent: string;
  stored: string;
}

export interface TenantContext {
  readonly config: TenantConfig;
  readonly store: TenantStore;
  now(): number;
  /** Today at midnight in the tenant's zone (UTC), as date-only fields hold it. */
  today(): string;
  /** A record of `entity` by key values, compared case-insensitively like the database collation does. */
  lookup(entity: string, keys: Readonly<Record<string, string>>): PlainRecord | undefined;
  noteRounding(note: RoundingNote): void;
}

export interface EntityBehaviour {
  readonly entity: string;
  /** Key fields in URL order (`/Invoice/{Type}/{ReferenceNbr}`). */
  readonly keys: readonly string[];
  /** Segmented keys, stored upper case. */
  readonly upperCaseKeys?: readonly string[];
  /** A key the tenant numbers itself when a new record is inserted without it. */
  readonly autoNumber?: { field: string; assign(ctx: TenantContext, record: PlainRecord): string };
  /** Per detail collection, the field that finds an existing line when a row is sent without `id`. */
  readonly detailKeys?: Readonly<Record<string, string>>;
  /** Fills defaults and computed fields of the merged record; returns what must be refused. */
  prepare(record: PlainRecord, ctx: TenantContext, previous: PlainRecord | undefined, incoming: PlainRecord): FieldErrors;
  /** Actions the fake implements; each checks (throwing an AcumaticaError) and then changes the record. */
  readonly actions?: Readonly<Record<string, (record: PlainRecord, ctx: TenantContext) => void>>;
  /** Why the record cannot be deleted, if it cannot. */
  deleteRefusal?(record: PlainRecord): string | undefined;
}

/** A record the business logic refused: answered as 422 with the errors on the record's fields. */
export class RecordRefused extends Error {
  constructor(
    readonly entity: string,
    readonly record: PlainRecord,
    readonly errors: FieldErrors,
    readonly inserting: boolean,
  ) {
    super(
      Object.entries(errors)
        .map(([path, message]) => (path ? `${path}: ${message}` : message))
        .join('; '),
    );
  }
}

export type Precondition = 'insert' | 'update' | 'any';

export class Tenant {
  readonly roundings: RoundingNote[] = [];
  readonly context: TenantContext;
  private readonly behaviours = new Map<string, EntityBehaviour>();

  constructor(
    readonly contract: ContractSchema,
    readonly store: TenantStore,
    readonly config: TenantConfig,
    readonly now: () => number,
    behaviours: readonly EntityBehaviour[],
  ) {
    for (const behaviour of behaviours) this.behaviours.set(behaviour.entity, behaviour);
    this.context = {
      config,
      store,
      now,
      today: () => `${new Date(now()).toISOString().slice(0, 10)}T00:00:00+00:00`,
      lookup: (entity, keys) => this.findByKeys(entity, keys),
      noteRounding: (note) => this.roundings.push(note),
    };
  }

  serves(entity: string): boolean {
    return this.behaviours.has(entity);
  }

  behaviour(entity: string): EntityBehaviour | undefined {
    return this.behaviours.get(entity);
  }

  /** Records of an entity in key order (the order Acumatica lists them in). */
  list(entity: string): PlainRecord[] {
    const behaviour = this.behaviours.get(entity)!;
    return this.store.all(entity).sort((a, b) => compareKeys(behaviour.keys, a, b));
  }

  findByKeys(entity: string, keys: Readonly<Record<string, string>>): PlainRecord | undefined {
    const behaviour = this.behaviours.get(entity);
    if (!behaviour) return undefined;
    return this.store.find(entity, (record) => behaviour.keys.every((key) => sameKey(record[key], keys[key])));
  }

  /** `GET /{Entity}/{id}` or `/{Entity}/{key1}/{key2}`; throws "No entity satisfies the condition." */
  get(entity: string, segments: readonly string[]): PlainRecord {
    const record = this.locate(entity, segments);
    if (!record) throw noEntitySatisfiesTheCondition();
    return record;
  }

  locate(entity: string, segments: readonly string[]): PlainRecord | undefined {
    const behaviour = this.behaviours.get(entity)!;
    if (segments.length === 1 && GUID.test(segments[0]!)) return this.store.byId(entity, segments[0]!);
    if (segments.length !== behaviour.keys.length) return undefined;
    return this.findByKeys(entity, Object.fromEntries(behaviour.keys.map((key, index) => [key, segments[index]!])));
  }

  /** `PUT /{Entity}`: insert or update; returns the saved record and whether it was inserted. */
  put(
    entity: string,
    incoming: PlainRecord,
    precondition: Precondition = 'any',
    logWrite = true,
  ): { record: PlainRecord; inserted: boolean; event: WriteEvent } {
    const behaviour = this.behaviours.get(entity)!;
    for (const key of behaviour.upperCaseKeys ?? []) {
      const value = incoming[key];
      if (typeof value === 'string') incoming[key] = value.trim().toUpperCase();
    }
    const existing = this.findExisting(behaviour, incoming);
    if (precondition === 'insert' && existing)
      throw preconditionFailed(`The ${entity} record cannot be inserted because a record with the same keys already exists.`);
    if (precondition === 'update' && !existing) throw preconditionFailed(`The ${entity} record cannot be updated because it does not exist.`);

    const mergeErrors: string[] = [];
    const record = this.merge(entity, existing, incoming, behaviour.detailKeys ?? {}, mergeErrors);
    const errors: FieldErrors = {};
    if (mergeErrors.length > 0) errors[''] = mergeErrors.join(' ');
    if (!existing && behaviour.autoNumber) {
      const field = behaviour.autoNumber.field;
      if (record[field] === undefined || record[field] === null || record[field] === '') {
        // Numbered only once the record passes, so a refused insert does not burn a number.
        record[field] = '<NEW>';
      } else {
        errors[field] = `${label(field)} '${String(record[field])}' cannot be found in the system.`;
      }
    }
    // Rules run only on a record that merged cleanly.
    if (Object.keys(errors).length > 0) throw new RecordRefused(entity, record, errors, !existing);
    Object.assign(errors, behaviour.prepare(record, this.context, existing, incoming));
    if (Object.keys(errors).length > 0) throw new RecordRefused(entity, record, errors, !existing);

    const now = this.now();
    if (!existing) {
      if (behaviour.autoNumber && record[behaviour.autoNumber.field] === '<NEW>')
        record[behaviour.autoNumber.field] = behaviour.autoNumber.assign(this.context, record);
      if (this.contract.entity(entity)?.fields.has('CreatedDateTime')) record['CreatedDateTime'] = formatDateTime(now);
      if (this.contract.entity(entity)?.fields.has('NoteID') && !record['NoteID']) record['NoteID'] = randomUUID();
    }
    if (this.contract.entity(entity)?.fields.has('LastModifiedDateTime')) record['LastModifiedDateTime'] = formatDateTime(now);
    this.store.put(entity, record);
    const event = this.recordWrite(entity, existing ? 'update' : 'insert', record, undefined, logWrite);
    return { record, inserted: !existing, event };
  }

  delete(entity: string, segments: readonly string[]): WriteEvent {
    const behaviour = this.behaviours.get(entity)!;
    const record = this.get(entity, segments);
    const refusal = behaviour.deleteRefusal?.(record);
    if (refusal) throw pxException(refusal);
    this.store.remove(entity, String(record['id']));
    return this.recordWrite(entity, 'delete', record);
  }

  /** Locates the record an action names (by `id` or all its keys) and runs the action on it. */
  invoke(entity: string, action: string, target: PlainRecord): { record: PlainRecord; event: WriteEvent } {
    const behaviour = this.behaviours.get(entity)!;
    const run = behaviour.actions?.[action];
    if (!run)
      throw badRequest(
        `The action ${action} of ${entity} is in the contract but the fake does not implement it.`,
        'PX.Api.ContractBased.ActionNotFoundException',
      );
    const record = this.findExisting(behaviour, target);
    if (!record) throw noEntitySatisfiesTheCondition();
    const working = structuredClone(record);
    run(working, this.context);
    if (this.contract.entity(entity)?.fields.has('LastModifiedDateTime')) working['LastModifiedDateTime'] = formatDateTime(this.now());
    this.store.put(entity, working);
    const event = this.recordWrite(entity, 'action', working, action);
    return { record: working, event };
  }

  /** Puts a record straight into the database (documents that existed before go-live), through the same rules; not logged as a write. */
  seed(entity: string, record: PlainRecord): PlainRecord {
    return this.put(entity, structuredClone(record), 'any', false).record;
  }

  private findExisting(behaviour: EntityBehaviour, incoming: PlainRecord): PlainRecord | undefined {
    const id = incoming['id'];
    if (typeof id === 'string') {
      const byId = this.store.byId(behaviour.entity, id);
      if (!byId) throw noEntitySatisfiesTheCondition();
      return byId;
    }
    const keys: Record<string, string> = {};
    for (const key of behaviour.keys) {
      const value = incoming[key];
      if (typeof value !== 'string' || value === '') return undefined;
      keys[key] = value;
    }
    return this.findByKeys(behaviour.entity, keys);
  }

  private merge(
    schemaName: string,
    base: PlainRecord | undefined,
    incoming: PlainRecord,
    detailKeys: Readonly<Record<string, string>>,
    errors: string[],
  ): PlainRecord {
    const schema = this.contract.entity(schemaName)!;
    const result: PlainRecord = base ? structuredClone(base) : { id: randomUUID() };
    for (const [key, value] of Object.entries(incoming)) {
      if (key === 'id' || key === 'delete' || value === undefined) continue;
      if (key === 'note') {
        result['note'] = value as PlainValue;
        continue;
      }
      const field = schema.fields.get(key);
      if (!field) continue;
      if (field.kind === 'value') result[key] = value as PlainValue;
      else if (field.kind === 'linked') result[key] = this.merge(field.schema, result[key] as PlainRecord | undefined, value as PlainRecord, {}, errors);
      else result[key] = this.mergeRows(field.schema, key, (result[key] as PlainRecord[] | undefined) ?? [], value as PlainRecord[], detailKeys[key], errors);
    }
    return result;
  }

  private mergeRows(
    schemaName: string,
    collection: string,
    existing: PlainRecord[],
    incoming: PlainRecord[],
    matchField: string | undefined,
    errors: string[],
  ): PlainRecord[] {
    const rows = [...existing];
    for (const row of incoming) {
      const id = typeof row['id'] === 'string' ? row['id'] : undefined;
      const match = row[matchField ?? ''];
      let index = -1;
      if (id) {
        index = rows.findIndex((candidate) => candidate['id'] === id);
        if (index < 0) {
          errors.push(`${collection}: no line has the id ${id}.`);
          continue;
        }
      } else if (matchField && match !== undefined && match !== null) {
        index = rows.findIndex((candidate) => candidate[matchField] === match);
      }
      if (row['delete'] === true) {
        if (index < 0) errors.push(`${collection}: a line to delete must be named by its id.`);
        else rows.splice(index, 1);
        continue;
      }
      if (index >= 0) rows[index] = this.merge(schemaName, rows[index], row, {}, errors);
      else rows.push(this.merge(schemaName, undefined, row, {}, errors));
    }
    return rows;
  }

  private recordWrite(entity: string, operation: WriteEvent['operation'], record: PlainRecord, action?: string, log = true): WriteEvent {
    const behaviour = this.behaviours.get(entity)!;
    const event: WriteEvent = {
      entity,
      operation,
      ...(action ? { action } : {}),
      id: String(record['id']),
      keys: Object.fromEntries(behaviour.keys.map((key) => [key, String(record[key] ?? '')])),
      at: this.now(),
    };
    if (log) this.store.writes.push(event);
    return event;
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Key values compare case-insensitively, as Acumatica's SQL collation does. */
export function sameKey(stored: unknown, wanted: string | undefined): boolean {
  return typeof stored === 'string' && wanted !== undefined && stored.toUpperCase() === wanted.trim().toUpperCase();
}

function compareKeys(keys: readonly string[], a: PlainRecord, b: PlainRecord): number {
  for (const key of keys) {
    const x = String(a[key] ?? '').toUpperCase();
    const y = String(b[key] ?? '').toUpperCase();
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** A field's display name in messages: `ReferenceNbr` → `Reference Nbr.`. */
export function label(field: string): string {
  const known: Record<string, string> = {
    ReferenceNbr: 'Reference Nbr.',
    CustomerID: 'Customer ID',
    CustomerName: 'Account Name',
    BatchNbr: 'Batch Number',
    CashAccount: 'Cash Account',
    PaymentMethod: 'Payment Method',
    CurrencyID: 'Currency',
    AccountCD: 'Account',
    SubaccountCD: 'Subaccount',
  };
  return known[field] ?? field.replace(/([a-z])([A-Z])/g, '$1 $2');
}
