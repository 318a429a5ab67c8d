/**
 * The field names and types of QuickBooks Online entities, read at startup from Intuit's own XSDs
 * (copied into test/fixtures/vendor/qbo/), so the fake rejects exactly the fields QBO's schema does
 * not know instead of trusting a hand-written list.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';

export interface FieldSpec {
  /** Type name without namespace prefix: `string`, `decimal`, `ReferenceType`… */
  type: string;
  /** True when the XSD allows more than one (a JSON array). */
  many: boolean;
}

export interface ComplexTypeSpec {
  name: string;
  fields: Map<string, FieldSpec>;
  /** For simpleContent types (ReferenceType): the JSON `value` key carries this base type. */
  valueType?: string;
}

export interface SimpleTypeSpec {
  base: string;
  enumeration?: string[];
}

export interface QboSchema {
  complex: Map<string, ComplexTypeSpec>;
  simple: Map<string, SimpleTypeSpec>;
}

const xsdFiles = ['IntuitBaseTypes.xsd', 'IntuitNamesTypes.xsd', 'Finance.xsd', 'IntuitRestServiceDef.xsd'];

/** Finds test/fixtures/vendor/qbo from this module, whether it runs from test/ or from dist/test/. */
export function defaultXsdDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'test', 'fixtures', 'vendor', 'qbo');
    if (existsSync(join(candidate, 'Finance.xsd'))) return candidate;
    const sibling = join(dir, 'fixtures', 'vendor', 'qbo');
    if (existsSync(join(sibling, 'Finance.xsd'))) return sibling;
    dir = dirname(dir);
  }
  throw new Error('QBO XSDs not found: expected test/fixtures/vendor/qbo/Finance.xsd above ' + fileURLToPath(import.meta.url));
}

type XsdNode = Record<string, unknown>;

const listTags = new Set(['xs:element', 'xs:complexType', 'xs:simpleType', 'xs:enumeration', 'xs:attribute', 'xs:choice', 'xs:sequence', 'xs:group', 'xs:all']);

function children(node: unknown, tag: string): XsdNode[] {
  if (!node || typeof node !== 'object') return [];
  const value = (node as XsdNode)[tag];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]) as XsdNode[];
}

function child(node: unknown, tag: string): XsdNode | undefined {
  return children(node, tag)[0];
}

function attr(node: XsdNode, name: string): string | undefined {
  const v = node[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}

function localName(type: string): string {
  const i = type.indexOf(':');
  return i >= 0 ? type.slice(i + 1) : type;
}

let cached: { dir: string; schema: QboSchema } | undefined;

export function loadQboSchema(dir = defaultXsdDir()): QboSchema {
  if (cached?.dir === dir) return cached.schema;
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => listTags.has(name) });
  const roots: XsdNode[] = xsdFiles.map((file) => {
    const doc = parser.parse(readFileSync(join(dir, file), 'utf8')) as XsdNode;
    const root = doc['xs:schema'];
    if (!root || typeof root !== 'object') throw new Error(`${file}: not an XSD`);
    return root as XsdNode;
  });

  const groups = new Map<string, XsdNode>();
  const complexNodes = new Map<string, XsdNode>();
  const simple = new Map<string, SimpleTypeSpec>();
  for (const root of roots) {
    for (const g of children(root, 'xs:group')) groups.set(attr(g, 'name') ?? '', g);
    for (const c of children(root, 'xs:complexType')) complexNodes.set(attr(c, 'name') ?? '', c);
    for (const s of children(root, 'xs:simpleType')) {
      const restriction = child(s, 'xs:restriction');
      const enums = children(restriction, 'xs:enumeration').map((e) => attr(e, 'value') ?? '');
      simple.set(attr(s, 'name') ?? '', {
        base: localName(restriction ? (attr(restriction, 'base') ?? 'string') : 'string'),
        ...(enums.length ? { enumeration: enums } : {}),
      });
    }
  }

  const complex = new Map<string, ComplexTypeSpec>();
  let anonymous = 0;

  function collectParticles(node: XsdNode, fields: Map<string, FieldSpec>, many: boolean): void {
    for (const tag of ['xs:sequence', 'xs:choice', 'xs:all']) {
      for (const particle of children(node, tag)) {
        const repeated = many || (attr(particle, 'maxOccurs') ?? '1') !== '1';
        collectElements(particle, fields, repeated);
        collectParticles(particle, fields, repeated);
      }
    }
    for (const g of children(node, 'xs:group')) {
      const ref = attr(g, 'ref');
      const target = ref ? groups.get(localName(ref)) : g;
      if (target) collectParticles(target, fields, many);
    }
  }

  function collectElements(node: XsdNode, fields: Map<string, FieldSpec>, many: boolean): void {
    for (const el of children(node, 'xs:element')) {
      const name = attr(el, 'name') ?? (attr(el, 'ref') ? localName(attr(el, 'ref')!) : undefined);
      if (!name) continue;
      let type = attr(el, 'type') ?? attr(el, 'ref');
      const inline = child(el, 'xs:complexType');
      if (!type && inline) {
        type = `__anonymous${anonymous++}`;
        complexNodes.set(type, inline);
      }
      fields.set(name, { type: localName(type ?? 'xs:string'), many: many || (attr(el, 'maxOccurs') ?? '1') !== '1' });
    }
  }

  function build(name: string): ComplexTypeSpec | undefined {
    const done = complex.get(name);
    if (done) return done;
    const node = complexNodes.get(name);
    if (!node) return undefined;
    const spec: ComplexTypeSpec = { name, fields: new Map() };
    complex.set(name, spec);
    const content = child(node, 'xs:complexContent');
    const simpleContent = child(node, 'xs:simpleContent');
    if (content) {
      const derivation = child(content, 'xs:extension') ?? child(content, 'xs:restriction');
      if (derivation) {
        const base = build(localName(attr(derivation, 'base') ?? ''));
        if (base) for (const [k, v] of base.fields) spec.fields.set(k, v);
        collectParticles(derivation, spec.fields, false);
        collectAttributes(derivation, spec.fields);
      }
    } else if (simpleContent) {
      const derivation = child(simpleContent, 'xs:extension') ?? child(simpleContent, 'xs:restriction');
      if (derivation) {
        spec.valueType = localName(attr(derivation, 'base') ?? 'string');
        collectAttributes(derivation, spec.fields);
      }
    } else {
      collectParticles(node, spec.fields, false);
    }
    collectAttributes(node, spec.fields);
    return spec;
  }

  function collectAttributes(node: XsdNode, fields: Map<string, FieldSpec>): void {
    for (const a of children(node, 'xs:attribute')) {
      const name = attr(a, 'name');
      if (name) fields.set(name, { type: localName(attr(a, 'type') ?? 'string'), many: false });
    }
  }

  for (const name of [...complexNodes.keys()]) build(name);
  const schema = { complex, simple };
  cached = { dir, schema };
  return schema;
}

