/**
 * How many lines each document to update holds in Intacct: update_invoice replaces a line it holds
 * by its number and adds one it does not, so the sink counts them first, for every invoice of a
 * batch in one request (one readByQuery of ARINVOICEITEM per 100 invoices, by RECORDKEY).
 */
import type { IntacctGateway } from './gateway.js';
import { readByQuery } from './gateway.js';
import { READ_BY_QUERY_MAX_PAGE_SIZE, inList } from './query.js';
import type { FunctionResult, GatewayFunction } from './xml.js';

export interface LinesSource {
  /** The line object (ARINVOICEITEM). */
  object: string;
  /** Its field holding the document's RECORDNO (RECORDKEY). */
  documentField: string;
}

const PER_QUERY = 100;

/**
 * Lines per document RECORDNO; a document none of whose lines was found is absent. Entries Intacct
 * derives from a line (its tax entries: LINEITEM `F`) are not lines update_invoice numbers.
 */
export async function countDocumentLines(gateway: IntacctGateway, source: LinesSource, recordNos: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const unique = [...new Set(recordNos)];
  if (!unique.length) return counts;
  const queries: GatewayFunction[] = [];
  for (let i = 0; i < unique.length; i += PER_QUERY) {
    const slice = unique.slice(i, i + PER_QUERY);
    queries.push(
      readByQuery(
        source.object,
        inList(source.documentField, slice),
        `RECORDNO,${source.documentField},LINEITEM`,
        READ_BY_QUERY_MAX_PAGE_SIZE,
        `lines-${queries.length}`,
      ),
    );
  }
  const answers = await gateway.execute(queries);
  const seen = new Set<string>();
  for (const [i, fn] of queries.entries()) {
    for (const row of await allRows(gateway, fn, answers[i]!)) {
      if (row['LINEITEM'] === 'F' || seen.has(row['RECORDNO'] ?? '')) continue;
      seen.add(row['RECORDNO'] ?? '');
      const document = row[source.documentField] ?? '';
      counts.set(document, (counts.get(document) ?? 0) + 1);
    }
  }
  return counts;
}

/** Every row of a readByQuery answer, following its result set with readMore. */
async function allRows(gateway: IntacctGateway, fn: GatewayFunction, result: FunctionResult): Promise<Record<string, string>[]> {
  const object = String(fn.body['object']);
  const query = String(fn.body['query']);
  let page = gateway.readOrThrow(result, object, query);
  const rows = [...page.rows];
  while (page.numRemaining > 0 && page.resultId) {
    const [more] = await gateway.execute([{ controlId: 'more', name: 'readMore', body: { resultId: page.resultId } }]);
    page = gateway.readOrThrow(more!, object, query);
    rows.push(...page.rows);
  }
  return rows;
}
