/**
 * `ledgersync check` against a Sage Intacct company: each kind of master data (the descriptor's
 * `references.kinds`) is read with one readByQuery on its object by its id field, `IN (…)` 100 ids
 * at a time, all kinds in one request; a record whose STATUS is not `active` is reported inactive.
 */
import type { ReferenceAnswer, ReferenceQuery } from '../../engine/connector/types.js';
import { readByQuery, type IntacctGateway } from './gateway.js';
import { READ_BY_QUERY_MAX_PAGE_SIZE, inList } from './query.js';

/** Object and id field of each kind of reference, as Intacct's object API names them. */
export const REFERENCE_OBJECTS: Readonly<Record<string, { object: string; idField: string }>> = {
  GLACCOUNT: { object: 'GLACCOUNT', idField: 'ACCOUNTNO' },
  LOCATION: { object: 'LOCATION', idField: 'LOCATIONID' },
  DEPARTMENT: { object: 'DEPARTMENT', idField: 'DEPARTMENTID' },
  PROJECT: { object: 'PROJECT', idField: 'PROJECTID' },
  CLASS: { object: 'CLASS', idField: 'CLASSID' },
  EMPLOYEE: { object: 'EMPLOYEE', idField: 'EMPLOYEEID' },
  ITEM: { object: 'ITEM', idField: 'ITEMID' },
  VENDOR: { object: 'VENDOR', idField: 'VENDORID' },
  CHECKINGACCOUNT: { object: 'CHECKINGACCOUNT', idField: 'BANKACCOUNTID' },
  TAXDETAIL: { object: 'TAXDETAIL', idField: 'DETAILID' },
  REVRECTEMPLATE: { object: 'REVRECTEMPLATE', idField: 'TEMPLATEID' },
  ARTERM: { object: 'ARTERM', idField: 'NAME' },
};

const CHUNK = 100;

export async function checkIntacctReferences(gateway: IntacctGateway, queries: readonly ReferenceQuery[]): Promise<ReferenceAnswer[][]> {
  const reads: Array<{ kind: string; ids: string[] }> = [];
  for (const query of queries) {
    if (!REFERENCE_OBJECTS[query.kind]) continue;
    const ids = [...new Set(query.values)];
    for (let i = 0; i < ids.length; i += CHUNK) reads.push({ kind: query.kind, ids: ids.slice(i, i + CHUNK) });
  }
  const found = new Map<string, Map<string, string>>();
  if (reads.length) {
    const functions = reads.map(({ kind, ids }, i) => {
      const { object, idField } = REFERENCE_OBJECTS[kind]!;
      return readByQuery(object, inList(idField, ids), `${idField},STATUS`, READ_BY_QUERY_MAX_PAGE_SIZE, `check-${i}`);
    });
    const results = await gateway.execute(functions);
    reads.forEach(({ kind }, i) => {
      const { object, idField } = REFERENCE_OBJECTS[kind]!;
      const page = gateway.readOrThrow(results[i]!, object, String(functions[i]!.body['query']));
      const statuses = found.get(kind) ?? new Map<string, string>();
      for (const row of page.rows) statuses.set(row[idField] ?? '', (row['STATUS'] ?? '').toLowerCase());
      found.set(kind, statuses);
    });
  }
  return queries.map((query) => {
    const spec = REFERENCE_OBJECTS[query.kind];
    return query.values.map((value): ReferenceAnswer => {
      if (!spec) return { value, status: 'unknown', answer: `Sage Intacct cannot be asked about a ${query.kind}` };
      const status = found.get(query.kind)?.get(value);
      if (status === undefined) return { value, status: 'missing', answer: `Sage Intacct has no ${spec.object} with ${spec.idField} ${value}` };
      if (status !== 'active') return { value, status: 'inactive', answer: `${spec.object} ${value} is ${status || 'not active'} in Sage Intacct` };
      return { value, status: 'ok', answer: `${spec.object} ${value}` };
    });
  });
}
