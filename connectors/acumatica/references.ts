/**
 * `ledgersync check` against an Acumatica tenant: whether every GL account, subaccount, branch, tax,
 * tax category, payment method and cash account a pipeline names exists and is active, read with
 * GETs only, as the descriptor's settings say:
 *
 * - `reference_entities`: an entity by its key, `$filter` on the key 20 values to a request, `$select`
 *   of the fields that answer;
 * - `reference_details`: kinds with no entity of their own in the endpoint, found as rows of another
 *   entity's detail collection (cash accounts in the AllowedCashAccounts of payment methods, branches
 *   in the Branches of the actual ledgers), read in the same request as that entity where possible.
 *
 * Keys compare without regard to case: Acumatica stores segmented keys upper case.
 */
import type { ReferenceAnswer, ReferenceQuery } from '../../engine/connector/types.js';
import { type AcumaticaApi, LOOKUPS_PER_REQUEST, literal } from './api.js';
import type { Plain } from './values.js';

/** Descriptor `settings.reference_entities.<kind>`. */
export interface ReferenceEntity {
  entity: string;
  key: string;
  /** Boolean fields that must all be true. */
  active: readonly string[];
  /** A date field after which the record no longer applies. */
  validUntil?: string;
  name?: string;
}

/** Descriptor `settings.reference_details.<kind>`: `ofKind`, or `entity` with `entityKey` (and a `filter`). */
export interface ReferenceDetail {
  ofKind?: string;
  entity?: string;
  entityKey?: string;
  filter?: string;
  collection: string;
  key: string;
  active: readonly string[];
  name?: string;
}

export interface ReferenceSettings {
  entities: Readonly<Record<string, ReferenceEntity>>;
  details: Readonly<Record<string, ReferenceDetail>>;
}

/** One listing of an entity: the records with the given keys, or all those `filter` selects. */
interface Read {
  entity: string;
  key: string;
  /** Upper-cased key values to find; undefined: every record. */
  keys?: Set<string>;
  filter?: string;
  select: Set<string>;
  expand: Set<string>;
  rows: Plain[];
}

/** A detail row holding a value, with whether it and the record it belongs to are active. */
interface Holder {
  owner: string;
  name?: string;
  /** Why it does not count, when it does not. */
  inactive?: string;
}

export async function checkAcumaticaReferences(
  api: AcumaticaApi,
  queries: readonly ReferenceQuery[],
  settings: ReferenceSettings,
  today: string,
): Promise<ReferenceAnswer[][]> {
  const named = new Map<string, string[]>();
  for (const query of queries) named.set(query.kind, [...(named.get(query.kind) ?? []), ...query.values]);
  const reads = planReads(named, settings);
  await Promise.all([...reads.values()].map((read) => runRead(api, read)));
  return queries.map((query) => {
    const entity = settings.entities[query.kind];
    const detail = settings.details[query.kind];
    if (entity) return answerEntity(query, entity, reads.get(readId(entity.entity))!.rows, today);
    if (detail) return answerDetail(query, detail, settings, reads.get(detailReadId(detail, settings))!, named);
    return query.values.map((value) => ({ value, status: 'unknown', answer: `the Acumatica connector cannot check a ${query.kind}` }));
  });
}

const readId = (entity: string, filter?: string) => (filter ? `${entity}?${filter}` : entity);

/** The read whose records hold a detail kind's rows: the named records of `of_kind`, else the entity's. */
function detailReadId(detail: ReferenceDetail, settings: ReferenceSettings): string {
  return detail.ofKind ? readId(settings.entities[detail.ofKind]!.entity) : readId(detail.entity!, detail.filter);
}

function planReads(named: ReadonlyMap<string, readonly string[]>, settings: ReferenceSettings): Map<string, Read> {
  const reads = new Map<string, Read>();
  const readOf = (entity: string, key: string, filter?: string): Read => {
    const id = readId(entity, filter);
    let read = reads.get(id);
    if (!read) reads.set(id, (read = { entity, key, select: new Set([key]), expand: new Set(), rows: [], ...(filter ? { filter } : {}) }));
    return read;
  };
  const selectEntity = (read: Read, spec: ReferenceEntity) => {
    for (const field of [...spec.active, spec.validUntil, spec.name]) if (field) read.select.add(field);
  };
  for (const [kind, values] of named) {
    const spec = settings.entities[kind];
    if (!spec) continue;
    const read = readOf(spec.entity, spec.key);
    read.keys ??= new Set();
    for (const value of values) read.keys.add(value.trim().toUpperCase());
    selectEntity(read, spec);
  }
  for (const kind of named.keys()) {
    const detail = settings.details[kind];
    if (!detail) continue;
    const owner = detail.ofKind ? settings.entities[detail.ofKind]! : undefined;
    const read = owner ? readOf(owner.entity, owner.key) : readOf(detail.entity!, detail.entityKey!, detail.filter);
    // Without values of `of_kind` to look up, the rows of every record count.
    if (owner && !named.get(detail.ofKind!)?.length) delete read.keys;
    if (owner) selectEntity(read, owner);
    read.expand.add(detail.collection);
    for (const field of [detail.key, ...detail.active, detail.name]) if (field) read.select.add(`${detail.collection}/${field}`);
  }
  return reads;
}

