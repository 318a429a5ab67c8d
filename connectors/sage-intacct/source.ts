/**
 * Sage Intacct as a source: readByQuery on an object changed since the checkpoint
 * (WHENMODIFIED), paged with readMore. readByQuery cannot sort, so the checkpoint (the latest
 * WHENMODIFIED seen) moves only once the result set has been read to the end. With a start date,
 * an endpoint's `start_date_field` (a document date) is bounded by it on every read.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { isoDate } from '../../engine/transform/dates.js';
import type { EndpointDescriptor } from '../../engine/connector/descriptor.js';
import type { Source, SourceContext, SourcePage, SourceRecord, StreamReadRequest } from '../../engine/connector/types.js';
import type { IntacctGateway } from './gateway.js';
import { checkPageSize, inList, quoteQueryValue } from './query.js';

export interface IntacctCheckpoint {
  /** Unix seconds of the latest WHENMODIFIED read. */
  modified_after: number;
}

/** `MM/DD/YYYY HH:MM:SS` (the object API's timestamps, read as UTC) → unix seconds. */
export function parseIntacctTimestamp(value: string): number | undefined {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})(?: (\d{2}):(\d{2}):(\d{2}))?$/.exec(value.trim());
  if (!m) return undefined;
  return Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) / 1000;
}

export function formatIntacctTimestamp(seconds: number): string {
  const d = new Date(seconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Unix seconds → `MM/DD/YYYY`, the date the calendar of `timezone` reads (Intacct's date format). */
export function formatIntacctDate(seconds: number, timezone: string): string {
  const [year, month, day] = isoDate(seconds, timezone).split('-');
  return `${month}/${day}/${year}`;
}

export class IntacctSource implements Source {
  constructor(
    private readonly gateway: IntacctGateway,
    private readonly endpoints: Readonly<Record<string, EndpointDescriptor>>,
    private readonly pageSize: number,
    /** The pipeline's timezone: the calendar its start date is a day of. */
    private readonly timezone = 'UTC',
  ) {
    checkPageSize(pageSize, 'the Sage Intacct source (settings.page_size)');
  }

  async open(): Promise<void> {
    await this.gateway.ensureSession();
  }

  async *read(request: StreamReadRequest, ctx: SourceContext): AsyncIterable<SourcePage> {
    const endpoint = this.endpoints[request.endpoint];
    if (!endpoint) {
      throw new LedgersyncError('unknown_endpoint', 'config', `the Sage Intacct source has no endpoint '${request.endpoint}'`, {
        fix: `use one of: ${Object.keys(this.endpoints).join(', ')}`,
      });
    }
    if (endpoint.cursor?.sortable) {
      throw new LedgersyncError(
        'invalid_descriptor',
        'system',
        `sage-intacct descriptor: endpoint ${request.endpoint} says its listing is sorted by ${endpoint.cursor.field}, but readByQuery returns rows unsorted and the source checkpoints only once a listing is read to the end`,
        { fix: 'set cursor.sortable: false for Intacct endpoints' },
      );
    }
    const object = endpoint.path;
    const idField = endpoint.id_field ?? 'RECORDNO';
    const cursorField = endpoint.cursor?.field ?? 'WHENMODIFIED';
    const previous = (request.checkpoint as IntacctCheckpoint | undefined)?.modified_after;
    const since = previous !== undefined ? Math.max(0, previous - request.lookbackSeconds) : request.startDate;
    const startField = endpoint.start_date_field;
    const conditions = [
      ...(since !== undefined ? [`${cursorField} >= ${quoteQueryValue(formatIntacctTimestamp(since))}`] : []),
      // A document dated before go-live is not read however recently it changed (WHENMODIFIED bounds only the first run).
      ...(request.startDate !== undefined && startField ? [`${startField} >= ${quoteQueryValue(formatIntacctDate(request.startDate, this.timezone))}`] : []),
      ...(endpoint.params?.['query'] ? [endpoint.params['query']] : []),
      ...(request.params['query'] ? [request.params['query']] : []),
    ];
    let latest = previous;
    let page = 0;
    for await (const rows of this.gateway.query(object, conditions.join(' AND '), endpoint.params?.['fields'] ?? '*', this.pageSize)) {
      if (ctx.signal.aborted) return;
      const enriched = object === 'ARPYMT' ? await this.withApplications(rows) : rows;
      const records: SourceRecord[] = enriched.map((row) => {
        const modified = parseIntacctTimestamp(String(row[cursorField] ?? ''));
        if (modified !== undefined && (latest === undefined || modified > latest)) latest = modified;
        return { id: String(row[idField]), ...(modified !== undefined ? { version: String(modified) } : {}), deleted: false, data: row };
      });
      yield { records, progress: { page: ++page } };
    }
    yield { records: [], ...(latest !== undefined ? { checkpoint: { modified_after: latest } satisfies IntacctCheckpoint } : {}), progress: { page } };
  }

  /**
   * An AR payment row says nothing of the invoices it paid: add `APPLIED_TO` from its payment
   * details (ARPYMTDETAIL), one entry per detail in the order they were made (their RECORDNO):
   * `DETAILKEY` (the detail's RECORDNO, one per application), `INVOICEKEY`, `INVOICENO` (the
   * invoice's document number, ARINVOICE.RECORDID), `AMOUNT` and `CURRENCY` (the invoice's).
   */
  private async withApplications(rows: Record<string, string>[]): Promise<Record<string, unknown>[]> {
    if (!rows.length) return rows;
    const details: Record<string, string>[] = [];
    for await (const part of this.gateway.query(
      'ARPYMTDETAIL',
      inList(
        'PAYMENTKEY',
        rows.map((r) => r['RECORDNO'] ?? ''),
      ),
      'RECORDNO,PAYMENTKEY,RECORDKEY,TRX_PAYMENTAMOUNT',
    ))
      details.push(...part);
    // readByQuery returns rows unsorted; record numbers grow as details are made.
    details.sort((a, b) => Number(a['RECORDNO']) - Number(b['RECORDNO']));
    const invoiceKeys = [...new Set(details.map((d) => d['RECORDKEY'] ?? ''))].filter(Boolean);
    const invoices = new Map<string, Record<string, string>>();
    if (invoiceKeys.length) {
      for await (const part of this.gateway.query('ARINVOICE', inList('RECORDNO', invoiceKeys), 'RECORDNO,RECORDID,CUSTOMERID,CURRENCY')) {
        for (const inv of part) invoices.set(inv['RECORDNO'] ?? '', inv);
      }
    }
    return rows.map((row) => ({
      ...row,
      APPLIED_TO: details
        .filter((d) => d['PAYMENTKEY'] === row['RECORDNO'])
        .map((d) => {
          const invoice = invoices.get(d['RECORDKEY'] ?? '');
          return {
            DETAILKEY: d['RECORDNO'] ?? '',
            INVOICEKEY: d['RECORDKEY'] ?? '',
            INVOICENO: invoice?.['RECORDID'] ?? '',
            AMOUNT: d['TRX_PAYMENTAMOUNT'] ?? '',
            CURRENCY: invoice?.['CURRENCY'] ?? '',
          };
        }),
    }));
  }
}
