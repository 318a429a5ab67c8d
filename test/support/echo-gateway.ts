/**
 * A gateway in front of a fake vendor (reached through the base URL a user could set) that plays
 * a vendor careless with credentials: every error it answers echoes the credentials the request
 * carried (Authorization header and its Basic parts, API-key headers, secrets in form, JSON or XML
 * bodies), raw, URL-encoded and base64-encoded, inside the vendor's own message fields. It also
 * remembers every credential it saw, so a test can look for each of them wherever ledgersync
 * writes, and can refuse writes the way a vendor refuses a record, echoing as well.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Refusal {
  status: number;
  contentType: string;
  body: string;
}

export interface EchoGateway {
  /** `http://127.0.0.1:PORT`: put it in place of the fake's origin. */
  origin: string;
  /** The fake's URL with the gateway's origin. */
  through(url: string): string;
  /** Every credential a request carried so far. */
  readonly credentials: ReadonlySet<string>;
  /** Answers echoed so far. */
  readonly echoed: number;
  /**
   * The next `n` requests that `matches` are not forwarded: `refusal(echo, body)` answers them, with
   * the echo text of their credentials to put in its message.
   */
  refuseNext(n: number, matches: (method: string, path: string) => boolean, refusal: (echo: string, requestBody: string) => Refusal): void;
  close(): Promise<void>;
}

/** Keys of JSON error bodies that hold codes a client reads, not messages: left as they are. */
const CODE_KEYS = /^(code|type|error|api_error_code|error_code|param|error_param|element|status|http_status_code|errorno)$/i;
const SECRET_NAMES = /secret|token|password|passwd|api[-_]?key|sessionid/i;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The credentials a request carries. */
export function credentialsOf(headers: IncomingMessage['headers'], body: string): string[] {
  const found = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === 'string' && value.length >= 4) found.add(value);
  };
  const authorization = headers.authorization;
  if (authorization) {
    add(authorization);
    const [scheme, value = ''] = authorization.split(/\s+/, 2);
    if (/^basic$/i.test(scheme ?? '')) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      add(colon < 0 ? decoded : decoded.slice(0, colon));
      if (colon >= 0) add(decoded.slice(colon + 1));
    } else add(value);
  }
  for (const [name, value] of Object.entries(headers)) if (name !== 'authorization' && SECRET_NAMES.test(name)) add(value);
  const type = String(headers['content-type'] ?? '');
  if (type.includes('x-www-form-urlencoded')) {
    for (const [name, value] of new URLSearchParams(body)) if (SECRET_NAMES.test(name)) add(value);
  } else if (type.includes('json')) {
    const visit = (node: unknown, key = ''): void => {
      if (typeof node === 'string' && SECRET_NAMES.test(key)) add(node);
      else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) visit(v, k);
    };
    try {
      visit(JSON.parse(body));
    } catch {
      // not JSON after all
    }
  } else if (type.includes('xml')) {
    for (const match of body.matchAll(/<(password|sessionid|senderpassword)>([^<]*)<\/\1>/g)) add(unescapeXml(match[2]!));
  }
  return [...found];
}

/** How a careless vendor repeats credentials: raw, URL-encoded and base64. */
export function echoText(credentials: readonly string[]): string {
  if (!credentials.length) return '';
  return ` [request credentials: ${credentials.map((c) => `${c} (url ${encodeURIComponent(c)}, base64 ${Buffer.from(c).toString('base64')})`).join('; ')}]`;
}

function echoJson(text: string, echo: string, status: number): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  let changed = false;
  // Error answers: every message. Successful ones: only inside a Fault (QuickBooks' batch items).
  const walk = (node: unknown, key: string, inError: boolean): unknown => {
    if (typeof node === 'string') {
      if (!inError || CODE_KEYS.test(key)) return node;
      changed = true;
      return node + echo;
    }
    if (Array.isArray(node)) return node.map((item) => walk(item, key, inError));
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k, inError || k === 'Fault')]));
    }
    return node;
  };
  const out = walk(body, '', status >= 400);
  return changed ? JSON.stringify(out) : undefined;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The body with the echo in its messages; undefined when it has none to put it in and is no error. */
function withEcho(status: number, contentType: string, text: string, echo: string): string | undefined {
  if (!echo) return undefined;
  if (contentType.includes('json')) return echoJson(text, echo, status) ?? (status >= 400 ? text + echo : undefined);
  if (contentType.includes('xml')) {
    if (!/<description2>/.test(text)) return undefined;
    return text.replace(/<\/description2>/g, `${escapeXml(echo)}</description2>`);
  }
  return status >= 400 ? text + echo : undefined;
}

export async function startEchoGateway(target: string): Promise<EchoGateway> {
  const targetOrigin = new URL(target).origin;
  const credentials = new Set<string>();
  let echoed = 0;
  let refusals: { left: number; matches: (method: string, path: string) => boolean; refusal: (echo: string, requestBody: string) => Refusal } | undefined;

  const reply = (res: ServerResponse, status: number, headers: Record<string, string>, body: string) => {
    res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const text = body.toString('utf8');
    const presented = credentialsOf(req.headers, text);
    for (const c of presented) credentials.add(c);
    const echo = echoText(presented);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    if (refusals && refusals.left > 0 && refusals.matches(method, path)) {
      refusals.left--;
      const refusal = refusals.refusal(echo, text);
      echoed++;
      return reply(res, refusal.status, { 'content-type': refusal.contentType }, refusal.body);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || ['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const answer = await fetch(targetOrigin + path, { method, headers, ...(body.length && method !== 'GET' ? { body } : {}) });
    const answerText = await answer.text();
    const contentType = answer.headers.get('content-type') ?? '';
    const echoedBody = withEcho(answer.status, contentType, answerText, echo);
    if (echoedBody !== undefined) echoed++;
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) out[name] = value;
    });
    reply(res, answer.status, out, echoedBody ?? answerText);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) reply(res, 502, { 'content-type': 'text/plain' }, `echo gateway: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    through: (url) => url.replace(targetOrigin, origin),
    credentials,
    get echoed() {
      return echoed;
    },
    refuseNext(n, matches, refusal) {
      refusals = { left: n, matches, refusal };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
