/**
 * Part of `npm run build`: compiles the JSON Schemas ledgersync validates with on every run into
 * standalone validators under dist/schemas: our own (PRECOMPILED_VARIANTS) and those of every
 * shipped connector (connection block, settings, pipeline extensions), each with the options of the
 * ajv instance that would compile it. Each file is named by, and its first line carries, the hash
 * of its schema and options; a schema edited after the build is compiled at run time as before
 * (engine/config/ajv.ts).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import standaloneModule from 'ajv/dist/standalone/index.js';
import { PRECOMPILED_VARIANTS, ajvOf, collectSchemaVariants, ownSchemaVariant, precompiledDir, type SchemaVariant } from '../engine/config/ajv.js';
import { listConnectors, loadDescriptorFile } from '../engine/config/descriptors.js';
import { packageRoot } from '../engine/package-root.js';

// A CommonJS module: under nodenext its default export is the module object.
const standaloneCode = standaloneModule.default;

/** The schemas loading each connector's descriptor asks for, exactly as a run asks for them. */
export function connectorVariants(connectorsDir = join(packageRoot(), 'connectors')): SchemaVariant[] {
  const variants: SchemaVariant[] = [];
  collectSchemaVariants((variant) => variants.push(variant));
  try {
    for (const name of listConnectors(connectorsDir)) loadDescriptorFile(join(connectorsDir, name, 'connector.yaml'), name);
  } finally {
    collectSchemaVariants(undefined);
  }
  return variants;
}

export function compileSchemas(dir = precompiledDir(), connectorsDir = join(packageRoot(), 'connectors')): string[] {
  // Files are named by content: what an earlier build wrote for schemas since changed would only pile up.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const variants = [...PRECOMPILED_VARIANTS.map(([name, rootAdditional]) => ownSchemaVariant(name, rootAdditional)), ...connectorVariants(connectorsDir)];
  const written = new Set<string>();
  for (const variant of variants) {
    if (written.has(variant.file)) continue;
    const ajv = ajvOf(variant.kind, { code: { source: true } });
    writeFileSync(join(dir, variant.file), `// sha256:${variant.hash}\n${standaloneCode(ajv, ajv.compile(variant.schema))}\n`);
    written.add(variant.file);
  }
  return [...written];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  compileSchemas();
}
