/**
 * Query options and the wire shape of records. `$select` (fields, `Linked/Field` paths), `$expand`
 * (detail collections and linked entities; nested with `/`), `$filter` (./filter.ts), `$top` and
 * `$skip`. Detail and linked entities are left out of an answer unless expanded (or sent, for a PUT),
 * as Acumatica does; every value goes back wrapped as `{"value": …}`, an empty one as `{}`.
 */
import { unitsToNumber } from './decimal.js';
import { badRequest } from './errors.js';
import { checkFields, FilterError, type FieldResolver, type FilterExpression, matches, parseFilter } from './filter.js';
import type { ContractSchema, PlainRecord, PlainValue } from './openapi.js';
import type { FieldErrors } from './tenant.js';

export interface QueryOptions {
  /** Selected field paths (`CustomerID`, `MainContact/Email`); undefined: every field. */
  select: ReadonlySet<string> | undefined;
  /** Expanded paths, parents included (`MainContact/Address` also expands `MainContact`). */
  expand: ReadonlySet<string>;
  filter: FilterExpression | undefined;
  top: number | undefined;
  skip: number;
}

const KNOWN_OPTIONS = new Set(['$select', '$expand', '$filter', '$top', '$skip', '$custom']);

/** Reads and checks the query options of a request on `entity`; refuses what the fake does not support. */
export function parseQueryOptions(contract: ContractSchema, entity: string, params: URLSearchParams): QueryOptions {
  for (const name of params.keys()) {
    if (name.startsWith('$') && !KNOWN_OPTIONS.has(name))
      throw badRequest(`The query option '${name}' is not supported by the contract-based API.`, 'Microsoft.Data.OData.ODataException');
  }
  if (params.has('$custom'))
    throw badRequest('$custom (fields outside the endpoint contract) is not supported by the fake.', 'PX.Api.ContractBased.NotSupportedException');
  const expand = new Set<string>();
  for (const path of list(params.get('$expand'))) {
    const segments = path.split('/');
    let schema = entity;
    segments.forEach((segment, index) => {
      const field = contract.entity(schema)?.fields.get(segment);
      if (!field || field.kind === 'value')
        throw badRequest(
          `$expand: '${segments.slice(0, index + 1).join('/')}' is not a detail or linked entity of ${entity}.`,
          'PX.Api.ContractBased.InvalidExpandException',
        );
      schema = field.schema;
      expand.add(segments.slice(0, index + 1).join('/'));
    });
  }
  let select: Set<string> | undefined;
  if (params.has('$select')) {
    select = new Set();
    for (const path of list(params.get('$select'))) {
      const segments = path.split('/');
      let schema = entity;
      segments.forEach((segment, index) => {
        const field = contract.entity(schema)?.fields.get(segment);
        if (!field)
          throw badRequest(`$select: '${segments.slice(0, index + 1).join('/')}' is not a field of ${entity}.`, 'PX.Api.ContractBased.InvalidSelectException');
        if (field.kind !== 'value') schema = field.schema;
        else if (index < segments.length - 1)
          throw badRequest(`$select: '${path}' goes through the value field '${segment}'.`, 'PX.Api.ContractBased.InvalidSelectException');
      });
      select.add(path);
    }
  }
  let filter: FilterExpression | undefined;
  const filterText = params.get('$filter');
  if (filterText !== null && filterText.trim() !== '') {
    try {
      filter = parseFilter(filterText);
      checkFields(filter, fieldResolver(contract, entity));
    } catch (error) {
      if (error instanceof FilterError) throw badRequest(error.message, 'Microsoft.Data.OData.ODataException');
      throw error;
    }
  }
  return { select, expand, filter, top: count(params, '$top'), skip: count(params, '$skip') ?? 0 };
}

function list(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function count(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) > 2147483647) {
    throw badRequest(`The value '${value}' of ${name} is not a valid non-negative Int32.`, 'Microsoft.Data.OData.ODataException');
  }
  return Number(value);
}

/** Field paths a `$filter` may use: values of the entity and of its linked entities, never of detail lines. */
export function fieldResolver(contract: ContractSchema, entity: string): FieldResolver {
  return (path) => {
    let schema = entity;
    for (let index = 0; index < path.length; index++) {
      const segment = path[index]!;
      const field = contract.entity(schema)?.fields.get(segment);
      if (!field) return `Could not find a property named '${segment}' on type '${schema}'.`;
      if (field.kind === 'detail')
        return `Filtering on detail records (${path.slice(0, index + 1).join('/')}) is not supported: Acumatica documents the result as unpredictable.`;
      if (field.kind === 'linked') {
        if (index === path.length - 1) return `'${path.join('/')}' is a linked entity, not a field.`;
        schema = field.schema;
        continue;
      }
      if (index !== path.length - 1) return `'${path.slice(0, index + 1).join('/')}' is a value, not a linked entity.`;
      const type = field.type;
      return {
        type,
        read: (record: unknown) => {
          let current = record as PlainRecord | undefined;
          for (const part of path.slice(0, -1)) current = current?.[part] as PlainRecord | undefined;
          const value = current?.[segment];
          return value === undefined ? null : (value as PlainValue);
        },
      };
    }
    return `Empty field path in $filter.`;
  };
}

