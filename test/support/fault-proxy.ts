/**
 * A fault-injecting HTTP proxy for tests: it sits between the engine and a fake vendor server
 * (the engine reaches it through the `base_url` override a user could set), forwards every request,
 * and spoils the ones a rule picks (by method, path, body and count) the way networks, gateways and
 * load balancers do:
 *
 * | fault            | what the client sees                                                       | forwarded? |
 * |------------------|----------------------------------------------------------------------------|------------|
 * | `status`         | a 500/502/503/504/429 from "the gateway" (HTML or a given body)             | yes (or no with `forward: false`) |
 * | `reset-before`   | the connection reset, the request never forwarded                           | no         |
 * | `reset-after`    | the connection reset once the vendor answered                               | yes        |
 * | `reset-mid-body` | headers and half the body (with the full content-length), then a reset      | yes        |
 * | `truncate`       | headers and half the body, cleanly ended (chunked, no length)              | yes        |
 * | `html-200`       | 200 with an HTML page instead of the vendor's answer                         | yes (or no)|
 * | `trickle`        | the vendor's answer, a few bytes at a time                                   | yes        |
 * | `bloat`          | the vendor's answer padded with megabytes of insignificant whitespace       | yes        |
 * | `stall`          | nothing at all, until the client gives up (its timeout)                      | yes        |
 *
 * node:http only. Every request is logged with the fault it got, if any.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'status'; status: 429 | 500 | 502 | 503 | 504; forward?: boolean; body?: string; contentType?: string; retryAfter?: string }
  | { kind: 'reset-before' }
  | { kind: 'reset-after' }
  | { kind: 'reset-mid-body' }
  | { kind: 'truncate' }
  | { kind: 'html-200'; forward?: boolean }
  | { kind: 'trickle'; pieces?: number; delayMs?: number }
  | { kind: 'bloat'; bytes?: number }
  | { kind: 'stall' };

export type FaultKind = Fault['kind'];

export interface FaultRule {
  /** Only requests with this method. */
  method?: string;
  /** Only requests whose path (with query) matches. */
  path?: RegExp;
  /** Only requests whose body matches (Intacct: every request goes to one URL). */
  body?: RegExp;
  /** Matching requests to let through before the first fault. Default 0. */
  skip?: number;
  /** Matching requests to spoil after the skipped ones. Default 1; `Infinity` for all. */
  times?: number;
  /** Spoil only every n-th of those (1: each). Default 1. */
  every?: number;
  fault: Fault;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  /** The fault it got, if any. */
  fault?: FaultKind;
  /** Whether the vendor saw it. */
  forwarded: boolean;
  status?: number;
}

export interface FaultProxy {
  /** The proxy's base URL: use it where the fake's URL would go. */
  url: string;
  /** Adds a rule; rules are tried in the order added, the first that picks a request spoils it. */
  inject(rule: FaultRule): void;
  /** Drops every rule (and their counts). */
  clear(): void;
  /** Every request, in order. */
  readonly log: ProxiedRequest[];
  /** Requests spoiled so far. */
  readonly injected: number;
  close(): Promise<void>;
}

const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'content-length']);

export const GATEWAY_HTML: Record<number, string> = {
  429: '<html><head><title>429 Too Many Requests</title></head><body><center><h1>429 Too Many Requests</h1></center><hr><center>nginx</center></body></html>\n',
  500: '<html><head><title>500 Internal Server Error</title></head><body><center><h1>500 Internal Server Error</h1></center><hr><center>nginx</center></body></html>\n',
  502: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n',
  503: '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>\n',
  504: '<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>\n',
};

const CAPTIVE_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Maintenance</title></head><body><h1>We\u2019ll be back soon</h1><p>The service is under maintenance.</p></body></html>\n';

