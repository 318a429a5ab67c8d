/**
 * Loads a pipeline file into a frozen `Plan`: YAML with source positions, `${VAR}` interpolation,
 * the pipeline schema, each connection block against its connector's descriptor, references
 * between the parts (connectors, endpoints, objects, streams, lookup tables, options), and every
 * JSONata expression compiled once. All problems are collected in one pass, each at its line and
 * column; a plan is returned only when there is no error.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ConnectionConfig } from '../connector/types.js';
import type { ConnectorDescriptor } from '../connector/descriptor.js';
import type { ConfigProblem } from '../errors.js';
import { registerSecret } from '../log.js';
import { unmaskedSecretWarning } from '../secrets.js';
import { ownSchemaValidator, readOwnSchema } from './ajv.js';
import { validateCoercingInterpolated } from './coerce.js';
import { listConnectors, loadConnector, type LoadedConnector } from './descriptors.js';
import { DEFAULT_MAPPING_LIMITS, type MappingLimits } from '../transform/budget.js';
import { brokenReferences, connectionReferenceRules } from './connection-references.js';
import { deepFreeze } from './freeze.js';
import { readLookupFile, type LookupFileFormat } from './lookup-files.js';
import { missingFileHint } from './lookup-path.js';
import type { LookupTable, Plan, SourcePosition, StreamPlan } from './plan.js';
import { humanPath, schemaProblems } from './schema-errors.js';
import { didYouMean } from './suggest.js';
import { readConfigText } from './read-text.js';
import { isValidTimezone, startDateSeconds, timezoneAbbreviationProblem } from './time.js';
import { isoDate } from '../transform/dates.js';
import { isUrlProperty, urlIssues } from './urls.js';
import { isPlaceholder, parseYamlTree, pointerOf, type YamlTree } from './yaml-tree.js';
import { checkStreams, type Report } from './stream-plans.js';

export { DEFAULT_LOOKBACK_SECONDS } from './stream-plans.js';

/**
 * Largest pipeline file read. Parsing is linear but not interruptible, so this bounds the time a
 * file can hold the process (a few seconds at most); big mapping tables belong in lookup files.
 */
export const MAX_PIPELINE_BYTES = 8 * 1024 * 1024;

export interface LoadOptions {
  /** Variables for `${VAR}`. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * `run`: an unset variable without default is an error. `validate` (CI, no secrets): it is
   * replaced by a placeholder and the checks that depend on its value are skipped.
   */
  mode: 'run' | 'validate';
  /** The folder of connector descriptors (`<name>/connector.yaml`), from the caller's connector registry. */
  connectorsDir: string;
}

export interface LoadResult {
  /** Present when there is no error (warnings allowed). */
  plan?: Plan;
  problems: ConfigProblem[];
  /** The pipeline's `name` and where it is written, whenever the file declares one (errors or not). */
  name?: DeclaredName;
}

/** A pipeline's `name:` (what scopes its state) and its position in the file. */
export interface DeclaredName {
  value: string;
  line: number;
  column: number;
}

type Role = 'source' | 'sink';
type Json = Record<string, unknown>;

