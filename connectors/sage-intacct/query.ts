/**
 * readByQuery as Sage Intacct's SDK writes it (intacct-sdk-js): values quoted with a quote inside
 * escaped as \' (`InArrayString`, whose test expects `VENDORNAME IN ('bob\'s pizza')`), and at
 * most 1000 rows a page (`ReadByQuery.MAX_PAGE_SIZE`: "Page Size cannot be greater than 1000").
 */
import { LedgersyncError } from '../../engine/errors.js';

export const READ_BY_QUERY_MAX_PAGE_SIZE = 1000;

/** A value of a query condition, quoted. Every quote is escaped (the JS SDK's `replace` escapes only the first; the PHP SDK's str_replace all). */
export function quoteQueryValue(value: string): string {
  return `'${value.replace(/'/g, "\\'")}'`;
}

/** Values in one `IN` list of a look-up: a batch is looked up one readByQuery per this many records. */
export const IN_LIST_MAX = 100;

/** `FIELD IN ('a','b')`. */
export function inList(field: string, values: readonly string[]): string {
  return `${field} IN (${values.map(quoteQueryValue).join(',')})`;
}

/** Refuses a page size readByQuery does not accept, before any request. */
export function checkPageSize(pageSize: number, where: string): number {
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > READ_BY_QUERY_MAX_PAGE_SIZE) {
    throw new LedgersyncError('intacct_page_size', 'config', `${where}: page size ${pageSize} is not between 1 and ${READ_BY_QUERY_MAX_PAGE_SIZE}`, {
      fix: `set page_size to at most ${READ_BY_QUERY_MAX_PAGE_SIZE}: Sage Intacct's readByQuery returns no more a page`,
    });
  }
  return pageSize;
}