export interface SchemaViolation {
  path: string;
  message: string;
  /** True when the field name itself is unknown (QBO answers 2010 "unsupported property"). */
  unknownField: boolean;
}

const decimalPattern = /^-?\d+(\.\d+)?$/;
const integerPattern = /^-?\d+$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a JSON entity against its XSD complex type; returns every violation found. */
export function validateEntity(schema: QboSchema, typeName: string, value: unknown): SchemaViolation[] {
  const out: SchemaViolation[] = [];
  checkComplex(schema, typeName, value, typeName, out);
  return out;
}

function checkComplex(schema: QboSchema, typeName: string, value: unknown, path: string, out: SchemaViolation[]): void {
  const spec = schema.complex.get(typeName);
  if (!spec) {
    checkSimple(schema, typeName, value, path, out);
    return;
  }
  if (spec.valueType !== undefined && (typeof value !== 'object' || value === null)) {
    out.push({ path, message: `expected an object with "value" for ${typeName}, got ${JSON.stringify(value)}`, unknownField: false });
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    out.push({ path, message: `expected an object (${typeName}), got ${JSON.stringify(value)}`, unknownField: false });
    return;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (spec.valueType !== undefined && key === 'value') {
      checkSimple(schema, spec.valueType, v, `${path}.value`, out);
      continue;
    }
    const field = spec.fields.get(key);
    if (!field) {
      out.push({
        path: `${path}.${key}`,
        message: `Unrecognized field "${key}" (class com.intuit.schema.finance.v3.${typeName}), not marked as ignorable`,
        unknownField: true,
      });
      continue;
    }
    if (v === null) continue;
    if (field.many) {
      if (!Array.isArray(v)) {
        out.push({ path: `${path}.${key}`, message: `expected an array of ${field.type}`, unknownField: false });
        continue;
      }
      v.forEach((item, i) => {
        checkComplex(schema, field.type, item, `${path}.${key}[${i}]`, out);
      });
    } else {
      if (Array.isArray(v)) {
        out.push({ path: `${path}.${key}`, message: `expected one ${field.type}, got an array`, unknownField: false });
        continue;
      }
      checkComplex(schema, field.type, v, `${path}.${key}`, out);
    }
  }
}

function checkSimple(schema: QboSchema, typeName: string, value: unknown, path: string, out: SchemaViolation[]): void {
  const simple = schema.simple.get(typeName);
  if (simple) {
    if (simple.enumeration && !simple.enumeration.includes(String(value))) {
      out.push({ path, message: `${JSON.stringify(value)} is not one of ${simple.enumeration.join(', ')}`, unknownField: false });
      return;
    }
    checkSimple(schema, simple.base, value, path, out);
    return;
  }
  const bad = (expected: string) => out.push({ path, message: `expected ${expected}, got ${JSON.stringify(value)}`, unknownField: false });
  switch (typeName) {
    case 'decimal':
    case 'double':
    case 'float':
      if (!(typeof value === 'number' && Number.isFinite(value)) && !(typeof value === 'string' && decimalPattern.test(value))) bad('a decimal');
      return;
    case 'int':
    case 'integer':
    case 'long':
    case 'short':
    case 'positiveInteger':
    case 'nonNegativeInteger':
      if (!(typeof value === 'number' && Number.isInteger(value)) && !(typeof value === 'string' && integerPattern.test(value))) bad('an integer');
      return;
    case 'boolean':
      if (typeof value !== 'boolean' && value !== 'true' && value !== 'false') bad('a boolean');
      return;
    case 'date':
      if (typeof value !== 'string' || !datePattern.test(value)) bad('a date YYYY-MM-DD');
      return;
    case 'dateTime':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) bad('a dateTime');
      return;
    case 'anyType':
    case 'IntuitAnyType':
      return;
    default:
      if (typeof value === 'object') bad(`a ${typeName} value`);
  }
}
