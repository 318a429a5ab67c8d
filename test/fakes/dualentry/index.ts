/**
 * A stateful fake of DualEntry's public API v2 (node:http only), strict like the ledger: it checks
 * the X-API-KEY header (missing 401, invalid 403), the company, every line's account (unknown or
 * archived: 404), balance per entry and locked periods (422), decimal amounts, and pages lists with
 * `limit` ≤ 100 and `offset`. Error bodies are `{"success": false, "errors": {field: [messages]}}`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A `YYYY-MM-DD` day the calendar has, as DualEntry's date field reads it (an impossible day is
 * refused with the wrong-format message). Date.parse alone takes 2026-02-30 for 2 March.
 */
function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

export interface FakeCompany {
  id: number;
  name: string;
  currency_iso_4217_code: string;
  is_active: boolean;
  parent_company_id: number | null;
  is_elimination: boolean;
  fiscal_year_end_month: number;
}

export interface FakeAccount {
  id: number;
  name: string;
  number: number;
  description: string;
  is_active: boolean;
  is_system: boolean;
  company_id: number;
  account_type: string;
  currency_iso_4217_code: string;
}

export interface FakeEntryItem {
  id: number;
  account_number: number;
  position: number;
  memo: string;
  debit: string;
  credit: string;
  classifications: unknown[];
}

export interface FakeEntry {
  internal_id: number;
  number: number;
  company_id: number;
  company_name: string;
  company_currency: string;
  memo: string;
  date: string;
  transaction_date: string | null;
  currency_iso_4217_code: string;
  amount: string;
  exchange_rate: string;
  record_status: 'draft' | 'posted' | 'archived';
  items: FakeEntryItem[];
  reversal_items: unknown[];
}

export interface FakeDualEntryState {
  companies: Map<number, FakeCompany>;
  accounts: FakeAccount[];
  /** API key → company ids its user can reach. */
  apiKeys: Map<string, Set<number>>;
  /** `${companyId}:${YYYY-MM}` of locked months. */
  lockedPeriods: Set<string>;
  entries: FakeEntry[];
  /** Every request received, in order. */
  requests: Array<{ method: string; path: string; query: string; body?: unknown }>;
}

export interface FakeDualEntryFaults {
  /** Answer the next n requests with 429 and this Retry-After (seconds). */
  throttleNext(count: number, retryAfterSeconds?: number): void;
  /**
   * Apply the next journal-entry POST, then answer 500 (the client cannot know it landed); with
   * `thenUnavailable`, also answer that many requests after it with 503 (the look-up cannot tell either).
   */
  failAfterNextPost(thenUnavailable?: number): void;
  /** Answer the next n requests with 503 before doing anything. */
  unavailableNext(count: number): void;
}

export interface FakeDualEntry {
  url: string;
  /** A key that reaches every company. */
  apiKey: string;
  companyId: number;
  state: FakeDualEntryState;
  faults: FakeDualEntryFaults;
  /** Locks or reopens a month (`2026-10`) of a company. */
  lockPeriod(period: string, companyId?: number): void;
  reopenPeriod(period: string, companyId?: number): void;
  /** Archives (deactivates) or removes an account. */
  archiveAccount(number: number): void;
  close(): Promise<void>;
}

export interface FakeDualEntryOptions {
  apiKey?: string;
  companies?: Array<Pick<FakeCompany, 'id' | 'name'> & Partial<FakeCompany>>;
  /** Chart of accounts of the first company, or of each company by `company_id`. */
  accounts?: Array<Pick<FakeAccount, 'number' | 'name' | 'account_type'> & Partial<FakeAccount>>;
  lockedPeriods?: string[];
}

const DEFAULT_ACCOUNTS: Array<Pick<FakeAccount, 'number' | 'name' | 'account_type'>> = [
  { number: 1000, name: 'Operating Bank', account_type: 'bank' },
  { number: 1200, name: 'Accounts Receivable', account_type: 'accounts_receivable' },
  { number: 2100, name: 'Sales Tax Payable', account_type: 'other_current_liability' },
  { number: 2400, name: 'Deferred Revenue', account_type: 'deferred_revenue' },
  { number: 4000, name: 'Subscription Revenue', account_type: 'income' },
  { number: 4010, name: 'Services Revenue', account_type: 'income' },
  { number: 4020, name: 'Usage Revenue', account_type: 'income' },
  { number: 4900, name: 'Discounts (contra-revenue)', account_type: 'income' },
  { number: 7990, name: 'Rounding differences', account_type: 'other_expense' },
];

const ZERO_DECIMAL = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK']);
/** Account types the accounts listing's `company_id` filter applies to (bank and credit card accounts). */
const BANK_TYPES = new Set(['bank', 'credit_card']);