export async function loadPipeline(file: string, options: LoadOptions): Promise<LoadResult> {
  const read = await readConfigText(file, {
    maxBytes: MAX_PIPELINE_BYTES,
    tooLargeHint: 'keep big mapping tables in their own file (lookups.<name>.file: a CSV, JSON or JSON Lines file)',
    directoryHint: 'to check every pipeline in it, give a glob such as "dir/**/*.yaml"',
  });
  if (!read.ok) return { problems: [{ code: read.code, file, path: '', line: read.line, column: read.column, message: read.message, severity: 'error' }] };
  const tree = parseYamlTree(read.text, file, { env: options.env ?? process.env, mode: options.mode });
  const problems: ConfigProblem[] = [...tree.problems];
  const compileMappings = compilesMappings(options.env ?? process.env, file, problems);
  if (tree.broken) return { problems: sortProblems(problems, file) };
  if (!isObject(tree.value)) {
    const what =
      tree.value === null || tree.value === undefined ? 'the file holds no pipeline (it is empty, or only comments): a pipeline is' : 'a pipeline is';
    problems.push(problemAtStart(file, 'schema_type', `${what} a YAML mapping with version, name, source, sink and streams`));
    return { problems: sortProblems(problems, file) };
  }
  const root = tree.value;
  const name = typeof root['name'] === 'string' ? { value: root['name'], ...tree.valuePosition('/name') } : undefined;
  const report = (pointer: string, at: 'key' | 'value', code: string, message: string, severity: ConfigProblem['severity'] = 'error') =>
    problems.push({ code, file, path: pointer, ...(at === 'key' ? tree.keyPosition(pointer) : tree.valuePosition(pointer)), message, severity });

  const schemaErrors = validateCoercingInterpolated(ownSchemaValidator('pipeline-base', true), root, tree);
  if (schemaErrors.length) problems.push(...schemaProblems(schemaErrors, { tree, root }));

  const { connectorsDir } = options;
  const connectors: Partial<Record<Role, LoadedConnector>> = {};
  for (const role of ['source', 'sink'] as const) {
    const loaded = checkConnection(role, root, tree, connectorsDir, problems, report);
    if (loaded) connectors[role] = loaded;
  }
  checkExtensions(root, tree, connectors, problems, report);
  problems.push(...secretVariablesReused(tree, connectors));

  const timezone = typeof root['timezone'] === 'string' ? root['timezone'] : 'UTC';
  const timezoneOk = checkTimezone(timezone, tree, report);
  const startDate = checkStartDate(root, tree, problems, report, timezoneOk && isValidTimezone(timezone) ? timezone : 'UTC');

  const limits = mappingLimits(root);
  const streams = checkStreams({ root, tree, connectors, problems, report, compileMappings, limits });
  const lookups = await lookupTables(root, tree, dirname(resolve(file)), problems, report);
  const optionReferences = checkReferenceKinds(root, connectors.sink?.descriptor, report);
  const errors = problems.filter((p) => p.severity === 'error');
  const sorted = sortProblems(problems, file);
  if (errors.length > 0 || !connectors.source?.descriptor || !connectors.sink?.descriptor || !streams) return { problems: sorted, ...(name ? { name } : {}) };

  const sourceDescriptor = connectors.source.descriptor;
  const plan: Plan = {
    file: resolve(file),
    dir: dirname(resolve(file)),
    name: String(root['name']),
    description: typeof root['description'] === 'string' ? root['description'] : '',
    timezone,
    ...(startDate !== undefined ? { startDate } : {}),
    source: { config: root['source'] as ConnectionConfig, descriptor: connectors.source.descriptor },
    sink: { config: root['sink'] as ConnectionConfig, descriptor: connectors.sink.descriptor },
    options: isObject(root['options']) ? root['options'] : {},
    optionLines: Object.fromEntries(
      Object.keys(isObject(root['options']) ? root['options'] : {}).map((k) => [k, tree.keyPosition(`/options${pointerOf([k])}`).line]),
    ),
    optionReferences,
    lookups,
    streams: startDate === undefined ? streams : streams.map((stream) => withStartDate(stream, sourceDescriptor, startDate, timezone)),
    limits,
    extensions: extensionsOf(root),
  };
  return { plan: deepFreeze(plan), problems: sorted, ...(name ? { name } : {}) };
}

/** LEDGERSYNC_JSONATA=interpreter turns the compiler off: a switch an operator can flip without a release. */
function compilesMappings(env: Readonly<Record<string, string | undefined>>, file: string, problems: ConfigProblem[]): boolean {
  const choice = env['LEDGERSYNC_JSONATA'] ?? '';
  if (choice !== '' && choice !== 'compiled' && choice !== 'interpreter') {
    problems.push(problemAtStart(file, 'invalid_jsonata_engine', `LEDGERSYNC_JSONATA must be 'compiled' (the default) or 'interpreter', received '${choice}'`));
  }
  return choice !== 'interpreter';
}