/** The records a list request returns, in key order. */
export function selectRecords(contract: ContractSchema, entity: string, records: readonly PlainRecord[], options: QueryOptions): PlainRecord[] {
  const resolve = fieldResolver(contract, entity);
  const matching = options.filter ? records.filter((record) => matches(options.filter!, record, resolve)) : [...records];
  const start = Math.min(options.skip, matching.length);
  return matching.slice(start, options.top === undefined ? undefined : start + options.top);
}

export interface RenderOptions {
  select: ReadonlySet<string> | undefined;
  expand: ReadonlySet<string>;
  /** What the client sent (a PUT answer also shows the detail and linked entities it sent). */
  sent?: PlainRecord | undefined;
  errors?: FieldErrors | undefined;
  /** `_links.self` of a top-level record. */
  selfLink?: string | undefined;
}

/** A plain record in Acumatica's wire shape. */
export function renderEntity(
  contract: ContractSchema,
  entityName: string,
  record: PlainRecord,
  options: RenderOptions,
  rowNumber = 1,
): Record<string, unknown> {
  return renderAt(contract, entityName, record, options, '', '', options.sent, rowNumber, true);
}

function renderAt(
  contract: ContractSchema,
  schemaName: string,
  record: PlainRecord,
  options: RenderOptions,
  /** Path for $select/$expand (`MainContact/Address`). */
  queryPath: string,
  /** Path for errors (`Details[1].`). */
  errorPath: string,
  sent: PlainRecord | undefined,
  rowNumber: number,
  topLevel: boolean,
): Record<string, unknown> {
  const schema = contract.entity(schemaName)!;
  const out: Record<string, unknown> = { id: record['id'] ?? null, rowNumber, note: typeof record['note'] === 'string' ? { value: record['note'] } : null };
  const prefix = queryPath === '' ? '' : `${queryPath}/`;
  for (const [name, field] of schema.fields) {
    const path = prefix + name;
    const errorKey = errorPath + name;
    const error = options.errors?.[errorKey];
    if (field.kind === 'value') {
      if (options.select && !isSelected(options.select, path) && error === undefined) continue;
      const value = record[name];
      if (value === undefined && error === undefined) continue;
      const wrapped: Record<string, unknown> = value === undefined || value === null ? {} : { value: typeof value === 'bigint' ? unitsToNumber(value) : value };
      if (error !== undefined) wrapped['error'] = error;
      out[name] = wrapped;
      continue;
    }
    const wanted =
      options.expand.has(path) ||
      (sent !== undefined && sent[name] !== undefined) ||
      hasErrorsUnder(options.errors, errorKey) ||
      selectsInto(options.select, path);
    if (!wanted) continue;
    const value = record[name];
    if (field.kind === 'linked') {
      if (value === undefined || value === null) continue;
      out[name] = renderAt(contract, field.schema, value as PlainRecord, options, path, `${errorKey}.`, sent?.[name] as PlainRecord | undefined, 1, false);
    } else {
      const rows = Array.isArray(value) ? (value as PlainRecord[]) : [];
      out[name] = rows.map((row, index) => renderAt(contract, field.schema, row, options, path, `${errorKey}[${index}].`, undefined, index + 1, false));
    }
  }
  if (topLevel && options.errors?.[''] !== undefined) out['error'] = options.errors[''];
  out['custom'] = {};
  if (topLevel && options.selfLink) out['_links'] = { self: options.selfLink };
  return out;
}

function hasErrorsUnder(errors: FieldErrors | undefined, path: string): boolean {
  if (!errors) return false;
  return Object.keys(errors).some((key) => key.startsWith(`${path}.`) || key.startsWith(`${path}[`));
}

/** A field is selected by its own path or by a selected linked entity above it. */
function isSelected(select: ReadonlySet<string>, path: string): boolean {
  const segments = path.split('/');
  for (let length = segments.length; length > 0; length--) if (select.has(segments.slice(0, length).join('/'))) return true;
  return false;
}

function selectsInto(select: ReadonlySet<string> | undefined, path: string): boolean {
  if (!select) return false;
  for (const selected of select) if (selected === path || selected.startsWith(`${path}/`)) return true;
  return false;
}
