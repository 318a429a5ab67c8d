/**
 * DualEntry's public API (base URL `…/public/v2`, from the descriptor), as the sink uses it: the company, the chart of accounts,
 * and journal entries. Every failure becomes an error that says what to fix (seed 000's four
 * posting errors): the vendor's exact texts are not documented, so they are recognised by status and
 * by the field the error body names.
 */
import { LedgersyncError } from '../../engine/errors.js';
import type { PagingDescriptor } from '../../engine/connector/descriptor.js';
import type { HttpConnection, HttpRequest, HttpResponse, QueryValue } from '../../engine/http/connection.js';
import { pagesOf } from '../../engine/paging/pagers.js';
import { excerpt, type Logger } from '../../engine/log.js';
import { writeOnce } from '../../engine/connector/write-once.js';

export interface DualEntryCompany {
  id: number;
  name: string;
  currency_iso_4217_code?: string;
  is_active?: boolean;
}

export interface DualEntryAccount {
  id: number;
  name: string;
  number: number;
  is_active: boolean;
  account_type?: string;
  company_id?: number;
}

export interface DualEntryEntryLine {
  account_number: number;
  debit: string;
  credit: string;
  position: number;
  memo: string;
}

export interface DualEntryEntryBody {
  date: string;
  transaction_date: string;
  company_id: number;
  memo: string;
  currency_iso_4217_code: string;
  record_status: 'draft' | 'posted';
  items: DualEntryEntryLine[];
  attachments: [];
  custom_fields: Array<Record<string, unknown>>;
}

export interface DualEntryEntry {
  internal_id: number | string;
  number: number | string;
  company_id: number;
  memo: string;
  date: string;
  currency_iso_4217_code: string;
  amount: string;
  record_status: string;
  items: Array<{ account_number: number; debit: string; credit: string; memo: string; position: number }>;
}

interface ErrorBody {
  success?: boolean;
  errors?: Record<string, string[] | string>;
}

export const API_KEY_FIX =
  'the DualEntry API key was revoked, rotated or copied incorrectly: have your DualEntry administrator generate a fresh one under Settings → Developers → API Keys, then update the key this pipeline reads (sink.api_key, e.g. DUALENTRY_API_KEY)';

export function companyNotFoundFix(companyId: number): string {
  return `confirm the company ID under Companies in DualEntry (company switcher → Companies, ID column) and set sink.company_id (e.g. DUALENTRY_COMPANY_ID); ${companyId} does not exist or the user who issued the API key has no access to it`;
}

function errorMessages(response: HttpResponse): { fields: Record<string, string[]>; text: string } {
  let body: ErrorBody | undefined;
  try {
    body = response.json<ErrorBody>();
  } catch {
    body = undefined;
  }
  const fields: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(body?.errors ?? {})) fields[field] = Array.isArray(messages) ? messages.map(String) : [String(messages)];
  const text = Object.keys(fields).length
    ? Object.entries(fields)
        .map(([field, messages]) => `${field}: ${messages.join(' ')}`)
        .join('; ')
    : excerpt(response.text, 300);
  return { fields, text };
}

/** Turns a DualEntry error response into an actionable error. */
export function describeDualEntryError(response: HttpResponse, request: HttpRequest, companyId: number): LedgersyncError {
  const { fields, text } = errorMessages(response);
  const status = response.status;
  const where = `DualEntry ${request.method} ${request.path}`;
  if (status === 401 || status === 403) {
    return new LedgersyncError('dualentry_auth_failed', 'auth', `DualEntry API key authentication failed (HTTP ${status}: ${text})`, {
      details: { status },
      fix: API_KEY_FIX,
    });
  }
  const accountField = Object.keys(fields).find((f) => /account/i.test(f) || (fields[f] ?? []).some((m) => /account/i.test(m)));
  if (status === 404 && (request.path.includes('/companies/') || 'company_id' in fields || /company/i.test(text)) && !accountField) {
    return new LedgersyncError('dualentry_company_not_found', 'config', `DualEntry company ${companyId} not found (${text})`, {
      details: { status, company_id: companyId },
      fix: companyNotFoundFix(companyId),
    });
  }
  if (status === 404 && accountField) {
    const number = /(\d+)/.exec((fields[accountField] ?? []).join(' '))?.[1];
    const lineIndex = /items\[(\d+)\]/.exec(accountField)?.[1];
    return new LedgersyncError('dualentry_account_not_found', 'config', `DualEntry account ${number ?? '?'} not found (${text})`, {
      details: { status, ...(number ? { account_number: number } : {}), ...(lineIndex ? { line_index: Number(lineIndex) } : {}) },
      fix: 'remap the journal account mapping to a current DualEntry GL account',
    });
  }
  if (status === 422 && ('date' in fields || /locked|closed period/i.test(text)) && /lock|closed/i.test(text)) {
    return new LedgersyncError('dualentry_period_locked', 'config', `DualEntry refused the entry: the period is locked (${text})`, {
      details: { status },
      fix: 'reopen the period under Period locking in DualEntry, or change the close date',
    });
  }
  const kind = status === 429 || status >= 500 ? 'transient' : 'record';
  return new LedgersyncError(`dualentry_http_${status}`, kind, `${where} answered HTTP ${status}: ${text}`, { details: { status, errors: fields } });
}