/** True when `timezone` is an IANA zone (or a placeholder in validate mode); an abbreviation such as EST is refused with the zone it likely means. */
function checkTimezone(timezone: string, tree: YamlTree, report: Report): boolean {
  if (tree.placeholders.has('/timezone')) return true;
  const abbreviation = timezoneAbbreviationProblem(timezone);
  if (abbreviation) {
    report('/timezone', 'value', 'timezone_abbreviation', abbreviation);
    return false;
  }
  if (isValidTimezone(timezone)) return true;
  report(
    '/timezone',
    'value',
    'invalid_timezone',
    `timezone '${timezone}' is not an IANA timezone such as UTC, Europe/Paris or America/New_York${didYouMean(timezone, Intl.supportedValuesOf('timeZone'))}`,
  );
  return false;
}

/** `start_date` in Unix seconds, read in `timezone`; undefined when absent, a placeholder, or already refused by the schema (reported once). */
function checkStartDate(root: Json, tree: YamlTree, problems: readonly ConfigProblem[], report: Report, timezone: string): number | undefined {
  const value = root['start_date'];
  if (typeof value !== 'string' || tree.placeholders.has('/start_date') || problems.some((p) => p.path === '/start_date')) return undefined;
  const startDate = startDateSeconds(value, timezone);
  if (startDate === undefined)
    report('/start_date', 'value', 'invalid_start_date', `start_date '${value}' is not a real date (YYYY-MM-DD or an ISO 8601 date-time)`);
  return startDate;
}

function checkConnection(
  role: Role,
  root: Json,
  tree: YamlTree,
  connectorsDir: string,
  problems: ConfigProblem[],
  report: Report,
): LoadedConnector | undefined {
  const block = root[role];
  if (!isObject(block) || typeof block['connector'] !== 'string') return undefined;
  const name = block['connector'];
  const at = `/${role}/connector`;
  const loaded = loadConnector(connectorsDir, name);
  if (!loaded) {
    const known = listConnectors(connectorsDir);
    report(at, 'value', 'unknown_connector', `unknown connector '${name}'${didYouMean(name, known)}; the connectors are: ${known.join(', ')}`);
    return undefined;
  }
  for (const p of loaded.problems) if (!problems.some((q) => q.file === p.file && q.line === p.line && q.message === p.message)) problems.push(p);
  const descriptor = loaded.descriptor;
  if (!descriptor) {
    report(at, 'value', 'invalid_connector', `connector '${name}' has an invalid descriptor (${loaded.file}); see the problems reported there`);
    return undefined;
  }
  if (!descriptor.roles.includes(role)) {
    report(at, 'value', 'connector_role', `connector '${name}' cannot be a ${role}: it is a ${descriptor.roles.join(' and ')} connector`);
  }
  if (loaded.validateConnection && !loaded.validateConnection(block)) {
    problems.push(...schemaProblems(loaded.validateConnection.errors ?? [], { tree, root, base: `/${role}`, code: 'connection_schema' }));
  }
  for (const [property, value] of Object.entries(block)) {
    const pointer = `/${role}${pointerOf([property])}`;
    // A secret property holding a URL is a connection string (e.g. postgres://user:pass@host/db): the connector checks it.
    if (!isUrlProperty(property) || loaded.secrets.includes(property) || typeof value !== 'string' || tree.placeholders.has(pointer)) continue;
    for (const issue of urlIssues(value, `${role}.${property}`)) {
      problems.push({
        code: issue.code,
        file: tree.file,
        path: pointer,
        ...tree.stringPosition(pointer, issue.index),
        message: issue.message,
        severity: 'error',
      });
    }
  }
  const unset = (pointer: string) => tree.placeholders.has(`/${role}${pointer}`);
  for (const broken of brokenReferences(block, connectionReferenceRules(descriptor.settings), { isPlaceholder: unset, name: role })) {
    report(`/${role}${broken.pointer}`, 'value', 'unknown_reference', broken.message);
  }
  for (const secret of loaded.secrets) {
    if (!(secret in block)) continue;
    const pointer = `/${role}${pointerOf([secret])}`;
    const raw = tree.rawString(pointer);
    if (raw === undefined || !/^\$\{[A-Za-z_][A-Za-z0-9_]*(:-)?\}$/.test(raw)) {
      const variable = secretVariable(descriptor, name, secret);
      report(pointer, 'value', 'secret_literal', `${secret} must come from an environment variable, e.g. \${${variable}}; never write a secret in the file`);
    }
    const value = block[secret];
    if (typeof value !== 'string' || isPlaceholder(value)) continue;
    registerSecret(value);
    const tooShort = unmaskedSecretWarning(`${role}.${secret}`, value);
    if (tooShort) report(pointer, 'value', 'secret_too_short', tooShort, 'warning');
  }
  return loaded;
}

