/**
 * The contract of the endpoint, read from Acumatica's own OpenAPI file (copied into
 * test/fixtures/vendor/acumatica/): which entities exist, their fields and each field's wrapper
 * type, detail collections and linked entities, and the actions each entity offers. Request bodies
 * are checked against it the way Web API's JSON deserializer would fail on them, so the fake refuses
 * exactly what the endpoint's contract does not define.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toUnits } from './decimal.js';

export type ValueType =
  | 'StringValue'
  | 'DecimalValue'
  | 'DoubleValue'
  | 'BooleanValue'
  | 'IntValue'
  | 'ShortValue'
  | 'LongValue'
  | 'ByteValue'
  | 'DateTimeValue'
  | 'GuidValue';

const VALUE_TYPES: ReadonlySet<string> = new Set<ValueType>([
  'StringValue',
  'DecimalValue',
  'DoubleValue',
  'BooleanValue',
  'IntValue',
  'ShortValue',
  'LongValue',
  'ByteValue',
  'DateTimeValue',
  'GuidValue',
]);

export type FieldSpec = { kind: 'value'; type: ValueType } | { kind: 'linked'; schema: string } | { kind: 'detail'; schema: string };

export interface EntitySchema {
  name: string;
  /** Contract fields in the order the OpenAPI file lists them. */
  fields: ReadonlyMap<string, FieldSpec>;
}

/** A record as the fake keeps it: wrapped values unwrapped, decimals as BigInt units of 10^-6. */
export type PlainValue = string | number | boolean | bigint | null;
export interface PlainRecord {
  [field: string]: PlainValue | PlainRecord | PlainRecord[] | undefined;
}

export interface Violation {
  /** JSON path inside the body, e.g. `Details[0].Amount.value`. */
  path: string;
  message: string;
}

type SchemaNode = Record<string, unknown>;

export class ContractSchema {
  private readonly built = new Map<string, EntitySchema>();
  readonly topLevelEntities: ReadonlySet<string>;
  private readonly actions = new Map<string, Set<string>>();

  constructor(
    private readonly schemas: Readonly<Record<string, SchemaNode>>,
    paths: Readonly<Record<string, Record<string, unknown>>>,
  ) {
    const topLevel = new Set<string>();
    for (const [path, operations] of Object.entries(paths)) {
      const segments = path.split('/').filter((segment) => segment !== '');
      if (segments.length === 1 && operations['put'] && operations['get']) topLevel.add(segments[0]!);
      if (segments.length === 2 && operations['post'] && !segments[1]!.startsWith('{') && !segments[1]!.startsWith('$')) {
        const set = this.actions.get(segments[0]!) ?? new Set<string>();
        set.add(segments[1]!);
        this.actions.set(segments[0]!, set);
      }
    }
    this.topLevelEntities = topLevel;
  }

  /** The entity schema (top-level, detail or linked) by name; undefined for value wrappers and unknown names. */
  entity(name: string): EntitySchema | undefined {
    const done = this.built.get(name);
    if (done) return done;
    const node = this.schemas[name];
    if (!node || VALUE_TYPES.has(name)) return undefined;
    const parts = Array.isArray(node['allOf']) ? (node['allOf'] as SchemaNode[]) : [node];
    if (!parts.some((part) => refName(part) === 'Entity')) return undefined;
    const fields = new Map<string, FieldSpec>();
    for (const part of parts) {
      const properties = (part['properties'] ?? {}) as Record<string, SchemaNode>;
      for (const [field, property] of Object.entries(properties)) {
        const spec = this.fieldSpec(property);
        if (spec) fields.set(field, spec);
      }
    }
    const schema: EntitySchema = { name, fields };
    this.built.set(name, schema);
    return schema;
  }

  /** Whether `POST {Entity}/{action}` exists in the contract. */
  hasAction(entity: string, action: string): boolean {
    return this.actions.get(entity)?.has(action) ?? false;
  }

  actionsOf(entity: string): string[] {
    return [...(this.actions.get(entity) ?? [])];
  }

  private fieldSpec(property: SchemaNode): FieldSpec | undefined {
    const ref = refName(property);
    if (ref) return VALUE_TYPES.has(ref) ? { kind: 'value', type: ref as ValueType } : { kind: 'linked', schema: ref };
    if (property['type'] === 'array') {
      const item = refName((property['items'] ?? {}) as SchemaNode);
      return item ? { kind: 'detail', schema: item } : undefined;
    }
    return undefined;
  }
}

function refName(node: SchemaNode): string | undefined {
  const ref = node['$ref'];
  return typeof ref === 'string' ? ref.slice(ref.lastIndexOf('/') + 1) : undefined;
}

