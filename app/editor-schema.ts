/**
 * `npm run schemas`: writes schemas/pipeline.schema.json, the editor's pipeline schema, from
 * schemas/pipeline-base.schema.json and the installed connectors' descriptors. A test checks the
 * committed file is what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readOwnSchema } from '../engine/config/ajv.js';
import { declaredExtensions, listConnectors, loadConnector } from '../engine/config/descriptors.js';
import { composeEditorSchema, editorTimezones } from '../engine/config/editor-schema.js';
import type { ConnectorDescriptor } from '../engine/connector/descriptor.js';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { packageRoot } from '../engine/package-root.js';
import { installedConnectors } from './registry.js';

/** The editor schema of these connectors, as the committed file holds it. */
export function editorSchemaText(registry: ConnectorRegistry): string {
  const descriptors: ConnectorDescriptor[] = [];
  const extensions: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const name of listConnectors(registry.descriptorsDir)) {
    const loaded = loadConnector(registry.descriptorsDir, name);
    if (!loaded?.descriptor) throw new Error(`connectors/${name}/connector.yaml is invalid: ${loaded?.problems.map((p) => p.message).join('; ')}`);
    descriptors.push(loaded.descriptor);
    for (const [key, file] of Object.entries(declaredExtensions(loaded.descriptor))) {
      (extensions[name] ??= {})[key] = JSON.parse(readFileSync(join(loaded.descriptor.dir, file), 'utf8')) as Record<string, unknown>;
    }
  }
  const schema = composeEditorSchema({ base: readOwnSchema('pipeline-base'), descriptors, extensions, timezones: editorTimezones() });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export const EDITOR_SCHEMA_PATH = 'schemas/pipeline.schema.json';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const path = join(packageRoot(), EDITOR_SCHEMA_PATH);
  writeFileSync(path, editorSchemaText(installedConnectors));
  process.stdout.write(`wrote ${path}\n`);
}
