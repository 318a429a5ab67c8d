/**
 * The two ajv instances: a strict one for our own schemas (pipeline, connector), and a lenient one
 * for schemas that connectors bring (connection blocks, pipeline extensions), so a keyword ajv
 * does not know in a connector's schema never breaks every pipeline that uses it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { packageRoot } from '../package-root.js';

// ajv and ajv-formats are CommonJS; under nodenext their default export is the module object.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
type AjvInstance = InstanceType<typeof Ajv>;

export type { ErrorObject, ValidateFunction };

let strict: AjvInstance | undefined;
let lenient: AjvInstance | undefined;

export function strictAjv(): AjvInstance {
  if (!strict) {
    strict = new Ajv({ allErrors: true, verbose: true, strict: true, discriminator: true, allowUnionTypes: true });
    addFormats(strict);
  }
  return strict;
}

export function lenientAjv(): AjvInstance {
  if (!lenient) {
    // coerceTypes: `realm_id: ${QBO_REALM_ID}` arrives as a number but the connection wants a string.
    lenient = new Ajv({ allErrors: true, verbose: true, strict: false, discriminator: true, allowUnionTypes: true, coerceTypes: true });
    addFormats(lenient);
  }
  return lenient;
}

const validators = new Map<string, ValidateFunction>();

/** The schemas ledgersync ships in `schemas/`. */
/**
 * `pipeline-base` is what `validate` checks every pipeline against before its connectors' own
 * rules; `pipeline` is the editor's schema, composed from it and the connector descriptors by
 * `npm run schemas` (engine/config/editor-schema.ts).
 */
export type OwnSchema = 'pipeline' | 'pipeline-base' | 'connector' | 'mapping-cases';

/** Compiled validator of `schemas/<name>.schema.json`. `rootAdditional` replaces the root's `additionalProperties`. */
export function ownSchemaValidator(name: OwnSchema, rootAdditional?: boolean): ValidateFunction {
  const key = `${name}:${String(rootAdditional)}`;
  let validate = validators.get(key);
  if (!validate) {
    const schema = readOwnSchema(name);
    if (rootAdditional !== undefined) schema['additionalProperties'] = rootAdditional;
    // Two variants of one schema must not share an $id inside one ajv instance.
    if (rootAdditional !== undefined) delete schema['$id'];
    validate = strictAjv().compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

export function readOwnSchema(name: OwnSchema): Record<string, unknown> {
  return JSON.parse(readFileSync(join(packageRoot(), 'schemas', `${name}.schema.json`), 'utf8')) as Record<string, unknown>;
}
