/**
 * The two ajv instances: a strict one for our own schemas (pipeline, connector), and a lenient one
 * for schemas that connectors bring (connection blocks, pipeline extensions), so a keyword ajv
 * does not know in a connector's schema never breaks every pipeline that uses it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { sha256Hex } from '../transform/hash.js';
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

/** The strict instance's options; `npm run build` compiles our own schemas ahead with the same ones. */
export const STRICT_OPTIONS = { allErrors: true, verbose: true, strict: true, discriminator: true, allowUnionTypes: true } as const;

export function strictAjv(): AjvInstance {
  if (!strict) {
    strict = new Ajv({ ...STRICT_OPTIONS });
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

/** The variants of our own schemas that commands validate with: compiled ahead by `npm run build`. */
export const PRECOMPILED_VARIANTS: ReadonlyArray<readonly [OwnSchema, boolean | undefined]> = [
  ['pipeline-base', true],
  ['connector', undefined],
  ['mapping-cases', undefined],
];

/** Where `npm run build` writes the validators it compiled ahead (app/compile-schemas.ts). */
export const precompiledDir = (): string => join(packageRoot(), 'dist', 'schemas');

/** The schema object one variant compiles, and the hash that names it. */
export function ownSchemaVariant(name: OwnSchema, rootAdditional?: boolean): { schema: Record<string, unknown>; hash: string; file: string } {
  const schema = readOwnSchema(name);
  if (rootAdditional !== undefined) schema['additionalProperties'] = rootAdditional;
  // Two variants of one schema must not share an $id inside one ajv instance.
  if (rootAdditional !== undefined) delete schema['$id'];
  const hash = sha256Hex(JSON.stringify({ schema, options: STRICT_OPTIONS }));
  return { schema, hash, file: `${name}${rootAdditional === undefined ? '' : `.additional-${String(rootAdditional)}`}.validate.cjs` };
}

/**
 * The validator `npm run build` compiled ahead for exactly this schema (its first line names the
 * hash of the schema and options it was made from), or undefined: a schema edited since, or no build.
 * Compiling `pipeline-base` and `connector` took a tenth of a second of every run; loading them, 3 ms.
 */
export function precompiledValidator(
  variant: { schema: Record<string, unknown>; hash: string; file: string },
  dir = precompiledDir(),
): ValidateFunction | undefined {
  const path = join(dir, variant.file);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  if (!text.startsWith(`// sha256:${variant.hash}\n`)) return undefined;
  let loaded: ValidateFunction | { default: ValidateFunction };
  try {
    loaded = createRequire(path)(path) as ValidateFunction | { default: ValidateFunction };
  } catch {
    // Its ajv runtime out of reach (an unusual install): compiled at run time instead, as without a build.
    return undefined;
  }
  const validate = typeof loaded === 'function' ? loaded : loaded.default;
  // As ajv's own compile gives it: callers read the schema back from the validator.
  validate.schema = variant.schema;
  return validate;
}

/** Compiled validator of `schemas/<name>.schema.json`. `rootAdditional` replaces the root's `additionalProperties`. */
export function ownSchemaValidator(name: OwnSchema, rootAdditional?: boolean): ValidateFunction {
  const key = `${name}:${String(rootAdditional)}`;
  let validate = validators.get(key);
  if (!validate) {
    const variant = ownSchemaVariant(name, rootAdditional);
    validate = precompiledValidator(variant) ?? strictAjv().compile(variant.schema);
    validators.set(key, validate);
  }
  return validate;
}

export function readOwnSchema(name: OwnSchema): Record<string, unknown> {
  return JSON.parse(readFileSync(join(packageRoot(), 'schemas', `${name}.schema.json`), 'utf8')) as Record<string, unknown>;
}