/** Finds test/fixtures/vendor/acumatica from this module, whether it runs from test/ or from dist/test/. */
export function defaultOpenApiPath(): string {
  const file = 'Default_24.200.001.openapi.json';
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const candidate of [join(dir, 'test', 'fixtures', 'vendor', 'acumatica', file), join(dir, 'fixtures', 'vendor', 'acumatica', file)]) {
      if (existsSync(candidate)) return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error(`Acumatica OpenAPI file not found: expected test/fixtures/vendor/acumatica/${file} above ${fileURLToPath(import.meta.url)}`);
}

const cache = new Map<string, ContractSchema>();

/** Parses the OpenAPI file once per process (2.6 MB). */
export function loadContractSchema(path = defaultOpenApiPath()): ContractSchema {
  const cached = cache.get(path);
  if (cached) return cached;
  const document = JSON.parse(readFileSync(path, 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, SchemaNode> };
  };
  const schema = new ContractSchema(document.components.schemas, document.paths);
  cache.set(path, schema);
  return schema;
}

// ---------------------------------------------------------------------------------------------
// Validation: what Newtonsoft.Json would refuse while binding the body to the contract types.
// ---------------------------------------------------------------------------------------------

const CLR_TYPES: Readonly<Record<ValueType, string>> = {
  StringValue: 'System.String',
  DecimalValue: 'System.Nullable`1[System.Decimal]',
  DoubleValue: 'System.Nullable`1[System.Double]',
  BooleanValue: 'System.Nullable`1[System.Boolean]',
  IntValue: 'System.Nullable`1[System.Int32]',
  ShortValue: 'System.Nullable`1[System.Int16]',
  LongValue: 'System.Nullable`1[System.Int64]',
  ByteValue: 'System.Nullable`1[System.Byte]',
  DateTimeValue: 'System.Nullable`1[System.DateTime]',
  GuidValue: 'System.Nullable`1[System.Guid]',
};

const INTEGER_RANGES: Partial<Record<ValueType, { min: number; max: number; clr: string }>> = {
  IntValue: { min: -2147483648, max: 2147483647, clr: 'Int32' },
  ShortValue: { min: -32768, max: 32767, clr: 'Int16' },
  ByteValue: { min: 0, max: 255, clr: 'Byte' },
  LongValue: { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, clr: 'Int64' },
};

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CUSTOM_FIELD_TYPES: Readonly<Record<string, ValueType>> = {
  CustomStringField: 'StringValue',
  CustomDecimalField: 'DecimalValue',
  CustomDoubleField: 'DoubleValue',
  CustomBooleanField: 'BooleanValue',
  CustomIntField: 'IntValue',
  CustomShortField: 'ShortValue',
  CustomLongField: 'LongValue',
  CustomByteField: 'ByteValue',
  CustomDateTimeField: 'DateTimeValue',
  CustomGuidField: 'GuidValue',
};

