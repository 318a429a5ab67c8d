/**
 * The fake site's data: one in-memory table per resource, a controllable clock, and the event log.
 * Every change through `create`, `touch` or `delete` moves `updated_at` to the clock, gives the
 * record a larger `resource_version` (milliseconds, strictly increasing across the site, as
 * Chargebee's are) and appends an event, so tests can put many changes in one `updated_at` second.
 */
import { SeededRandom } from './prng.js';
import { RESOURCE_SPECS, type EventType, type FakeEvent, type MutableResourceName, type ResourceName, type ResourceRecordMap } from './resources.js';

export type StoredRecord = Record<string, unknown> & { id: string };

/** Deep copy of JSON data (every record is JSON); faster than structuredClone for these shapes. */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export interface StoredEntry {
  record: StoredRecord;
  /** Creation order; orders unsorted lists (newest first) and never changes on update. */
  seq: number;
}

/** Fields to change on a record; `undefined` removes a field. */
export type RecordChanges<T> = { [K in keyof T]?: T[K] | undefined } & Record<string, unknown>;

export interface ChangeOptions {
  /** Event type to log instead of the resource's default (e.g. `payment_succeeded`). */
  eventType?: EventType;
  /** Extra resources for the event content, e.g. the transaction beside the invoice. */
  eventContent?: Record<string, unknown>;
}

export class FakeChargebeeState {
  private readonly tables = new Map<ResourceName, Map<string, StoredEntry>>();
  private readonly idRandom: SeededRandom;
  private readonly clockSource: () => number;
  private frozenClock: number | undefined;
  private lastResourceVersion = 0;
  private nextSeq = 1;

  constructor(options: { clock: () => number; idSeed: number }) {
    this.clockSource = options.clock;
    this.idRandom = new SeededRandom(options.idSeed);
    for (const name of Object.keys(RESOURCE_SPECS) as ResourceName[]) this.tables.set(name, new Map());
  }

  /** The fake's current time in unix seconds: the frozen clock if set, else the `now` option. */
  now(): number {
    return this.frozenClock ?? Math.floor(this.clockSource());
  }

  /** Freezes the clock at `unixSeconds` until the next call; `undefined` returns to the `now` option. */
  setClock(unixSeconds: number | undefined): void {
    if (unixSeconds !== undefined && !Number.isInteger(unixSeconds)) {
      throw new Error(`setClock: expected integer unix seconds, received ${unixSeconds}`);
    }
    this.frozenClock = unixSeconds;
  }

  /** A new resource_version: the clock in ms, but always above every version issued before. */
  nextResourceVersion(): number {
    this.lastResourceVersion = Math.max(this.now() * 1000, this.lastResourceVersion + 1);
    return this.lastResourceVersion;
  }

  /** A fresh Chargebee-looking id with a prefix, e.g. `txn_AzZ...`. */
  newId(prefix: string, length = 16): string {
    return `${prefix}${this.idRandom.alnum(length)}`;
  }

  /** Every record of a resource, deleted ones included, as copies in creation order. */
  all<R extends ResourceName>(resource: R): ResourceRecordMap[R][] {
    return [...this.table(resource).values()].map((entry) => cloneJson(entry.record) as ResourceRecordMap[R]);
  }

  /** One record as a copy, deleted or not; undefined when unknown. */
  get<R extends ResourceName>(resource: R, id: string): ResourceRecordMap[R] | undefined {
    const entry = this.table(resource).get(id);
    return entry ? (cloneJson(entry.record) as ResourceRecordMap[R]) : undefined;
  }

  count(resource: ResourceName): number {
    return this.table(resource).size;
  }

  /** Live entries for the listing (read-only by convention: the listing serialises them). */
  entries(resource: ResourceName): readonly StoredEntry[] {
    return [...this.table(resource).values()];
  }

