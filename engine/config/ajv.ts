/**
 * The two ajv instances: a strict one for our own schemas (pipeline, connector), and a lenient one
 * for schemas that connectors bring (connection blocks, pipeline extensions), so a keyword ajv
 * does not know in a connector's schema never breaks every pipeline that uses it.
 *
 * `npm run build` compiles every schema a run checks with (ours and the shipped connectors') into
 * standalone validators named by the hash of the schema and the options (app/compile-schemas.ts);
 * a run loads those, and ajv itself only for a schema changed or added since the build.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { sha256Hex } from '../transform/hash.js';
import type AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type addFormatsModule from 'ajv-formats';
import { packageRoot } from '../package-root.js';
import { requireCjs } from '../require-cjs.js';

type AjvInstance = InstanceType<typeof AjvModule.default>;

export type { ErrorObject, ValidateFunction };

/** The strict instance's options. */
export const STRICT_OPTIONS = { allErrors: true, verbose: true, strict: true, discriminator: true, allowUnionTypes: true } as const;
/** The lenient instance's: coerceTypes, because `realm_id: ${QBO_REALM_ID}` arrives as a number but the connection wants a string. */
export const LENIENT_OPTIONS = { allErrors: true, verbose: true, strict: false, discriminator: true, allowUnionTypes: true, coerceTypes: true } as const;
export type SchemaKind = 'strict' | 'lenient';
const OPTIONS: Record<SchemaKind, typeof STRICT_OPTIONS | typeof LENIENT_OPTIONS> = { strict: STRICT_OPTIONS, lenient: LENIENT_OPTIONS };

const instances: Partial<Record<SchemaKind, AjvInstance>> = {};

/**
 * The instance of a kind; ajv and ajv-formats load with the first schema compiled at run time.
 * With `code.source` (the build), a fresh instance that keeps the code it generates.
 */
export function ajvOf(kind: SchemaKind, extra: { code?: { source: true } } = {}): AjvInstance {
  const make = () => {
    const Ajv = (requireCjs('ajv') as typeof AjvModule).default;
    const addFormats = (requireCjs('ajv-formats') as typeof addFormatsModule).default;
    const ajv = new Ajv({ ...OPTIONS[kind], ...extra });
    addFormats(ajv);
    return ajv;
  };
  if (extra.code) return make();
  return (instances[kind] ??= make());
}

/** One schema as compiled with one instance's options, named by their hash. */
export interface SchemaVariant {
  schema: Record<string, unknown>;
  kind: SchemaKind;
  hash: string;
  /** The file `npm run build` writes its validator to, in `precompiledDir()`. */
  file: string;
}

export function schemaVariant(schema: Record<string, unknown>, kind: SchemaKind): SchemaVariant {
  const hash = sha256Hex(JSON.stringify({ schema, options: OPTIONS[kind] }));
  return { schema, kind, hash, file: `${kind}-${hash.slice(0, 24)}.validate.cjs` };
}

/** Where `npm run build` writes the validators it compiled ahead (app/compile-schemas.ts). */
export const precompiledDir = (): string => join(packageRoot(), 'dist', 'schemas');

/**
 * The validator `npm run build` compiled ahead for exactly this schema (its first line names the
 * hash of the schema and options it was made from), or undefined: a schema edited since, or no build.
 * Compiling the schemas of one run took a tenth of a second; loading them, a few ms.
 */
export function precompiledValidator(variant: SchemaVariant, dir = precompiledDir()): ValidateFunction | undefined {
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

let requested: ((variant: SchemaVariant) => void) | undefined;

/** Calls `collect` with every schema asked for until called again without it: how the build learns the connectors' schemas. */
export function collectSchemaVariants(collect: ((variant: SchemaVariant) => void) | undefined): void {
  requested = collect;
}

/** The validator of a schema: compiled ahead by the build, or now. */
export function validatorOf(schema: Record<string, unknown>, kind: SchemaKind): ValidateFunction {
  return validatorOfVariant(schemaVariant(schema, kind));
}

function validatorOfVariant(variant: SchemaVariant): ValidateFunction {
  requested?.(variant);
  return precompiledValidator(variant) ?? ajvOf(variant.kind).compile(variant.schema);
}

/**
 * The schemas ledgersync ships in `schemas/`. `pipeline-base` is what `validate` checks every pipeline against before its connectors' own
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

/** One variant of our own schema. `rootAdditional` replaces the root's `additionalProperties`. */
export function ownSchemaVariant(name: OwnSchema, rootAdditional?: boolean): SchemaVariant {
  const schema = readOwnSchema(name);
  if (rootAdditional !== undefined) schema['additionalProperties'] = rootAdditional;
  // Two variants of one schema must not share an $id inside one ajv instance.
  if (rootAdditional !== undefined) delete schema['$id'];
  return schemaVariant(schema, 'strict');
}

const validators = new Map<string, ValidateFunction>();

/** Compiled validator of `schemas/<name>.schema.json`. `rootAdditional` replaces the root's `additionalProperties`. */
export function ownSchemaValidator(name: OwnSchema, rootAdditional?: boolean): ValidateFunction {
  const key = `${name}:${String(rootAdditional)}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = validatorOfVariant(ownSchemaVariant(name, rootAdditional));
    validators.set(key, validate);
  }
  return validate;
}

export function readOwnSchema(name: OwnSchema): Record<string, unknown> {
  return JSON.parse(readFileSync(join(packageRoot(), 'schemas', `${name}.schema.json`), 'utf8')) as Record<string, unknown>;
}