interface ActiveRule extends FaultRule {
  seen: number;
}

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Starts a proxy in front of `target` (an origin such as `http://127.0.0.1:4312`). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstreamUrl = new URL(target);
  const rules: ActiveRule[] = [];
  const log: ProxiedRequest[] = [];
  let injected = 0;

  function pick(method: string, path: string, body: string): Fault | undefined {
    for (const rule of rules) {
      if (rule.method && rule.method !== method) continue;
      if (rule.path && !rule.path.test(path)) continue;
      if (rule.body && !rule.body.test(body)) continue;
      rule.seen++;
      const skip = rule.skip ?? 0;
      const times = rule.times ?? 1;
      const every = rule.every ?? 1;
      if (rule.seen > skip && rule.seen <= skip + times && (rule.seen - skip - 1) % every === 0) return rule.fault;
    }
    return undefined;
  }

  function forward(req: IncomingMessage, body: Buffer): Promise<Upstream> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
      headers['host'] = upstreamUrl.host;
      headers['content-length'] = String(body.length);
      const upstream = httpRequest({ hostname: upstreamUrl.hostname, port: upstreamUrl.port, method: req.method, path: req.url, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  function passHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(headers)) if (value !== undefined && !hopByHop.has(name)) out[name] = value;
    return out;
  }

  async function answer(res: ServerResponse, upstream: Upstream, fault: Fault | undefined): Promise<void> {
    const headers = passHeaders(upstream.headers);
    const half = upstream.body.subarray(0, Math.floor(upstream.body.length / 2));
    switch (fault?.kind) {
      case undefined:
        res.writeHead(upstream.status, { ...headers, 'content-length': String(upstream.body.length) });
        res.end(upstream.body);
        return;
      case 'reset-after':
        res.socket?.destroy();
        return;
      case 'reset-mid-body':
        res.writeHead(upstream.status, { ...headers, 'content-length': String(upstream.body.length) });
        res.write(half, () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      case 'truncate':
        res.writeHead(upstream.status, headers);
        res.end(half);
        return;
      case 'trickle': {
        const pieces = fault.pieces ?? 20;
        const size = Math.max(1, Math.ceil(upstream.body.length / pieces));
        res.writeHead(upstream.status, { ...headers, 'content-length': String(upstream.body.length) });
        for (let at = 0; at < upstream.body.length; at += size) {
          if (res.destroyed) return;
          res.write(upstream.body.subarray(at, at + size));
          await new Promise((r) => setTimeout(r, fault.delayMs ?? 50));
        }
        res.end();
        return;
      }
      case 'stall':
        // The vendor applied it; the answer never comes. The client's timeout ends the exchange.
        return;
      case 'bloat': {
        // Trailing whitespace is insignificant after a JSON value and after an XML root element.
        const body = Buffer.concat([upstream.body, Buffer.alloc(fault.bytes ?? 8 * 1024 * 1024, 0x20)]);
        res.writeHead(upstream.status, { ...headers, 'content-length': String(body.length) });
        res.end(body);
        return;
      }
      default:
        if (fault) spoiled(res, fault);
    }
  }

  /** The answers that replace the vendor's (after forwarding, or instead of it). */
  function spoiled(res: ServerResponse, fault: Fault): void {
    if (fault.kind === 'status') {
      const body = fault.body ?? GATEWAY_HTML[fault.status] ?? '';
      res.writeHead(fault.status, {
        'content-type': fault.contentType ?? 'text/html',
        'content-length': String(Buffer.byteLength(body)),
        ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}),
      });
      res.end(body);
    } else if (fault.kind === 'html-200') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(CAPTIVE_PAGE)) });
      res.end(CAPTIVE_PAGE);
    } else if (fault.kind === 'reset-before') {
      res.socket?.destroy();
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const fault = pick(method, path, body.toString('utf8'));
      const forwarded = !fault || !(fault.kind === 'reset-before' || ((fault.kind === 'status' || fault.kind === 'html-200') && fault.forward === false));
      const entry: ProxiedRequest = { method, path, forwarded, ...(fault ? { fault: fault.kind } : {}) };
      log.push(entry);
      if (fault) injected++;
      void (async () => {
        try {
          if (!forwarded) return spoiled(res, fault!);
          const upstream = await forward(req, body);
          entry.status = upstream.status;
          if (fault && (fault.kind === 'status' || fault.kind === 'html-200')) return spoiled(res, fault);
          await answer(res, upstream, fault);
        } catch (error) {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`fault proxy: upstream failed: ${(error as Error).message}`);
        }
      })();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    inject: (rule) => void rules.push({ ...rule, seen: 0 }),
    clear: () => void rules.splice(0),
    log,
    get injected() {
      return injected;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