  /**
   * Adds a record as if created now: fills `id` (when absent), `object`, `deleted: false`,
   * `updated_at`, `resource_version`, and logs the created event.
   */
  create<R extends MutableResourceName>(
    resource: R,
    record: Partial<ResourceRecordMap[R]> & Record<string, unknown>,
    options: ChangeOptions = {},
  ): ResourceRecordMap[R] {
    const spec = RESOURCE_SPECS[resource];
    const id = typeof record.id === 'string' && record.id !== '' ? record.id : this.newId('', 16);
    if (this.table(resource).has(id)) throw new Error(`state.create: ${resource} ${id} already exists`);
    const now = this.now();
    const stored: StoredRecord = {
      ...record,
      id,
      object: spec.singular,
      deleted: record.deleted === true,
      updated_at: now,
      resource_version: this.nextResourceVersion(),
    };
    if (resource === 'customers' && stored['created_at'] === undefined) stored['created_at'] = now;
    this.insert(resource, stored);
    this.logChange(resource, stored, options.eventType ?? spec.events?.created, options.eventContent);
    return cloneJson(stored) as ResourceRecordMap[R];
  }

  /**
   * Applies `changes` (shallow; a key set to `undefined` removes the field), bumps `updated_at`
   * and `resource_version`, logs the updated event.
   */
  touch<R extends MutableResourceName>(
    resource: R,
    id: string,
    changes: RecordChanges<ResourceRecordMap[R]> = {},
    options: ChangeOptions = {},
  ): ResourceRecordMap[R] {
    const entry = this.require(resource, id);
    for (const [key, value] of Object.entries(changes)) if (value === undefined) delete entry.record[key];
    Object.assign(entry.record, cloneJson(changes), {
      id,
      updated_at: this.now(),
      resource_version: this.nextResourceVersion(),
    });
    this.logChange(resource, entry.record, options.eventType ?? RESOURCE_SPECS[resource].events?.updated, options.eventContent);
    return cloneJson(entry.record) as ResourceRecordMap[R];
  }

  /** Marks the record `deleted: true` (Chargebee keeps deleted records for `include_deleted`). */
  delete<R extends MutableResourceName>(resource: R, id: string): ResourceRecordMap[R] {
    const entry = this.require(resource, id);
    entry.record['deleted'] = true;
    entry.record['updated_at'] = this.now();
    entry.record['resource_version'] = this.nextResourceVersion();
    this.logChange(resource, entry.record, RESOURCE_SPECS[resource].events?.deleted, undefined);
    return cloneJson(entry.record) as ResourceRecordMap[R];
  }

  /** Appends an event to the log, as Chargebee does for every change; returns it. */
  appendEvent(eventType: EventType, content: Record<string, unknown>, occurredAt = this.now()): FakeEvent {
    const event: FakeEvent = {
      id: this.newId('ev_', 16),
      object: 'event',
      occurred_at: occurredAt,
      source: 'api',
      webhook_status: 'not_configured',
      event_type: eventType,
      api_version: 'v2',
      content: cloneJson(content),
    };
    this.insert('events', event as unknown as StoredRecord);
    return event;
  }

  /** Seeding only: stores a record as given, with no event and no version bump. */
  insertSeeded(resource: ResourceName, record: StoredRecord): void {
    if (typeof record['resource_version'] === 'number') {
      this.lastResourceVersion = Math.max(this.lastResourceVersion, record['resource_version']);
    }
    this.insert(resource, record);
  }

  private insert(resource: ResourceName, record: StoredRecord): void {
    this.table(resource).set(record.id, { record, seq: this.nextSeq++ });
  }

  private logChange(
    resource: MutableResourceName,
    record: StoredRecord,
    eventType: EventType | undefined,
    extraContent: Record<string, unknown> | undefined,
  ): void {
    if (!eventType) return;
    this.appendEvent(eventType, { [RESOURCE_SPECS[resource].singular]: record, ...extraContent });
  }

  private require(resource: ResourceName, id: string): StoredEntry {
    const entry = this.table(resource).get(id);
    if (!entry) throw new Error(`state: no ${resource} with id ${JSON.stringify(id)}`);
    return entry;
  }

  private table(resource: ResourceName): Map<string, StoredEntry> {
    const table = this.tables.get(resource);
    if (!table) throw new Error(`state: unknown resource ${JSON.stringify(resource)}`);
    return table;
  }
}
