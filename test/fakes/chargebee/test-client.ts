/** A minimal raw client for the fake, so tests see exactly the bytes Chargebee would send. */
import type { FakeChargebee } from './index.js';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export function basicAuth(apiKey: string, password = ''): string {
  return `Basic ${Buffer.from(`${apiKey}:${password}`).toString('base64')}`;
}

export async function cbRequest(
  fake: FakeChargebee,
  method: 'GET' | 'POST',
  path: string,
  options: { query?: Record<string, string | number>; form?: Record<string, string | number>; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const url = new URL(fake.url + path);
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, String(value));
  const headers: Record<string, string> = { authorization: basicAuth(fake.apiKey), ...options.headers };
  let body: string | undefined;
  if (options.form) {
    body = new URLSearchParams(Object.entries(options.form).map(([k, v]): [string, string] => [k, String(v)])).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export function cbGet(fake: FakeChargebee, path: string, query: Record<string, string | number> = {}): Promise<RawResponse> {
  return cbRequest(fake, 'GET', path, { query });
}

/** Pages a list to the end; returns the records (unwrapped) and the number of pages. */
export async function listAll(
  fake: FakeChargebee,
  resource: string,
  query: Record<string, string | number> = {},
  onPage?: (page: number, records: Record<string, any>[]) => void | Promise<void>,
): Promise<{ records: Record<string, any>[]; pages: number }> {
  const records: Record<string, any>[] = [];
  let offset: string | undefined;
  let pages = 0;
  const singular = resource === 'item_families' ? 'item_family' : resource.replace(/s$/, '');
  do {
    const response = await cbGet(fake, `/${resource}`, { ...query, ...(offset ? { offset } : {}) });
    if (response.status !== 200) throw new Error(`list ${resource} failed: ${response.status} ${response.text}`);
    const pageRecords = (response.json.list as Record<string, any>[]).map((entry) => entry[singular] as Record<string, any>);
    records.push(...pageRecords);
    pages += 1;
    await onPage?.(pages, pageRecords);
    offset = response.json.next_offset;
  } while (offset);
  return { records, pages };
}
