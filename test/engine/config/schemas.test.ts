/** The schemas are also the documentation: every property says what it is. */
import { describe, expect, it } from 'vitest';
import { readOwnSchema } from '../../../engine/config/ajv.js';

type Schema = Record<string, unknown>;

/** Paths of properties (in `properties` maps) lacking a title or a description, following local `$ref`s. */
function undocumented(root: Schema): string[] {
  const resolve = (schema: Schema): Schema => {
    const ref = schema['$ref'];
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
    const target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((node, key) => (node as Schema | undefined)?.[key], root) as Schema;
    return { ...target, ...schema };
  };
  const walk = (schema: unknown, path: string): string[] => {
    if (schema === null || typeof schema !== 'object') return [];
    if (Array.isArray(schema)) return schema.flatMap((s, i) => walk(s, `${path}/${i}`));
    const out: string[] = [];
    for (const [key, value] of Object.entries(schema as Schema)) {
      // An `if` only selects which rules apply (the editor schema's connector conditions); it documents nothing.
      if (key === 'examples' || key === 'default' || key === 'const' || key === 'enum' || key === 'if') continue;
      if (key === 'properties' && value && typeof value === 'object') {
        for (const [name, property] of Object.entries(value as Schema)) {
          const p = resolve(property as Schema);
          if (typeof p['title'] !== 'string' || typeof p['description'] !== 'string') out.push(`${path}/properties/${name}`);
          out.push(...walk(property, `${path}/properties/${name}`));
        }
        continue;
      }
      out.push(...walk(value, `${path}/${key}`));
    }
    return out;
  };
  return walk(root, '#');
}

/** Every `oneOf` branch of an object union closes its properties, so a half-written block is rejected. */
function openUnions(schema: unknown, path = '#'): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  if (Array.isArray(schema)) return schema.flatMap((s, i) => openUnions(s, `${path}/${i}`));
  const s = schema as Schema;
  const here = Array.isArray(s['oneOf'])
    ? (s['oneOf'] as Schema[]).flatMap((branch, i) => (branch['additionalProperties'] === false ? [] : [`${path}/oneOf/${i}`]))
    : [];
  return [...here, ...Object.entries(s).flatMap(([k, v]) => openUnions(v, `${path}/${k}`))];
}

describe.each(['pipeline', 'pipeline-base', 'connector', 'mapping-cases'] as const)('schemas/%s.schema.json', (name) => {
  const schema = readOwnSchema(name);

  it('gives every property a title and a description', () => {
    expect(undocumented(schema)).toEqual([]);
  });

  it('closes every branch of its tagged unions', () => {
    expect(openUnions(schema)).toEqual([]);
  });
});

describe('tagged unions of the connector schema', () => {
  it('tags auth and paging variants with a type const, as engine/connector/descriptor.ts does', () => {
    const definitions = readOwnSchema('connector')['definitions'] as Record<string, { oneOf: Array<{ properties: { type: { const: string } } }> }>;
    const tags = (name: string) => definitions[name]?.oneOf.map((b) => b.properties.type.const);
    expect(tags('auth')).toEqual(['none', 'basic', 'api_key_header', 'bearer', 'oauth2_refresh_token', 'session']);
    expect(tags('paging')).toEqual(['offset_token', 'top_skip', 'limit_offset', 'none']);
  });
});
