/**
 * A Chargebee invoice listing of any size, generated lazily from the record index, so a benchmark
 * can page through a million invoices without holding them in memory. It speaks the same
 * protocol as the fake (Basic auth, `/configurations`, `limit` ≤ 100, opaque `next_offset`,
 * `sort_by[asc]=updated_at`, `updated_at[after]`) but nothing else: it exists for `npm run bench`.
 *
 * Run: node dist/test/bench/synthetic-chargebee.js <count>   → prints `{"url": ...}` on stdout.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const API_KEY = 'bench_key';
const BASE_TIME = 1_700_000_000;
const CURRENCIES = ['USD', 'EUR', 'JPY', 'KWD', 'GBP'] as const;

export function syntheticInvoice(i: number): Record<string, unknown> {
  const currency = CURRENCIES[i % CURRENCIES.length]!;
  const updatedAt = BASE_TIME + Math.floor(i / 10); // ten invoices share each second
  const lines = [0, 1, 2].map((n) => ({
    id: `li_${i}_${n}`,
    date_from: updatedAt - 86_400 * 30,
    date_to: updatedAt,
    unit_amount: 1000 + ((i * 7 + n) % 5000),
    quantity: 1 + (n % 3),
    amount: (1000 + ((i * 7 + n) % 5000)) * (1 + (n % 3)),
    description: `Plan ${n} for customer ${i % 997}`,
    entity_type: 'plan_item_price',
    entity_id: `plan-${n}-${currency}-monthly`,
  }));
  const total = lines.reduce((s, l) => s + l.amount, 0);
  return {
    id: `inv_${String(i).padStart(8, '0')}`,
    customer_id: `cus_${i % 997}`,
    status: i % 4 === 0 ? 'payment_due' : 'paid',
    date: updatedAt - 3600,
    due_date: updatedAt + 86_400 * 14,
    currency_code: currency,
    total,
    amount_due: i % 4 === 0 ? total : 0,
    updated_at: updatedAt,
    resource_version: updatedAt * 1000 + (i % 10),
    deleted: false,
    line_items: lines,
    object: 'invoice',
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function startSyntheticChargebee(count: number): Promise<{ url: string; apiKey: string; close(): Promise<void> }> {
  const expected = 'Basic ' + Buffer.from(`${API_KEY}:`).toString('base64');
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== expected)
      return send(res, 401, { message: 'Sorry, authentication failed. Invalid api key', api_error_code: 'api_authentication_failed', http_status_code: 401 });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/v2/configurations') return send(res, 200, { configurations: [{ domain: 'bench', product_catalog_version: 'v2' }] });
    if (url.pathname !== '/api/v2/invoices') return send(res, 404, { message: 'not found', api_error_code: 'resource_not_found', http_status_code: 404 });
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? 10));
    const after = url.searchParams.get('updated_at[after]');
    let start = Number(url.searchParams.get('offset') ?? 0);
    if (!url.searchParams.get('offset') && after) start = Math.max(0, (Number(after) + 1 - BASE_TIME) * 10);
    const end = Math.min(count, start + limit);
    const list = [];
    for (let i = start; i < end; i++) list.push({ invoice: syntheticInvoice(i) });
    send(res, 200, end < count ? { list, next_offset: String(end) } : { list });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${address.port}/api/v2`,
        apiKey: API_KEY,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').slice(-3).join('/'))) {
  const server = await startSyntheticChargebee(Number(process.argv[2] ?? 100_000));
  process.stdout.write(JSON.stringify({ url: server.url, apiKey: server.apiKey }) + '\n');
}