/** Members every entity has (the `Entity` base schema), plus `_links`, which every response carries. */
const BASE_MEMBERS = new Set(['id', 'rowNumber', 'note', 'custom', 'error', 'files', '_links']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function at(path: string): string {
  return ` Path '${path}'.`;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'an array' : isObject(value) ? 'an object' : String(value);
}

/** Every way `body` fails to bind to entity `entityName`; empty when it binds. */
export function validateEntity(contract: ContractSchema, entityName: string, body: unknown, path = '', detailRow = false): Violation[] {
  const schema = contract.entity(entityName);
  if (!schema) return [{ path, message: `The entity '${entityName}' is not defined in the endpoint.` }];
  if (!isObject(body)) {
    return [
      {
        path,
        message: Array.isArray(body)
          ? `Cannot deserialize the current JSON array (e.g. [1,2,3]) into type '${entityName}' because the type requires a JSON object (e.g. {"name":"value"}) to deserialize correctly.${at(path)}`
          : `Error converting value ${describe(body)} to type '${entityName}'.${at(path)}`,
      },
    ];
  }
  const out: Violation[] = [];
  const child = (key: string): string => (path === '' ? key : `${path}.${key}`);
  for (const [key, value] of Object.entries(body)) {
    const field = schema.fields.get(key);
    if (!field) {
      if (BASE_MEMBERS.has(key) || (detailRow && key === 'delete')) {
        out.push(...validateBaseMember(key, value, child(key)));
        continue;
      }
      out.push({ path: child(key), message: `Could not find member '${key}' on object of type '${entityName}'.${at(child(key))}` });
      continue;
    }
    if (value === null) continue;
    if (field.kind === 'value') out.push(...validateWrapped(field.type, value, child(key)));
    else if (field.kind === 'linked') out.push(...validateEntity(contract, field.schema, value, child(key)));
    else if (!Array.isArray(value)) {
      out.push({
        path: child(key),
        message: `Cannot deserialize the current JSON object (e.g. {"name":"value"}) into type 'System.Collections.Generic.List\`1[${field.schema}]' because the type requires a JSON array (e.g. [1,2,3]) to deserialize correctly.${at(child(key))}`,
      });
    } else {
      value.forEach((row, index) => {
        out.push(...validateEntity(contract, field.schema, row, `${child(key)}[${index}]`, true));
      });
    }
  }
  return out;
}

function validateBaseMember(key: string, value: unknown, path: string): Violation[] {
  if (value === null || key === '_links' || key === 'files') return [];
  switch (key) {
    case 'id':
      return typeof value === 'string' && GUID.test(value)
        ? []
        : [{ path, message: `Error converting value ${describe(value)} to type 'System.Nullable\`1[System.Guid]'.${at(path)}` }];
    case 'rowNumber':
      return Number.isInteger(value) ? [] : [{ path, message: `Error converting value ${describe(value)} to type 'System.Int64'.${at(path)}` }];
    case 'error':
      return typeof value === 'string' ? [] : [{ path, message: `Error converting value ${describe(value)} to type 'System.String'.${at(path)}` }];
    case 'delete':
      return typeof value === 'boolean' ? [] : [{ path, message: `Error converting value ${describe(value)} to type 'System.Boolean'.${at(path)}` }];
    case 'note':
      return validateWrapped('StringValue', value, path);
    case 'custom':
      return validateCustom(value, path);
    default:
      return [];
  }
}

function validateCustom(value: unknown, path: string): Violation[] {
  if (!isObject(value)) return [{ path, message: `Error converting value ${describe(value)} to type 'PX.Api.ContractBased.Models.CustomFields'.${at(path)}` }];
  const out: Violation[] = [];
  for (const [view, fields] of Object.entries(value)) {
    if (!isObject(fields)) {
      out.push({
        path: `${path}.${view}`,
        message: `Error converting value ${describe(fields)} to type 'PX.Api.ContractBased.Models.CustomFields'.${at(`${path}.${view}`)}`,
      });
      continue;
    }
    for (const [name, field] of Object.entries(fields)) {
      const fieldPath = `${path}.${view}.${name}`;
      const type = isObject(field) && typeof field['type'] === 'string' ? CUSTOM_FIELD_TYPES[field['type']] : undefined;
      if (!isObject(field) || !type) {
        out.push({ path: fieldPath, message: `Type specified in JSON is not a custom field type (CustomStringField, CustomDecimalField…).${at(fieldPath)}` });
        continue;
      }
      const { type: _type, ...wrapper } = field;
      out.push(...validateWrapped(type, wrapper, fieldPath));
    }
  }
  return out;
}

function validateWrapped(type: ValueType, wrapper: unknown, path: string): Violation[] {
  if (!isObject(wrapper)) {
    return [{ path, message: `Error converting value ${describe(wrapper)} to type 'PX.Api.ContractBased.Models.${type}'.${at(path)}` }];
  }
  const out: Violation[] = [];
  for (const key of Object.keys(wrapper)) {
    if (key !== 'value' && key !== 'error')
      out.push({ path: `${path}.${key}`, message: `Could not find member '${key}' on object of type '${type}'.${at(`${path}.${key}`)}` });
  }
  if (wrapper['error'] !== undefined && wrapper['error'] !== null && typeof wrapper['error'] !== 'string') {
    out.push({ path: `${path}.error`, message: `Error converting value ${describe(wrapper['error'])} to type 'System.String'.${at(`${path}.error`)}` });
  }
  const value = wrapper['value'];
  if (value === undefined || value === null) return out;
  const problem = valueProblem(type, value);
  if (problem) out.push({ path: `${path}.value`, message: `${problem}${at(`${path}.value`)}` });
  return out;
}

/** Why `value` is not a valid `.value` of wrapper `type`, as the OpenAPI file types it. */
function valueProblem(type: ValueType, value: unknown): string | undefined {
  const convert = `Error converting value ${describe(value)} to type '${CLR_TYPES[type]}'.`;
  switch (type) {
    case 'StringValue':
      return typeof value === 'string' ? undefined : convert;
    case 'BooleanValue':
      return typeof value === 'boolean' ? undefined : convert;
    case 'DecimalValue':
    case 'DoubleValue':
      if (typeof value !== 'number') return `${convert} The contract types ${type}.value as a JSON number.`;
      return toUnits(value) === undefined ? `${convert} Value was either too large or too small for a Decimal.` : undefined;
    case 'IntValue':
    case 'ShortValue':
    case 'LongValue':
    case 'ByteValue': {
      const range = INTEGER_RANGES[type]!;
      if (typeof value !== 'number') return convert;
      if (!Number.isInteger(value)) return `Input string '${value}' is not a valid integer.`;
      return value < range.min || value > range.max ? `JSON integer ${value} is too large or small for an ${range.clr}.` : undefined;
    }
    case 'DateTimeValue':
      return typeof value === 'string' && parseDateTime(value) !== undefined ? undefined : `Could not convert string to DateTime: ${String(value)}.`;
    case 'GuidValue':
      return typeof value === 'string' && GUID.test(value) ? undefined : convert;
  }
}

/** ISO 8601 date or date-time → epoch milliseconds (a value without an offset is the tenant's time, UTC here). */
export function parseDateTime(text: string): number | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone] = match;
  const offset = !zone || zone === 'Z' ? 'Z' : zone;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}.${fraction.padEnd(3, '0').slice(0, 3)}${offset}`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2024-02-30 over to March; Acumatica refuses it.
  const check = new Date(Date.parse(`${y}-${mo}-${d}T00:00:00Z`));
  if (check.getUTCMonth() + 1 !== Number(mo) || check.getUTCDate() !== Number(d)) return undefined;
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Unwrapping a valid body into a plain record.
// ---------------------------------------------------------------------------------------------

export interface UnwrapNotes {
  /** Decimal values that had more than six decimals and were rounded on the way in. */
  rounded: { path: string; sent: number }[];
}

/** A validated body as a plain record; fields sent as `{}` (no `value`) are left out, `{"value": null}` is kept as null. */
export function unwrapEntity(contract: ContractSchema, entityName: string, body: Record<string, unknown>, notes: UnwrapNotes, path = ''): PlainRecord {
  const schema = contract.entity(entityName)!;
  const plain: PlainRecord = {};
  const child = (key: string): string => (path === '' ? key : `${path}.${key}`);
  for (const [key, value] of Object.entries(body)) {
    if (key === 'id' && typeof value === 'string') plain['id'] = value.toLowerCase();
    else if (key === 'delete' && value === true) plain['delete'] = true;
    else if (key === 'note' && isObject(value) && 'value' in value) plain['note'] = (value['value'] as string | null) ?? null;
    const field = schema.fields.get(key);
    if (!field || value === null || value === undefined) continue;
    if (field.kind === 'value') {
      const wrapper = value as Record<string, unknown>;
      if (!('value' in wrapper)) continue;
      plain[key] = unwrapValue(field.type, wrapper['value'], child(key), notes);
    } else if (field.kind === 'linked') {
      plain[key] = unwrapEntity(contract, field.schema, value as Record<string, unknown>, notes, child(key));
    } else {
      plain[key] = (value as Record<string, unknown>[]).map((row, index) => unwrapEntity(contract, field.schema, row, notes, `${child(key)}[${index}]`));
    }
  }
  return plain;
}

function unwrapValue(type: ValueType, value: unknown, path: string, notes: UnwrapNotes): PlainValue {
  if (value === null || value === undefined) return null;
  if (type === 'DecimalValue' || type === 'DoubleValue') {
    const parsed = toUnits(value as number)!;
    if (!parsed.exact) notes.rounded.push({ path, sent: value as number });
    return parsed.units;
  }
  if (type === 'GuidValue') return (value as string).toLowerCase();
  if (type === 'DateTimeValue') return formatDateTime(parseDateTime(value as string)!);
  return value as PlainValue;
}

/** Epoch milliseconds as Acumatica renders them: the tenant's offset (UTC here), milliseconds only when there are some. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z').replace('Z', '+00:00');
}

/** Plain JS values (as a test writes them) in the wire shape: values wrapped, linked and detail entities recursed. */
export function wrapEntity(contract: ContractSchema, entityName: string, plain: Record<string, unknown>): Record<string, unknown> {
  const schema = contract.entity(entityName);
  if (!schema) throw new Error(`wrapEntity: no entity ${entityName} in the contract`);
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(plain)) {
    const field = schema.fields.get(key);
    if (!field) {
      body[key] = value;
      continue;
    }
    if (field.kind === 'value') body[key] = { value };
    else if (field.kind === 'linked') body[key] = isObject(value) ? wrapEntity(contract, field.schema, value) : value;
    else body[key] = Array.isArray(value) ? value.map((row) => (isObject(row) ? wrapEntity(contract, field.schema, row) : row)) : value;
  }
  return body;
}
