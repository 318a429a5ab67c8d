/** A minimal raw client for the fake tenant, so tests see exactly the bytes Acumatica would exchange. */
import type { FakeAcumatica } from './index.js';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** Plain test values in Acumatica's wire shape: scalars as `{"value": x}`, objects and arrays recursed. */
export function wrap(plain: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(plain)) {
    if (key === 'id' || key === 'delete') out[key] = value;
    else if (Array.isArray(value)) out[key] = value.map((row) => wrap(row as Record<string, unknown>));
    else if (typeof value === 'object' && value !== null) out[key] = wrap(value as Record<string, unknown>);
    else out[key] = { value };
  }
  return out;
}

/** A wire entity's values back as plain values (`{"value": x}` → x), detail rows and linked entities recursed. */
export function unwrap(entity: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(entity)) {
    if (['id', 'rowNumber', 'note', 'custom', '_links', 'error'].includes(key)) continue;
    if (Array.isArray(value)) out[key] = value.map((row) => unwrap(row));
    else if (value && typeof value === 'object' && ('value' in value || Object.keys(value).length === 0 || 'error' in value)) out[key] = value.value ?? null;
    else if (value && typeof value === 'object') out[key] = unwrap(value);
  }
  return out;
}

export class AcumaticaTestClient {
  cookies = new Map<string, string>();
  token: string | undefined;
  refreshToken: string | undefined;

  constructor(readonly fake: FakeAcumatica) {}

  async raw(
    method: string,
    url: string,
    options: { body?: unknown; form?: Record<string, string>; headers?: Record<string, string>; contentType?: string } = {},
  ): Promise<RawResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.cookies.size > 0) headers['cookie'] = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (this.token) headers['authorization'] = `Bearer ${this.token}`;
    let body: string | undefined;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = pair!.split('=');
      if (value.join('=') === '') this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join('='));
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  login(body: Record<string, unknown> = { name: this.fake.username, password: this.fake.password, tenant: this.fake.tenant }): Promise<RawResponse> {
    return this.raw('POST', `${this.fake.url}/entity/auth/login`, { body });
  }

  logout(): Promise<RawResponse> {
    return this.raw('POST', `${this.fake.url}/entity/auth/logout`);
  }

  async oauth(scope = 'api offline_access'): Promise<RawResponse> {
    const response = await this.raw('POST', this.fake.tokenUrl, {
      form: {
        grant_type: 'password',
        client_id: this.fake.clientId,
        client_secret: this.fake.clientSecret,
        username: this.fake.username,
        password: this.fake.password,
        scope,
      },
    });
    if (response.status === 200) {
      this.token = response.json.access_token;
      this.refreshToken = response.json.refresh_token;
    }
    return response;
  }

  /** A request under the endpoint: `api('GET', 'Customer?$top=1')`. */
  api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
    return this.raw(method, `${this.fake.endpointUrl()}/${path}`, { ...(body !== undefined ? { body } : {}), headers });
  }

  put(entity: string, plain: Record<string, unknown>, query = '', headers: Record<string, string> = {}): Promise<RawResponse> {
    return this.api('PUT', `${entity}${query}`, wrap(plain), headers);
  }

  /** Invokes an action and polls its status until it completes; returns the last status answer. */
  async release(entity: string, action: string, keys: Record<string, unknown>): Promise<RawResponse> {
    const started = await this.api('POST', `${entity}/${action}`, { entity: wrap(keys) });
    if (started.status !== 202) return started;
    let status: RawResponse;
    let polls = 0;
    do {
      status = await this.raw('GET', `http://127.0.0.1:${this.fake.port}${started.headers.get('location')}`);
      polls++;
    } while (status.status === 202 && polls < 20);
    return status;
  }
}