/**
 * Decimal places an amount may have: DualEntry's OpenAPI gives line debits and credits the pattern
 * `^(?!^[-+.]*$)[+-]?0*\d*\.?\d{0,2}0*$`, so at most 2 whatever the currency (a KWD amount in fils
 * is refused unless its third decimal is 0); none for a zero-decimal currency.
 */
function exponentOf(currency: string): number {
  return ZERO_DECIMAL.has(currency) ? 0 : 2;
}

/** Decimal text → scaled bigint at the currency's exponent, or an error text. */
function toScaled(value: unknown, currency: string): bigint | string {
  const exponent = exponentOf(currency);
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return 'A valid number is required.';
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return 'A valid number is required.';
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > exponent) return `Ensure that there are no more than ${exponent} decimal places.`;
  return BigInt((match[1] ?? '0') + fraction.padEnd(exponent, '0'));
}

function fromScaled(value: bigint, currency: string): string {
  const exponent = exponentOf(currency);
  if (exponent === 0) return value.toString();
  const digits = value.toString().padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

export async function startFakeDualEntry(options: FakeDualEntryOptions = {}): Promise<FakeDualEntry> {
  const apiKey = options.apiKey ?? 'de_test_key_0123456789abcdef';
  const companies = new Map<number, FakeCompany>();
  for (const c of options.companies ?? [{ id: 4242, name: 'Acme Inc.' }]) {
    companies.set(c.id, { currency_iso_4217_code: 'USD', is_active: true, parent_company_id: null, is_elimination: false, fiscal_year_end_month: 12, ...c });
  }
  const firstCompany = [...companies.keys()][0] as number;
  let nextAccountId = 1;
  const state: FakeDualEntryState = {
    companies,
    accounts: (options.accounts ?? DEFAULT_ACCOUNTS).map((a) => ({
      id: nextAccountId++,
      description: '',
      is_active: true,
      is_system: false,
      company_id: firstCompany,
      currency_iso_4217_code: 'USD',
      ...a,
    })),
    apiKeys: new Map([[apiKey, new Set(companies.keys())]]),
    lockedPeriods: new Set((options.lockedPeriods ?? []).map((p) => `${firstCompany}:${p}`)),
    entries: [],
    requests: [],
  };
  let throttle = { count: 0, retryAfter: 1 };
  let unavailable = 0;
  let failAfterPost = false;
  let unavailableAfterPost = 0;
  let nextEntry = 1;
  let nextItem = 1;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, errors: Record<string, string[]>, headers: Record<string, string> = {}) =>
    send(res, status, { success: false, errors }, headers);

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const paging = (url: URL, res: ServerResponse): { limit: number; offset: number } | undefined => {
    const limit = Number(url.searchParams.get('limit') ?? '100');
    const offset = Number(url.searchParams.get('offset') ?? '0');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      fail(res, 400, { limit: ['Ensure this value is less than or equal to 100.'] });
      return undefined;
    }
    if (!Number.isInteger(offset) || offset < 0) {
      fail(res, 400, { offset: ['A valid integer is required.'] });
      return undefined;
    }
    return { limit, offset };
  };

  const validateEntry = (
    raw: unknown,
    allowed: Set<number>,
  ): { errors: Record<string, string[]>; status: number } | { entry: Omit<FakeEntry, 'internal_id' | 'number'> } => {
    const errors: Record<string, string[]> = {};
    if (typeof raw !== 'object' || raw === null) return { status: 400, errors: { __all__: ['Invalid JSON body.'] } };
    const body = raw as Record<string, unknown>;
    const companyId = body['company_id'] === undefined ? firstCompany : Number(body['company_id']);
    const company = companies.get(companyId);
    if (!company || !allowed.has(companyId)) return { status: 404, errors: { company_id: [`Company ${String(body['company_id'])} not found.`] } };
    const date = body['date'];
    if (!isCalendarDate(date)) errors['date'] = ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'];
    const currency = typeof body['currency_iso_4217_code'] === 'string' ? body['currency_iso_4217_code'] : company.currency_iso_4217_code;
    const status = body['record_status'] ?? 'posted';
    if (status !== 'draft' && status !== 'posted' && status !== 'archived') errors['record_status'] = [`"${String(status)}" is not a valid choice.`];
    if (body['memo'] !== undefined && typeof body['memo'] !== 'string') errors['memo'] = ['Not a valid string.'];
    const items = body['items'];
    if (!Array.isArray(items) || items.length === 0) errors['items'] = ['This field is required.'];
    if (Object.keys(errors).length) return { status: 400, errors };
    let debits = 0n;
    let credits = 0n;
    const parsed: FakeEntryItem[] = [];
    for (const [i, rawItem] of (items as unknown[]).entries()) {
      const item = (rawItem ?? {}) as Record<string, unknown>;
      for (const field of ['account_number', 'debit', 'credit', 'position', 'memo']) {
        if (item[field] === undefined || item[field] === null) errors[`items[${i}].${field}`] = ['This field is required.'];
      }
      if (typeof item['memo'] !== 'string' && item['memo'] !== undefined) errors[`items[${i}].memo`] = ['Not a valid string.'];
      const debit = toScaled(item['debit'], currency);
      const credit = toScaled(item['credit'], currency);
      if (typeof debit === 'string') errors[`items[${i}].debit`] = [debit];
      if (typeof credit === 'string') errors[`items[${i}].credit`] = [credit];
      if (typeof debit === 'bigint' && typeof credit === 'bigint') {
        if ((debit === 0n) === (credit === 0n)) errors[`items[${i}]`] = ['Exactly one of debit and credit must be non-zero.'];
        debits += debit;
        credits += credit;
      }
      parsed.push({
        id: 0,
        account_number: Number(item['account_number']),
        position: Number(item['position']),
        memo: String(item['memo'] ?? ''),
        debit: typeof debit === 'bigint' ? fromScaled(debit, currency) : '0',
        credit: typeof credit === 'bigint' ? fromScaled(credit, currency) : '0',
        classifications: [],
      });
    }
    if (Object.keys(errors).length) return { status: 400, errors };
    for (const [i, item] of parsed.entries()) {
      const account = state.accounts.find((a) => a.number === item.account_number && a.company_id === companyId);
      if (!account?.is_active) {
        return { status: 404, errors: { [`items[${i}].account_number`]: [`Account ${item.account_number} not found.`] } };
      }
    }
    if (debits !== credits) {
      return {
        status: 422,
        errors: {
          items: [`Journal entry is not balanced: debits ${fromScaled(debits, currency)} and credits ${fromScaled(credits, currency)} must be equal.`],
        },
      };
    }
    if (state.lockedPeriods.has(`${companyId}:${(date as string).slice(0, 7)}`)) {
      return { status: 422, errors: { date: [`The period ${(date as string).slice(0, 7)} is locked. Entries cannot be posted into a locked period.`] } };
    }
    return {
      entry: {
        company_id: companyId,
        company_name: company.name,
        company_currency: company.currency_iso_4217_code,
        memo: typeof body['memo'] === 'string' ? body['memo'] : '',
        date: date as string,
        transaction_date: typeof body['transaction_date'] === 'string' ? body['transaction_date'] : null,
        currency_iso_4217_code: currency,
        amount: fromScaled(debits, currency),
        exchange_rate: body['exchange_rate'] === undefined ? '1' : String(body['exchange_rate']),
        record_status: status as FakeEntry['record_status'],
        items: parsed.map((item) => ({ ...item, id: nextItem++ })),
        reversal_items: [],
      },
    };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const logged: FakeDualEntryState['requests'][number] = { method, path: url.pathname, query: url.search };
    state.requests.push(logged);
    if (unavailable > 0) {
      unavailable--;
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html><body>Service Unavailable</body></html>');
      return;
    }
    if (throttle.count > 0) {
      throttle.count--;
      return fail(res, 429, { __all__: ['Request was throttled.'] }, { 'retry-after': String(throttle.retryAfter) });
    }
    const key = req.headers['x-api-key'];
    if (key === undefined || key === '') return fail(res, 401, { __all__: ['Authentication credentials were not provided.'] });
    const allowed = state.apiKeys.get(String(key));
    if (!allowed) return fail(res, 403, { __all__: ['Invalid API key.'] });

    const path = url.pathname;
    if (!path.startsWith('/public/v2/') || !path.endsWith('/')) return fail(res, 404, { __all__: ['Not found.'] });
    const parts = path.slice('/public/v2/'.length, -1).split('/');
    const [resource, id] = parts;

    if (resource === 'health' && method === 'GET') return send(res, 200, { status: 'ok' });

    if (resource === 'companies' && method === 'GET') {
      if (id !== undefined) {
        const company = companies.get(Number(id));
        if (!company || !allowed.has(company.id)) return fail(res, 404, { __all__: [`Company ${id} not found.`] });
        return send(res, 200, company);
      }
      const page = paging(url, res);
      if (!page) return;
      const visible = [...companies.values()].filter((c) => allowed.has(c.id));
      return send(res, 200, { items: visible.slice(page.offset, page.offset + page.limit), count: visible.length });
    }

    if (resource === 'accounts' && method === 'GET') {
      if (id !== undefined) {
        const account = state.accounts.find((a) => String(a.number) === id && allowed.has(a.company_id));
        return account ? send(res, 200, account) : fail(res, 404, { __all__: [`Account ${id} not found.`] });
      }
      const page = paging(url, res);
      if (!page) return;
      // As DualEntry's OpenAPI names them (array filters repeat the key); other keys, `numbers[]`
      // among them, are ignored as the real API ignores them, and the listing is then unfiltered.
      const numbers = url.searchParams.getAll('numbers');
      const access = url.searchParams.getAll('company_id_access').map(Number);
      // `company_id` "only filters by company_id field used in Bank and Credit Card accounts".
      const bankCompanies = url.searchParams.getAll('company_id').map(Number);
      const active = url.searchParams.get('is_active');
      const matching = state.accounts
        .filter((a) => allowed.has(a.company_id))
        .filter((a) => access.length === 0 || access.includes(a.company_id))
        .filter((a) => bankCompanies.length === 0 || (BANK_TYPES.has(a.account_type) && bankCompanies.includes(a.company_id)))
        .filter((a) => numbers.length === 0 || numbers.includes(String(a.number)))
        .filter((a) => active === null || String(a.is_active) === active);
      return send(res, 200, { items: matching.slice(page.offset, page.offset + page.limit), count: matching.length });
    }

    if (resource === 'journal-entries') {
      if (method === 'GET' && id === undefined) {
        const page = paging(url, res);
        if (!page) return;
        const search = url.searchParams.get('search');
        const companyIds = url.searchParams.getAll('company_id').map(Number);
        const start = url.searchParams.get('start_date');
        const end = url.searchParams.get('end_date');
        const matching = state.entries
          .filter((e) => allowed.has(e.company_id))
          .filter((e) => companyIds.length === 0 || companyIds.includes(e.company_id))
          .filter((e) => !search || e.memo.toLowerCase().includes(search.toLowerCase()) || String(e.number) === search)
          .filter((e) => (!start || e.date >= start) && (!end || e.date <= end));
        return send(res, 200, { items: matching.slice(page.offset, page.offset + page.limit), count: matching.length });
      }
      if (method === 'GET' && id !== undefined) {
        const entry = state.entries.find((e) => String(e.number) === id && allowed.has(e.company_id));
        return entry ? send(res, 200, entry) : fail(res, 404, { __all__: [`Journal entry ${id} not found.`] });
      }
      if (method === 'POST' && id === undefined) {
        let body: unknown;
        try {
          body = JSON.parse(await readBody(req));
          logged.body = body;
        } catch {
          return fail(res, 400, { __all__: ['JSON parse error.'] });
        }
        const result = validateEntry(body, allowed);
        if ('errors' in result) return fail(res, result.status, result.errors);
        const number = nextEntry++;
        const entry: FakeEntry = { internal_id: 90_000 + number, number, ...result.entry };
        state.entries.push(entry);
        if (failAfterPost) {
          failAfterPost = false;
          unavailable = unavailableAfterPost;
          res.writeHead(500, { 'content-type': 'text/html' });
          res.end('<html><body>Server Error (500)</body></html>');
          return;
        }
        return send(res, 200, entry);
      }
      if (method === 'PUT' && id !== undefined) {
        const index = state.entries.findIndex((e) => String(e.number) === id && allowed.has(e.company_id));
        if (index < 0) return fail(res, 404, { __all__: [`Journal entry ${id} not found.`] });
        const existing = state.entries[index] as FakeEntry;
        if (state.lockedPeriods.has(`${existing.company_id}:${existing.date.slice(0, 7)}`)) {
          return fail(res, 422, { date: [`The period ${existing.date.slice(0, 7)} is locked. Entries cannot be posted into a locked period.`] });
        }
        let body: unknown;
        try {
          body = JSON.parse(await readBody(req));
          logged.body = body;
        } catch {
          return fail(res, 400, { __all__: ['JSON parse error.'] });
        }
        const result = validateEntry(body, allowed);
        if ('errors' in result) return fail(res, result.status, result.errors);
        const entry: FakeEntry = { internal_id: existing.internal_id, number: existing.number, ...result.entry };
        state.entries[index] = entry;
        return send(res, 200, entry);
      }
      return fail(res, 405, { __all__: [`Method "${method}" not allowed.`] });
    }
    return fail(res, 404, { __all__: ['Not found.'] });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { success: false, errors: { __all__: [String(error)] } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    companyId: firstCompany,
    state,
    faults: {
      throttleNext(count, retryAfterSeconds = 1) {
        throttle = { count, retryAfter: retryAfterSeconds };
      },
      failAfterNextPost(thenUnavailable = 0) {
        failAfterPost = true;
        unavailableAfterPost = thenUnavailable;
      },
      unavailableNext(count) {
        unavailable = count;
      },
    },
    lockPeriod(period, companyId = firstCompany) {
      state.lockedPeriods.add(`${companyId}:${period}`);
    },
    reopenPeriod(period, companyId = firstCompany) {
      state.lockedPeriods.delete(`${companyId}:${period}`);
    },
    archiveAccount(number) {
      for (const account of state.accounts) if (account.number === number) account.is_active = false;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
