/**
 * The editor's pipeline schema, composed from the engine's own pipeline schema and the connector
 * descriptors: per connector, the `source:` / `sink:` options (types, enums, required, secrets
 * only as `${VAR}`), the endpoint names of each source connector, the object names of each sink,
 * and unknown keys refused wherever `validate` refuses them. What only `validate` can check
 * (JSONata, lookup files, references between streams, names a pipeline declares itself such as a
 * sql sink's tables) stays with `validate`.
 */
import type { ConnectorDescriptor } from '../connector/descriptor.js';
import { connectionSchema, declaredExtensions } from './descriptors.js';
import { timezoneAbbreviationProblem } from './time.js';
import { isUrlProperty } from './urls.js';
import { isValidTimezone } from '../transform/dates.js';

type Json = Record<string, unknown>;

export interface EditorSchemaInput {
  /** `schemas/pipeline-base.schema.json`: what every pipeline has, whatever its connectors. */
  base: Json;
  descriptors: readonly ConnectorDescriptor[];
  /** Each connector's pipeline extension schemas, by connector name and top-level key. */
  extensions: Readonly<Record<string, Readonly<Record<string, Json>>>>;
  /** IANA zone names offered for `timezone`. */
  timezones: readonly string[];
}

/** `${VAR}` or `${VAR:-default}` anywhere in a string: the value is only known at run time. */
export const PLACEHOLDER_PATTERN = '\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}';
/** What `validate` accepts for a secret: one variable, with at most an empty default. */
export const SECRET_PATTERN = '^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-)?\\}$';

/**
 * What `validate` accepts as a connection URL: empty (the default), or http(s) with no user:password@,
 * no ?query and no #fragment (engine/config/urls.ts).
 */
export const URL_PATTERN = '^\\s*(https?://[^\\s/?#@]+(/[^\\s?#]*)?)?\\s*$';

const placeholder: Json = {
  type: 'string',
  pattern: PLACEHOLDER_PATTERN,
  description: 'A `${VAR}` read from the environment when the pipeline runs.',
};

/** Structural names `${VAR}` must not stand for (the state is scoped by them). */
const NOT_WIDENED = new Set(['version', 'name', 'connector']);

/** A JSON Schema `if`/`then`: the rules of `consequence` apply where `condition` holds. */
function when(condition: Json, consequence: Json): Json {
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keywords, not a thenable
  return { if: condition, then: consequence };
}

/** `realm_id` → `Realm id`. */
function titleOf(key: string): string {
  const words = key.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * A scalar property whose type, enum or pattern a `${VAR}` could not meet also accepts one, as
 * `validate` does (it checks the value after interpolation).
 */
function widen(key: string, schema: Json): Json {
  if (NOT_WIDENED.has(key) || 'anyOf' in schema || 'oneOf' in schema) return schema;
  const types = Array.isArray(schema['type']) ? (schema['type'] as string[]) : [schema['type']];
  const scalar = types.some((t) => t === 'integer' || t === 'number' || t === 'boolean');
  const constrainedString = 'enum' in schema || 'pattern' in schema;
  if (!scalar && !constrainedString) return schema;
  const { title, description, examples, default: fallback, ...rule } = schema;
  return {
    ...(title !== undefined ? { title } : {}),
    ...(description !== undefined ? { description } : {}),
    anyOf: [rule, placeholder],
    ...(fallback !== undefined ? { default: fallback } : {}),
    ...(examples !== undefined ? { examples } : {}),
  };
}

/** Applies `widen` to every property of every object schema below `node`. */
function widenAll(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(widenAll);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value as Json).map(([name, schema]) => [name, widen(name, widenAll(schema) as Json)]));
    } else {
      out[key] = widenAll(value);
    }
  }
  return out;
}

/** The connection block of one connector: its descriptor's properties, titled, secrets only as `${VAR}`. */
function connectionOf(descriptor: ConnectorDescriptor, common: Json): Json {
  const generated = connectionSchema(descriptor);
  const properties: Json = {};
  for (const [key, raw] of Object.entries(descriptor.connection.properties)) {
    const { secret, shapes_payload: _shapesPayload, ...schema } = raw;
    const titled = addTitles({ title: titleOf(key), ...schema }) as Json;
    if (secret === true) {
      properties[key] = {
        title: titled['title'],
        description: `${String(schema.description).trim()} A secret: only as \`\${VAR}\` (or \`\${VAR:-}\`); a value written in the file is refused.`,
        type: 'string',
        pattern: SECRET_PATTERN,
        ...(schema['examples'] !== undefined ? { examples: schema['examples'] } : {}),
      };
    } else if (isUrlProperty(key) && titled['type'] === 'string' && !('pattern' in titled)) {
      properties[key] = widen(key, { ...titled, pattern: URL_PATTERN });
    } else {
      properties[key] = widen(key, widenAll(titled) as Json);
    }
  }
  return {
    title: descriptor.title,
    description: String(descriptor.description).trim(),
    type: 'object',
    properties: {
      connector: { title: 'Connector', description: `${descriptor.title}.`, const: descriptor.name },
      ...common,
      ...properties,
    },
    required: generated['required'],
    additionalProperties: false,
  };
}

