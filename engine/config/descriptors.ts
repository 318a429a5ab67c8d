/**
 * Connector descriptors (`connectors/<name>/connector.yaml`) loaded, checked against
 * `schemas/connector.schema.json`, and turned into the validators a pipeline needs: its
 * connection block schema and the schemas of the top-level blocks it adds (`pipeline_extensions`).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import type { ConnectorDescriptor } from '../connector/descriptor.js';
import type { ConfigProblem } from '../errors.js';
import { ownSchemaValidator, validatorOf, type ValidateFunction } from './ajv.js';
import { deepFreeze } from './freeze.js';
import { schemaProblems } from './schema-errors.js';
import { parseYamlTree, pointerOf, type YamlTree } from './yaml-tree.js';

export interface PipelineExtension {
  /** Top-level key in the pipeline. */
  key: string;
  /** Schema file it is validated against. */
  file: string;
  validate: ValidateFunction;
}

export interface LoadedConnector {
  name: string;
  /** The descriptor file, as printed in problems. */
  file: string;
  /** Undefined when the descriptor is broken (see `problems`). */
  descriptor?: ConnectorDescriptor;
  problems: ConfigProblem[];
  /** Validates a pipeline's connection block (besides `connector`, `rate_limit`, `retry`). */
  validateConnection?: ValidateFunction;
  /** Names of connection properties marked `secret: true`. */
  secrets: string[];
  extensions: PipelineExtension[];
}

/** Connector folder names that hold a `connector.yaml`. */
export function listConnectors(connectorsDir: string): string[] {
  if (!existsSync(connectorsDir)) return [];
  return readdirSync(connectorsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(connectorsDir, e.name, 'connector.yaml')))
    .map((e) => e.name)
    .sort();
}

const cache = new Map<string, { mtimeMs: number; loaded: LoadedConnector }>();

/** Loads `<connectorsDir>/<name>/connector.yaml`; undefined when there is no such connector. */
export function loadConnector(connectorsDir: string, name: string): LoadedConnector | undefined {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) return undefined;
  const path = join(connectorsDir, name, 'connector.yaml');
  if (!existsSync(path)) return undefined;
  const mtimeMs = statSync(path).mtimeMs;
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === mtimeMs) return hit.loaded;
  const loaded = loadDescriptorFile(path, name);
  cache.set(path, { mtimeMs, loaded });
  return loaded;
}

/** Reads and checks one descriptor file against `schemas/connector.schema.json`. */
export function loadDescriptorFile(path: string, expectedName?: string): LoadedConnector {
  const file = displayPath(path);
  const read = readDescriptor(path, file, expectedName);
  if (!('tree' in read)) return read;
  const { descriptor, tree, problems } = read;
  const validateConnection = connectionValidator(descriptor, tree, file, problems);
  const extensions = extensionValidators(descriptor, tree, file, problems);
  const secrets = Object.entries(descriptor.connection.properties)
    .filter(([, p]) => p.secret === true)
    .map(([k]) => k);
  return {
    name: descriptor.name,
    file,
    descriptor,
    problems,
    ...(validateConnection ? { validateConnection } : {}),
    secrets,
    extensions,
  };
}

/** The descriptor, valid against its schema and its connector's settings schema; or, failed, what is wrong with it. */
function readDescriptor(
  path: string,
  file: string,
  expectedName: string | undefined,
): { descriptor: ConnectorDescriptor; tree: YamlTree; problems: ConfigProblem[] } | LoadedConnector {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const problem: ConfigProblem = {
      code: 'file_unreadable',
      file,
      path: '',
      line: 1,
      column: 1,
      message: `cannot read ${file}: ${(error as Error).message}`,
      severity: 'error',
    };
    return { name: expectedName ?? '', file, problems: [problem], secrets: [], extensions: [] };
  }
  const tree = parseYamlTree(text, file);
  const problems: ConfigProblem[] = [...tree.problems];
  const name = expectedName ?? (tree.value as { name?: unknown } | undefined)?.name;
  const failed = (): LoadedConnector => ({ name: String(name), file, problems, secrets: [], extensions: [] });
  if (tree.broken) return failed();
  const validate = ownSchemaValidator('connector');
  if (!validate(tree.value)) {
    problems.push(...schemaProblems(validate.errors ?? [], { tree, root: tree.value, code: 'descriptor_schema' }));
    return failed();
  }
  const raw = tree.value as Omit<ConnectorDescriptor, 'dir'>;
  if (expectedName !== undefined && raw.name !== expectedName) {
    problems.push({
      code: 'descriptor_name',
      file,
      path: '/name',
      ...tree.valuePosition('/name'),
      message: `name '${raw.name}' does not match the connector folder '${expectedName}'`,
      severity: 'error',
    });
    return failed();
  }
  const dir = join(path, '..');
  const settingsIssues = settingsProblems(raw, dir, tree, file);
  if (settingsIssues.length) {
    problems.push(...settingsIssues);
    return failed();
  }
  return { descriptor: deepFreeze({ ...raw, dir }) as ConnectorDescriptor, tree, problems };
}

