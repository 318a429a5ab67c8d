/**
 * Derives `connectors/acumatica/contract.json` from Acumatica's own OpenAPI file of the endpoint
 * (test/fixtures/vendor/acumatica/, MIT): the fields of every entity the connector writes, with each
 * field's value type, detail collections and linked entities, and the actions of the top-level
 * entities. The connector wraps plain mapped values with it; contract.test.ts keeps the two equal.
 */
import { loadContractSchema } from '../../fakes/acumatica/openapi.js';

/** Top-level entities the connector writes (and so must know field by field). */
export const WRITTEN_ENTITIES = ['Customer', 'Invoice', 'Payment', 'JournalTransaction'] as const;

export type DerivedField = string | { linked: string } | { detail: string };

export interface DerivedContract {
  $comment: string;
  endpoint: string;
  topLevel: Record<string, { actions: string[] }>;
  schemas: Record<string, Record<string, DerivedField>>;
}

export function deriveContract(): DerivedContract {
  const contract = loadContractSchema();
  const schemas: Record<string, Record<string, DerivedField>> = {};
  const walk = (name: string): void => {
    if (schemas[name]) return;
    const entity = contract.entity(name);
    if (!entity) throw new Error(`the OpenAPI file has no entity schema ${name}`);
    const fields: Record<string, DerivedField> = {};
    schemas[name] = fields;
    for (const [field, spec] of entity.fields) {
      if (spec.kind === 'value') fields[field] = spec.type.replace(/Value$/, '');
      else {
        fields[field] = spec.kind === 'linked' ? { linked: spec.schema } : { detail: spec.schema };
        walk(spec.schema);
      }
    }
  };
  for (const name of WRITTEN_ENTITIES) walk(name);
  const sorted = Object.fromEntries(
    Object.keys(schemas)
      .sort()
      .map((name) => [name, schemas[name]!]),
  );
  return {
    $comment:
      "Derived from Acumatica's OpenAPI description of Default/24.200.001 (AcumaticaRESTAPIClientForCSharp, MIT; copy and licence in test/fixtures/vendor/acumatica/). Regenerate: LEDGERSYNC_WRITE_CONTRACT=1 npx vitest run test/connectors/acumatica/contract.test.ts",
    endpoint: 'Default/24.200.001',
    topLevel: Object.fromEntries(WRITTEN_ENTITIES.map((name) => [name, { actions: contract.actionsOf(name).sort() }])),
    schemas: sorted,
  };
}