/** The variable a secret is suggested in: the descriptor's `${VAR}` example (the README's name), else CONNECTOR_PROPERTY. */
function secretVariable(descriptor: ConnectorDescriptor, connector: string, property: string): string {
  const examples = (descriptor.connection.properties[property] as { examples?: unknown[] } | undefined)?.examples ?? [];
  for (const example of examples) {
    const variable = typeof example === 'string' ? /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(example)?.[1] : undefined;
    if (variable) return variable;
  }
  return `${connector}_${property}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/**
 * A variable that holds a secret (it fills a `secret: true` connection property) used anywhere
 * else: in a mapping it would be written into every record, in an option or a lookup into logs and
 * the state. Each such use is refused where it stands, naming the secret property.
 */
function secretVariablesReused(tree: YamlTree, connectors: Partial<Record<Role, LoadedConnector>>): ConfigProblem[] {
  const secretPointers = new Set<string>();
  for (const role of ['source', 'sink'] as const)
    for (const property of connectors[role]?.secrets ?? []) secretPointers.add(`/${role}${pointerOf([property])}`);
  const references = tree.variableReferences();
  const holders = new Map<string, { pointer: string; line: number }>();
  for (const ref of references) if (secretPointers.has(ref.pointer) && !holders.has(ref.name)) holders.set(ref.name, ref);
  return references
    .filter((ref) => holders.has(ref.name) && !secretPointers.has(ref.pointer))
    .map((ref) => {
      const holder = holders.get(ref.name)!;
      return {
        code: 'secret_variable_reused',
        file: tree.file,
        path: ref.pointer,
        line: ref.line,
        column: ref.column,
        message: `\${${ref.name}} holds the secret ${humanPath(holder.pointer)} (line ${holder.line}): it cannot also be used in ${humanPath(ref.pointer)}, where it would be written into records, logs or the state; give this value a variable of its own`,
        severity: 'error' as const,
      };
    });
}

let ownTopLevelKeys: ReadonlySet<string> | undefined;

/** Top-level keys the pipeline schema itself declares; any other key must be a connector's extension. */
function ownTopLevel(): ReadonlySet<string> {
  ownTopLevelKeys ??= new Set(Object.keys((readOwnSchema('pipeline-base')['properties'] ?? {}) as Json));
  return ownTopLevelKeys;
}

function checkExtensions(root: Json, tree: YamlTree, connectors: Partial<Record<Role, LoadedConnector>>, problems: ConfigProblem[], report: Report): void {
  const declared = [...(connectors.source?.extensions ?? []), ...(connectors.sink?.extensions ?? [])];
  for (const key of Object.keys(root)) {
    if (ownTopLevel().has(key)) continue;
    const extension = declared.find((e) => e.key === key);
    if (!extension) {
      const hint = didYouMean(key, [...ownTopLevel(), ...declared.map((e) => e.key)]);
      report(
        pointerOf([key]),
        'key',
        'schema_unknown_property',
        `unknown property '${key}' in the pipeline${hint || ' (no connector of this pipeline declares it)'}`,
      );
      continue;
    }
    if (!extension.validate(root[key])) {
      problems.push(...schemaProblems(extension.validate.errors ?? [], { tree, root, base: pointerOf([key]), code: 'extension_schema' }));
    }
  }
}

function extensionsOf(root: Json): Json {
  return Object.fromEntries(Object.entries(root).filter(([key]) => !ownTopLevel().has(key)));
}

/** `limits:` over the defaults (the schema has checked each value). */
function mappingLimits(root: Json): MappingLimits {
  const given = isObject(root['limits']) ? root['limits'] : {};
  const pick = (key: string, fallback: number) => (typeof given[key] === 'number' && Number.isInteger(given[key]) ? (given[key] as number) : fallback);
  return {
    timeMs: pick('mapping_ms', DEFAULT_MAPPING_LIMITS.timeMs),
    depth: pick('mapping_depth', DEFAULT_MAPPING_LIMITS.depth),
    size: pick('mapping_size', DEFAULT_MAPPING_LIMITS.size),
    memoryMb: pick('mapping_memory_mb', DEFAULT_MAPPING_LIMITS.memoryMb),
  };
}

/** The code of the warning for a lookup file whose path holds an unset `${VAR}` (validate mode): not read. */
export const LOOKUP_FILE_UNREAD = 'lookup_file_unread';

/** The tables under `lookups:`, those kept in a file (`file:`) read here, relative to the pipeline's folder. */
async function lookupTables(root: Json, tree: YamlTree, dir: string, problems: ConfigProblem[], report: Report): Promise<Record<string, LookupTable>> {
  const tables: Record<string, LookupTable> = {};
  for (const [name, table] of Object.entries(isObject(root['lookups']) ? root['lookups'] : {})) {
    if (!isObject(table)) continue;
    const base = `/lookups${pointerOf([name])}`;
    const hasDefault = 'default' in table;
    let values: Record<string, unknown> = isObject(table['values']) ? table['values'] : {};
    let lines: ReadonlyMap<string, number> = new Map(Object.keys(values).map((key) => [key, tree.keyPosition(`${base}/values${pointerOf([key])}`).line]));
    let file: string | undefined;
    // With `values` too the schema reports the table; reading the file would add nothing.
    if (typeof table['file'] === 'string' && !('values' in table) && tree.placeholders.has(`${base}/file`)) {
      report(
        `${base}/file`,
        'value',
        LOOKUP_FILE_UNREAD,
        `lookup table '${name}': its file names a variable that is not set here, so the file was not read nor checked (set the variable to check it; ledgersync test needs its rows)`,
        'warning',
      );
    } else if (typeof table['file'] === 'string' && !('values' in table)) {
      file = resolve(dir, table['file']);
      const read = await readLookupFile({
        path: file,
        ...(isFormat(table['format']) ? { format: table['format'] } : {}),
        ...(typeof table['key_column'] === 'string' ? { keyColumn: table['key_column'] } : {}),
        ...(isColumns(table['value_column']) ? { valueColumn: table['value_column'] } : {}),
        ...(typeof table['delimiter'] === 'string' ? { delimiter: table['delimiter'] } : {}),
      });
      if (read.fileIssue) {
        const hint = read.fileIssue.code === 'lookup_file_unreadable' && !existsSync(file) ? missingFileHint(table['file'], dir) : '';
        report(`${base}/file`, 'value', read.fileIssue.code, `lookup table '${name}': ${read.fileIssue.message}${hint}`);
      } else if (isAbsolute(table['file'])) {
        report(
          `${base}/file`,
          'value',
          'lookup_file_absolute',
          `lookup table '${name}': ${table['file']} is an absolute path, which other machines (CI) will not have: give it relative to the pipeline's folder`,
          'warning',
        );
      }
      problems.push(...read.problems);
      values = read.values ?? {};
      lines = read.lines ?? new Map();
    }
    tables[name] = {
      name,
      description: typeof table['description'] === 'string' ? table['description'] : '',
      values,
      ...(hasDefault ? { default: table['default'] } : {}),
      hasDefault,
      position: position(tree, tree.keyPosition(base)),
      ...(file !== undefined ? { file } : {}),
      lines,
      ...(hasDefault ? { defaultLine: tree.keyPosition(`${base}/default`).line } : {}),
      ...(typeof table['references'] === 'string' ? { references: table['references'] } : {}),
    };
  }
  return tables;
}

