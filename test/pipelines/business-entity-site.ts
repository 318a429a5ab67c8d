/**
 * A fake Chargebee site with business entities (business_entity_id on customers, invoices, credit
 * notes and transactions, as chargebee-node's resource types declare it), for the tests that run
 * one copy of an example pipeline per entity over it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeChargebee } from '../fakes/chargebee/index.js';
import { ROOT } from '../e2e/helpers.js';

export const DOCUMENTS = ['invoices', 'credit_notes', 'transactions'] as const;

/**
 * Puts each customer of the site (by its index) and all its documents in the business entity
 * `entityOf` names, or in none when it answers undefined; answers customer id → entity.
 */
export function assignEntities(cb: FakeChargebee, entityOf: (index: number, customerId: string) => string | undefined): Map<string, string | undefined> {
  const byCustomer = new Map<string, string | undefined>();
  cb.state.all('customers').forEach((c, i) => {
    const entity = entityOf(i, c.id);
    byCustomer.set(c.id, entity);
    if (entity) cb.state.insertSeeded('customers', { ...c, business_entity_id: entity } as never);
  });
  for (const resource of DOCUMENTS) {
    for (const r of cb.state.all(resource)) {
      const entity = byCustomer.get(String((r as { customer_id?: string }).customer_id));
      if (entity) cb.state.insertSeeded(resource, { ...r, business_entity_id: entity } as never);
    }
  }
  return byCustomer;
}

/** The ids of the site's records of `resource` in `entity` (deleted ones too unless `live`). */
export function idsOf(cb: FakeChargebee, resource: 'customers' | (typeof DOCUMENTS)[number], entity: string, live = false): Set<string> {
  return new Set(
    (cb.state.all(resource) as unknown as Array<{ id: string; business_entity_id?: string; deleted?: boolean }>)
      .filter((r) => r.business_entity_id === entity && !(live && r.deleted))
      .map((r) => r.id),
  );
}

/** A copy of the example in `dir` for one business entity: its own pipeline name and options.business_entity_id. */
export function entityPipelineCopy(dir: string, example: string, entity: string, edit: (text: string) => string = (t) => t): string {
  const text = readFileSync(join(ROOT, 'pipelines/examples', `${example}.yaml`), 'utf8');
  const name = `name: ${example}\n`;
  const option = '  business_entity_id: ""\n';
  if (!text.includes(name) || !text.includes(option)) throw new Error(`${example}.yaml has no ${JSON.stringify(name)} or ${JSON.stringify(option)}`);
  const path = join(dir, `${example}-${entity}.yaml`);
  writeFileSync(path, edit(text.replace(name, `name: ${example}-${entity}\n`).replace(option, `  business_entity_id: ${entity}\n`)));
  return path;
}