const connectorIs = (role: 'source' | 'sink', names: readonly string[]): Json => ({
  type: 'object',
  properties: {
    [role]: {
      title: role === 'source' ? 'Source connection' : 'Sink connection',
      description: `Must use ${names.join(' or ')}.`,
      type: 'object',
      properties: {
        connector: { title: 'Connector', description: `One of: ${names.join(', ')}.`, ...(names.length === 1 ? { const: names[0] } : { enum: [...names] }) },
      },
      required: ['connector'],
    },
  },
  required: [role],
});

/** Every property of every `properties` map below `node` gets a title (from its name) if it has none. */
function addTitles(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(addTitles);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(
        Object.entries(value as Json).map(([name, schema]) => {
          const titled = addTitles(schema) as Json;
          return [name, typeof titled === 'object' && titled !== null && !('title' in titled) ? { title: titleOf(name), ...titled } : titled];
        }),
      );
    } else {
      out[key] = addTitles(value);
    }
  }
  return out;
}

/** `{streams: [{<stream rule>}]}`: a rule on every stream of the pipeline. */
const everyStream = (stream: Json): Json => ({
  type: 'object',
  properties: { streams: { title: 'Streams', description: 'What to sync, in order.', type: 'array', items: { type: 'object', ...stream } } },
});

/** The `source:` or `sink:` block: the connector names of that role, and each connector's own options. */
function roleSchema(role: 'source' | 'sink', descriptors: readonly ConnectorDescriptor[], base: Json): Json {
  const connectors = descriptors.filter((d) => d.roles.includes(role));
  const baseRole = (base['properties'] as Json)[role] as Json;
  return {
    title: baseRole['title'],
    description: baseRole['description'],
    type: 'object',
    required: ['connector'],
    properties: {
      connector: {
        title: 'Connector',
        description: `The connector to ${role === 'source' ? 'read from' : 'write to'}: ${connectors.map((d) => `\`${d.name}\` (${d.title})`).join(', ')}.`,
        enum: connectors.map((d) => d.name),
      },
    },
    allOf: connectors.map((d) =>
      when({ type: 'object', properties: { connector: { const: d.name } }, required: ['connector'] }, { $ref: `#/definitions/${role}.${d.name}` }),
    ),
  };
}

/** For each source connector its endpoint names; for each sink with declared objects, their names. */
function streamRules(descriptors: readonly ConnectorDescriptor[]): Json[] {
  const rules: Json[] = [];
  for (const d of descriptors) {
    const endpoints = Object.keys(d.endpoints ?? {});
    if (d.roles.includes('source') && endpoints.length) {
      rules.push(
        when(
          connectorIs('source', [d.name]),
          everyStream({
            properties: { endpoint: { title: 'Source endpoint', description: `An endpoint of ${d.title}: ${endpoints.join(', ')}.`, enum: endpoints } },
          }),
        ),
      );
    }
    const objects = Object.keys(d.objects ?? {});
    if (d.roles.includes('sink') && objects.length) {
      const limits = Object.entries(d.objects ?? {}).flatMap(([object, o]) =>
        o.max_batch === undefined
          ? []
          : [
              when(
                {
                  type: 'object',
                  properties: { target: { type: 'object', properties: { object: { const: object } }, required: ['object'] } },
                  required: ['target'],
                },
                {
                  properties: {
                    batch_size: {
                      title: 'Batch size',
                      description: `${d.title} takes at most ${o.max_batch} ${object} records a write.`,
                      type: ['integer', 'string'],
                      maximum: o.max_batch,
                    },
                  },
                },
              ),
            ],
      );
      rules.push(
        when(
          connectorIs('sink', [d.name]),
          everyStream({
            ...(limits.length ? { allOf: limits } : {}),
            properties: {
              target: {
                title: 'Target',
                description: 'Where mapped records go in the sink.',
                type: 'object',
                properties: { object: { title: 'Target object', description: `An object ${d.title} writes: ${objects.join(', ')}.`, enum: objects } },
              },
            },
          }),
        ),
      );
    }
  }
  return rules;
}

/** A pipeline extension (`revenue_recognition:`) is only for pipelines whose source or sink declares it. */
function extensionRules(descriptors: readonly ConnectorDescriptor[]): { properties: Json; rules: Json[] } {
  const properties: Json = {};
  const owners = new Map<string, ConnectorDescriptor[]>();
  for (const d of descriptors) for (const key of Object.keys(declaredExtensions(d))) owners.set(key, [...(owners.get(key) ?? []), d]);
  const rules: Json[] = [];
  for (const [key, declaring] of [...owners].sort(([a], [b]) => a.localeCompare(b))) {
    properties[key] = { $ref: `#/definitions/extension.${key}` };
    const sources = declaring.filter((d) => d.roles.includes('source')).map((d) => d.name);
    const sinks = declaring.filter((d) => d.roles.includes('sink')).map((d) => d.name);
    const either = [...(sources.length ? [connectorIs('source', sources)] : []), ...(sinks.length ? [connectorIs('sink', sinks)] : [])];
    rules.push(when({ type: 'object', properties: { [key]: true }, required: [key] }, either.length === 1 ? either[0]! : { anyOf: either }));
  }
  return { properties, rules };
}