/**
 * `lookups.<name>.references` and `option_references:` name kinds the sink declares (descriptor
 * `references.kinds`), and option references name options the pipeline sets. Returns the option
 * references.
 */
function checkReferenceKinds(root: Json, sink: ConnectorDescriptor | undefined, report: Report): Record<string, string> {
  const declaredKinds = Object.entries(sink?.references?.kinds ?? {});
  const kinds = declaredKinds.map(([kind]) => kind);
  const checkKind = (pointer: string, kind: unknown) => {
    if (typeof kind !== 'string' || !sink || kinds.includes(kind)) return;
    const offered = kinds.length
      ? `${didYouMean(kind, kinds)}: use one of ${declaredKinds.map(([name, what]) => `${name} (${what})`).join(', ')}`
      : ' (it declares none)';
    report(pointer, 'value', 'unknown_reference_kind', `'${kind}' is not a kind of reference the ${sink.name} sink can check${offered}`);
  };
  for (const [name, table] of Object.entries(isObject(root['lookups']) ? root['lookups'] : {})) {
    if (isObject(table) && 'references' in table) checkKind(`/lookups${pointerOf([name, 'references'])}`, table['references']);
  }
  const declared = isObject(root['option_references']) ? root['option_references'] : {};
  const options = isObject(root['options']) ? root['options'] : {};
  const out: Record<string, string> = {};
  for (const [option, kind] of Object.entries(declared)) {
    const pointer = `/option_references${pointerOf([option])}`;
    if (!(option in options)) {
      report(
        pointer,
        'key',
        'unknown_option',
        `option_references names option '${option}', which is not under options:${didYouMean(option, Object.keys(options))}`,
      );
      continue;
    }
    checkKind(pointer, kind);
    if (typeof kind === 'string') out[option] = kind;
  }
  return out;
}