export class DualEntryApi {
  constructor(
    private readonly http: HttpConnection,
    readonly companyId: number,
    /** The descriptor's `paging:` (limit / offset, at most 100 a page). */
    private readonly paging: PagingDescriptor | undefined,
  ) {}

  get calls(): number {
    return this.http.stats.requests;
  }

  /** Largest page the descriptor asks for; also the most account numbers sent in one listing. */
  private get pageSize(): number {
    return this.paging && 'page_size' in this.paging ? this.paging.page_size : 100;
  }

  private async list<T>(path: string, query: Record<string, QueryValue>): Promise<T[]> {
    const entries: T[] = [];
    for await (const page of pagesOf(this.paging, { http: this.http, path, query })) entries.push(...(page.entries as T[]));
    return entries;
  }

  async company(): Promise<DualEntryCompany> {
    const response = await this.http.request({ method: 'GET', path: `/companies/${this.companyId}/` });
    return response.json<DualEntryCompany>();
  }

  /** The accounts among `numbers`, asked for a page of numbers at a time. */
  async accounts(numbers: readonly string[]): Promise<DualEntryAccount[]> {
    const found: DualEntryAccount[] = [];
    for (let start = 0; start < numbers.length; start += this.pageSize) {
      found.push(
        // `numbers` and `company_id_access` as DualEntry's OpenAPI names them: its `company_id` filters only bank and card accounts.
        ...(await this.list<DualEntryAccount>('/accounts/', { numbers: numbers.slice(start, start + this.pageSize), company_id_access: [this.companyId] })),
      );
    }
    return found;
  }

  /** Entries whose memo carries our deterministic reference (there is no external-id field). */
  async findByRef(ref: string): Promise<DualEntryEntry[]> {
    const listed = await this.list<DualEntryEntry>('/journal-entries/', { search: ref, company_id: [this.companyId] });
    return listed.filter((entry) => typeof entry.memo === 'string' && entry.memo.includes(`[${ref}]`));
  }

  async entry(number: string): Promise<DualEntryEntry> {
    return (await this.http.request({ method: 'GET', path: `/journal-entries/${encodeURIComponent(number)}/` })).json<DualEntryEntry>();
  }

  /**
   * POST answers 200 with the created entry. DualEntry has no idempotency key: when the answer is
   * lost (a 5xx or 429 after the POST, a reset, garbage), the entry is looked up by the `[ref]` its
   * memo carries before it is posted again. Still in doubt after the retry policy: throws with
   * `mayHaveSucceeded`, and the caller keeps the attempt pending for the next run's look-up.
   */
  async createEntry(body: DualEntryEntryBody, ref: string, log?: Logger): Promise<DualEntryEntry> {
    const written = await writeOnce({
      connection: this.http,
      request: { method: 'POST', path: '/journal-entries/', json: body },
      what: `DualEntry journal entry [${ref}]`,
      read: (response) => {
        const entry = response.json<DualEntryEntry | undefined>();
        return entry && typeof entry === 'object' && entry.number !== undefined && entry.number !== null ? entry : undefined;
      },
      lookUp: async () => (await this.findByRef(ref))[0],
      ...(log ? { log } : {}),
    });
    return written.document;
  }
}
