/**
 * Part of `npm run build`: compiles the JSON Schemas ledgersync validates with on every run
 * (PRECOMPILED_VARIANTS) into standalone validators under dist/schemas, with the options of the
 * strict ajv instance, so a run loads them instead of compiling them. Each file's first line names
 * the hash of the schema and options it was made from; a schema edited after the build is compiled
 * at run time as before (engine/config/ajv.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { PRECOMPILED_VARIANTS, STRICT_OPTIONS, ownSchemaVariant, precompiledDir } from '../engine/config/ajv.js';

// CommonJS modules: under nodenext their default export is the module object.
const Ajv = AjvModule.default;
const addFormats = addFormatsModule.default;
const standaloneCode = standaloneModule.default;

export function compileSchemas(dir = precompiledDir()): string[] {
  mkdirSync(dir, { recursive: true });
  return PRECOMPILED_VARIANTS.map(([name, rootAdditional]) => {
    const ajv = new Ajv({ ...STRICT_OPTIONS, code: { source: true } });
    addFormats(ajv);
    const variant = ownSchemaVariant(name, rootAdditional);
    const code = standaloneCode(ajv, ajv.compile(variant.schema));
    writeFileSync(join(dir, variant.file), `// sha256:${variant.hash}\n${code}\n`);
    return variant.file;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  compileSchemas();
}