function extensionDefinitions(input: EditorSchemaInput): Json {
  const definitions: Json = {};
  for (const d of input.descriptors) {
    for (const key of Object.keys(declaredExtensions(d))) {
      const schema = input.extensions[d.name]?.[key];
      if (!schema) continue;
      const { $schema: _schema, $id: _id, ...rest } = schema;
      definitions[`extension.${key}`] = {
        ...(addTitles(rest) as Json),
        title: rest['title'] === key || rest['title'] === undefined ? titleOf(key) : rest['title'],
        description: `${String(rest['description'] ?? '').trim()} Declared by the ${d.title} connector.`.trim(),
      };
    }
  }
  return definitions;
}

export function composeEditorSchema(input: EditorSchemaInput): Json {
  const descriptors = [...input.descriptors].sort((a, b) => a.name.localeCompare(b.name));
  const base = widenAll(input.base) as Json;
  const baseProperties = base['properties'] as Json;
  const baseDefinitions = base['definitions'] as Json;
  const common = ((baseDefinitions['connection'] as Json)['properties'] ?? {}) as Json;
  const { connector: _connector, ...commonOptions } = common;
  // Every connector's block takes the same overrides: defined once, referred to from each.
  const sharedOptions = Object.fromEntries(Object.keys(commonOptions).map((key) => [key, { $ref: `#/definitions/connection.${key}` }]));
  const { properties: extensionProperties, rules: extensionOnly } = extensionRules(descriptors);
  const timezone = baseProperties['timezone'] as Json;
  const definitions: Json = { ...baseDefinitions };
  delete definitions['connection'];
  for (const role of ['source', 'sink'] as const) {
    for (const d of descriptors.filter((x) => x.roles.includes(role))) definitions[`${role}.${d.name}`] = connectionOf(d, sharedOptions);
  }
  for (const [key, schema] of Object.entries(commonOptions)) definitions[`connection.${key}`] = schema;
  Object.assign(definitions, extensionDefinitions({ ...input, descriptors }));
  return {
    $schema: base['$schema'],
    $id: 'https://ledgersync.dev/schemas/pipeline.schema.json',
    title: 'ledgersync pipeline',
    description:
      'One pipeline per customer: where data comes from (`source`), where it goes (`sink`), and how each stream of source records becomes target records (JSONata mappings, lookup tables, options). Put `# yaml-language-server: $schema=../../schemas/pipeline.schema.json` on the first line for editor help. Any string may use `${VAR}` or `${VAR:-default}` to read the environment; secrets must. Generated from schemas/pipeline-base.schema.json and connectors/*/connector.yaml by `npm run schemas`: edit those, not this file.',
    type: 'object',
    required: base['required'],
    properties: {
      ...baseProperties,
      timezone: {
        title: timezone['title'],
        description: `${String(timezone['description'])} An IANA zone name (a region, not an abbreviation such as EST or CET).`,
        anyOf: [{ type: 'string', enum: [...input.timezones] }, placeholder],
        default: timezone['default'],
        examples: timezone['examples'],
      },
      source: { $ref: '#/definitions/source' },
      sink: { $ref: '#/definitions/sink' },
      ...extensionProperties,
    },
    additionalProperties: false,
    allOf: [...streamRules(descriptors), ...extensionOnly],
    definitions: { source: roleSchema('source', descriptors, input.base), sink: roleSchema('sink', descriptors, input.base), ...definitions },
  };
}

/**
 * Zone names `validate` accepts, as the editor offers them: the runtime's IANA list, plus the
 * current names of renamed zones the runtime lists under their old name, and UTC.
 */
export function editorTimezones(): string[] {
  const current = [
    'UTC',
    'Etc/UTC',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Asia/Ho_Chi_Minh',
    'Asia/Yangon',
    'Europe/Kyiv',
    'America/Nuuk',
    'Atlantic/Faroe',
    'Pacific/Kanton',
    'America/Argentina/Buenos_Aires',
    ...Array.from({ length: 14 }, (_, i) => `Etc/GMT+${i + 1}`).filter((z) => z !== 'Etc/GMT+13' && z !== 'Etc/GMT+14'),
    ...Array.from({ length: 14 }, (_, i) => `Etc/GMT-${i + 1}`),
  ];
  const names = new Set([...Intl.supportedValuesOf('timeZone'), ...current]);
  return [...names].filter((z) => isValidTimezone(z) && !timezoneAbbreviationProblem(z)).sort();
}