/** The validator of a pipeline's connection block for this connector; a problem when `connection:` is not a usable schema. */
function connectionValidator(descriptor: ConnectorDescriptor, tree: YamlTree, file: string, problems: ConfigProblem[]): ValidateFunction | undefined {
  try {
    return validatorOf(connectionSchema(descriptor), 'lenient');
  } catch (error) {
    problems.push({
      code: 'descriptor_schema',
      file,
      path: '/connection',
      ...tree.keyPosition('/connection'),
      message: `connection is not a usable JSON Schema: ${(error as Error).message}`,
      severity: 'error',
    });
    return undefined;
  }
}

/** The top-level pipeline blocks the connector reads, each with its schema's validator; a problem per unusable schema. */
function extensionValidators(descriptor: ConnectorDescriptor, tree: YamlTree, file: string, problems: ConfigProblem[]): PipelineExtension[] {
  const extensions: PipelineExtension[] = [];
  for (const [key, schemaFile] of Object.entries(declaredExtensions(descriptor))) {
    const at = pointerOf(['settings', 'pipeline_extensions', key]);
    try {
      const schema = JSON.parse(readFileSync(join(descriptor.dir, schemaFile), 'utf8')) as Record<string, unknown>;
      // ajv keeps schemas by $id; a reloaded descriptor would collide with its older self.
      delete schema['$id'];
      extensions.push({ key, file: join(descriptor.dir, schemaFile), validate: validatorOf(schema, 'lenient') });
    } catch (error) {
      problems.push({
        code: 'descriptor_extension',
        file,
        path: at,
        ...tree.valuePosition(at),
        message: `pipeline extension '${key}': cannot use ${schemaFile}: ${(error as Error).message}`,
        severity: 'error',
      });
    }
  }
  return extensions;
}

/**
 * A connector's own `settings` (all but those the engine reads: `pipeline_extensions`,
 * `objects_property`, `connection_references`, checked by schemas/connector.schema.json) are checked once, here,
 * against `settings.schema.json` beside the descriptor, so the adapter reads typed values and a bad
 * descriptor fails at its line instead of deep inside a run.
 */
function settingsProblems(raw: Omit<ConnectorDescriptor, 'dir'>, dir: string, tree: YamlTree, file: string): ConfigProblem[] {
  const { pipeline_extensions: _extensions, objects_property: _objects, connection_references: _references, ...own } = raw.settings ?? {};
  const schemaFile = join(dir, 'settings.schema.json');
  const problem = (message: string): ConfigProblem => ({
    code: 'descriptor_settings',
    file,
    path: '/settings',
    ...tree.keyPosition('/settings'),
    message,
    severity: 'error',
  });
  if (Object.keys(own).length === 0) return [];
  if (!existsSync(schemaFile)) return [problem(`settings need a JSON Schema: add settings.schema.json beside ${file}`)];
  let validate: ValidateFunction;
  try {
    const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
    delete schema['$id']; // a reloaded descriptor must not collide with its older self in ajv
    validate = validatorOf(schema, 'strict');
  } catch (error) {
    return [problem(`settings.schema.json is not a usable JSON Schema: ${(error as Error).message}`)];
  }
  if (validate(own)) return [];
  return schemaProblems(validate.errors ?? [], { tree, root: tree.value, base: '/settings', code: 'descriptor_settings' });
}

/** Top-level pipeline blocks the connector reads, by key → schema file (`settings.pipeline_extensions`). */
export function declaredExtensions(descriptor: ConnectorDescriptor): Readonly<Record<string, string>> {
  return (descriptor.settings?.['pipeline_extensions'] ?? {}) as Record<string, string>;
}

/** The JSON Schema of a pipeline's connection block for this connector, from `connection:`. */
export function connectionSchema(descriptor: ConnectorDescriptor): Record<string, unknown> {
  const properties: Record<string, unknown> = { connector: true, rate_limit: true, retry: true };
  for (const [key, schema] of Object.entries(descriptor.connection.properties)) {
    const { secret: _secret, shapes_payload: _shapesPayload, ...rest } = schema;
    properties[key] = rest;
  }
  return {
    type: 'object',
    properties,
    required: [...(descriptor.connection.required ?? [])],
    additionalProperties: false,
  };
}

export function displayPath(path: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
