/**
 * The element names and order Sage Intacct's own SDK writes for each gateway function
 * (test/fixtures/vendor/intacct/sdk-element-order.json, read from intacct-sdk-js's writeXml
 * methods and checked against the SDK's request fixtures by element-order.test.ts). The fake
 * refuses a function that uses an element the SDK does not write there, or writes them out of
 * order, as the gateway's DTD validation does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { XmlValue } from './xml.js';

export interface ElementSpec {
  order: string[];
  children?: Record<string, ElementSpec>;
  attributes?: string[];
  /** Unknown UPPERCASE elements (custom fields of the object API) may follow the known ones. */
  customFieldsAfter?: boolean;
  required?: string[];
}

export interface FunctionSpec extends Partial<ElementSpec> {
  /** The SDK file(s) the list was read from. */
  sdk: string;
  /** Object API verbs (`create`, `update`): one spec per object element. */
  objects?: Record<string, ElementSpec>;
}

/** Finds test/fixtures/vendor/intacct from this module, whether it runs from test/ or from dist/test/. */
function fixturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'test', 'fixtures', 'vendor', 'intacct');
    if (existsSync(join(candidate, 'sdk-element-order.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`sdk-element-order.json not found above ${fileURLToPath(import.meta.url)}`);
}

export const SDK_FUNCTIONS: Readonly<Record<string, FunctionSpec>> = (
  JSON.parse(readFileSync(join(fixturesDir(), 'sdk-element-order.json'), 'utf8')) as { functions: Record<string, FunctionSpec> }
).functions;

const isNode = (v: XmlValue | undefined): v is { [name: string]: XmlValue } => v !== undefined && typeof v === 'object' && !Array.isArray(v);

function check(value: XmlValue | undefined, spec: ElementSpec, path: string): string | undefined {
  const items = Array.isArray(value) ? value : [value];
  for (const item of items) {
    if (!isNode(item)) continue;
    const names = Object.keys(item);
    for (const attribute of names.filter((n) => n.startsWith('@'))) {
      if (!spec.attributes?.includes(attribute.slice(1))) return `Attribute '${attribute.slice(1)}' is not allowed on '${path}'.`;
    }
    let last = -1;
    let inCustomFields = false;
    for (const name of names.filter((n) => !n.startsWith('@') && n !== '#text')) {
      const index = spec.order.indexOf(name);
      if (index === -1) {
        if (spec.customFieldsAfter && /^[A-Z][A-Z0-9_]*$/.test(name)) {
          inCustomFields = true;
          continue;
        }
        return `Element '${name}': This element is not expected (in '${path}'). Expected is one of ( ${spec.order.join(', ')} ).`;
      }
      if (index < last || inCustomFields) return `Element '${name}': This element is not expected here (in '${path}'): the order is ${spec.order.join(', ')}.`;
      last = index;
      const childSpec = spec.children?.[name];
      if (childSpec) {
        const problem = check(item[name], childSpec, `${path}/${name}`);
        if (problem) return problem;
      }
    }
    for (const required of spec.required ?? []) {
      if (!names.includes(required)) return `Element '${path}': Missing child element '${required}'.`;
    }
  }
  return undefined;
}

/** Why the function's body is not what the SDK writes for it, or undefined when it is (or the SDK writes no such function). */
export function elementOrderProblem(functionName: string, body: XmlValue | undefined): string | undefined {
  const spec = SDK_FUNCTIONS[functionName];
  if (!spec) return undefined;
  if (spec.objects) {
    if (!isNode(body)) return undefined;
    for (const object of Object.keys(body).filter((n) => !n.startsWith('@'))) {
      const objectSpec = spec.objects[object];
      if (!objectSpec) continue; // an object ledgersync does not write: its own checks apply
      const problem = check(body[object], objectSpec, `${functionName}/${object}`);
      if (problem) return problem;
    }
    return undefined;
  }
  return check(body, { order: spec.order ?? [], ...(spec.children ? { children: spec.children } : {}), attributes: spec.attributes ?? [] }, functionName);
}
