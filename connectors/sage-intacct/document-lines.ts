/**
 * How many lines each document to update holds in Intacct: update_invoice replaces a line it holds
 * by its number and adds one it does not, so the sink counts them first, for every invoice of a
 * batch in one request (one readByQuery of ARINVOICEITEM per IN_LIST_MAX invoices, by RECORDKEY).
 */
import type { IntacctGateway } from './gateway.js';
import { readByQuery } from './gateway.js';
import { IN_LIST_MAX, READ_BY_QUERY_MAX_PAGE_SIZE, inList } from './query.js';
import type { GatewayFunction } from './xml.js';

export interface LinesSource {
  /** The line object (ARINVOICEITEM). */
  object: string;
  /** Its field holding the document's RECORDNO (RECORDKEY). */
  documentField: string;
}

/**
 * Lines per document RECORDNO; a document none of whose lines was found is absent. Entries Intacct
 * derives from a line (its tax entries: LINEITEM `F`) are not lines update_invoice numbers.
 */
export async function countDocumentLines(gateway: IntacctGateway, source: LinesSource, recordNos: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const unique = [...new Set(recordNos)];
  if (!unique.length) return counts;
  const queries: GatewayFunction[] = [];
  for (let i = 0; i < unique.length; i += IN_LIST_MAX) {
    const slice = unique.slice(i, i + IN_LIST_MAX);
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
  const seen = new Set<string>();
  for (const rows of await gateway.readAll(queries)) {
    for (const row of rows) {
      if (row['LINEITEM'] === 'F' || seen.has(row['RECORDNO'] ?? '')) continue;
      seen.add(row['RECORDNO'] ?? '');
      const document = row[source.documentField] ?? '';
      counts.set(document, (counts.get(document) ?? 0) + 1);
    }
  }
  return counts;
}