function isFormat(value: unknown): value is LookupFileFormat {
  return value === 'csv' || value === 'json' || value === 'jsonl';
}

function isColumns(value: unknown): value is string | string[] {
  return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
}

function position(tree: YamlTree, at: { line: number; column: number }): SourcePosition {
  return { file: tree.file, line: at.line, column: at.column };
}

function problemAtStart(file: string, code: string, message: string): ConfigProblem {
  return { code, file, path: '', line: 1, column: 1, message, severity: 'error' };
}

/** Problems of the pipeline file first, in file order; then those of other files (descriptors). */
function sortProblems(problems: ConfigProblem[], file: string): ConfigProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => {
      const fa = a.p.file === file ? 0 : 1;
      const fb = b.p.file === file ? 0 : 1;
      return fa - fb || a.p.file.localeCompare(b.p.file) || a.p.line - b.p.line || a.p.column - b.p.column || a.i - b.i;
    })
    .map(({ p }) => p);
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The stream with the pipeline's start_date on the field its endpoint is filtered by, when it has one. */
function withStartDate(stream: StreamPlan, source: ConnectorDescriptor, seconds: number, timezone: string): StreamPlan {
  const endpoint = source.endpoints?.[stream.endpoint];
  const field = endpoint?.start_date_field;
  if (field === undefined) return stream;
  // A date written as text is a day: compared with start_date's day in the pipeline's timezone.
  const text = endpoint?.start_date_format === 'MM/DD/YYYY' ? { format: 'MM/DD/YYYY' as const, day: isoDate(seconds, timezone) } : {};
  return { ...stream, startsAt: { field, seconds, ...text } };
}