async function runRead(api: AcumaticaApi, read: Read): Promise<void> {
  const options = { select: [...read.select], expand: [...read.expand] };
  if (!read.keys) {
    read.rows = await api.list(read.entity, { ...options, ...(read.filter ? { filter: read.filter } : {}) });
    return;
  }
  const keys = [...read.keys];
  const chunks: string[][] = [];
  for (let i = 0; i < keys.length; i += LOOKUPS_PER_REQUEST) chunks.push(keys.slice(i, i + LOOKUPS_PER_REQUEST));
  const pages = await Promise.all(
    chunks.map((chunk) => api.list(read.entity, { ...options, filter: chunk.map((value) => `${read.key} eq ${literal(value)}`).join(' or ') })),
  );
  read.rows = pages.flat();
}

const keyOf = (value: unknown) =>
  String(value ?? '')
    .trim()
    .toUpperCase();
const described = (row: Plain, name: string | undefined) => (name && typeof row[name] === 'string' && row[name] ? ` "${row[name]}"` : '');

/** Why a record is not active, if it is not: a boolean field false, or a validity date passed. */
function inactivity(row: Plain, active: readonly string[], validUntil: string | undefined, today: string): string | undefined {
  const off = active.find((field) => row[field] === false);
  if (off) return `${off} is false`;
  const until = validUntil && typeof row[validUntil] === 'string' ? (row[validUntil] as string).slice(0, 10) : undefined;
  return until && until < today ? `${validUntil} ${until}` : undefined;
}

function answerEntity(query: ReferenceQuery, spec: ReferenceEntity, rows: readonly Plain[], today: string): ReferenceAnswer[] {
  const byKey = new Map(rows.map((row) => [keyOf(row[spec.key]), row]));
  return query.values.map((value): ReferenceAnswer => {
    const row = byKey.get(keyOf(value));
    if (!row) return { value, status: 'missing', answer: `Acumatica has no ${spec.entity} with ${spec.key} ${value}` };
    const shown = `${spec.entity} ${String(row[spec.key])}${described(row, spec.name)}`;
    const why = inactivity(row, spec.active, spec.validUntil, today);
    return why ? { value, status: 'inactive', answer: `${shown} is inactive in Acumatica (${why})` } : { value, status: 'ok', answer: shown };
  });
}

function answerDetail(
  query: ReferenceQuery,
  detail: ReferenceDetail,
  settings: ReferenceSettings,
  read: Read,
  named: ReadonlyMap<string, readonly string[]>,
): ReferenceAnswer[] {
  const owner = detail.ofKind ? settings.entities[detail.ofKind] : undefined;
  const holders = new Map<string, Holder[]>();
  for (const record of read.rows) {
    const ownerName = `${read.entity} ${String(record[read.key])}`;
    const ownerOff = owner ? inactivity(record, owner.active, undefined, '') : undefined;
    const rows = Array.isArray(record[detail.collection]) ? (record[detail.collection] as Plain[]) : [];
    for (const row of rows) {
      const rowOff = inactivity(row, detail.active, undefined, '');
      const inactive = ownerOff ? `${ownerName}: ${ownerOff}` : rowOff ? `${rowOff} in ${detail.collection} of ${ownerName}` : undefined;
      const holder: Holder = { owner: ownerName, ...(detail.name && typeof row[detail.name] === 'string' ? { name: row[detail.name] as string } : {}) };
      if (inactive) holder.inactive = inactive;
      const key = keyOf(row[detail.key]);
      holders.set(key, [...(holders.get(key) ?? []), holder]);
    }
  }
  const searched =
    owner && read.keys
      ? `none of ${owner.entity} ${(named.get(detail.ofKind!) ?? []).join(', ')}`
      : `no ${read.entity}${read.filter ? ` with ${read.filter}` : ''}`;
  return query.values.map((value): ReferenceAnswer => {
    const found = holders.get(keyOf(value)) ?? [];
    if (found.length === 0) {
      return { value, status: 'missing', answer: `Acumatica has no ${query.kind} ${value}: ${searched} lists it in ${detail.collection}` };
    }
    const usable = found.filter((holder) => !holder.inactive);
    const name = found.find((holder) => holder.name)?.name;
    const shown = `${query.kind} ${value}${name ? ` "${name}"` : ''}`;
    if (usable.length === 0) return { value, status: 'inactive', answer: `${shown} is inactive in Acumatica (${found.map((h) => h.inactive).join('; ')})` };
    return { value, status: 'ok', answer: `${shown} (${detail.collection} of ${usable.map((holder) => holder.owner).join(', ')})` };
  });
}
