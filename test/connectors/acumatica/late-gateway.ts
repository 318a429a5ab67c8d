/**
 * A gateway in front of the fake tenant that gives up before Acumatica does: the first PUT of an
 * Invoice-entity document its predicate picks is answered 504 at once and reaches the tenant
 * `lateMs` later, as a create that lands after its answer was lost. Everything else is forwarded.
 */
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LateGateway {
  url: string;
  /** The CustomerOrder of the create it answered 504, once it has. */
  spoiled(): string | undefined;
  close(): Promise<void>;
}

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

export async function startLateGateway(target: URL, picks: (body: string) => boolean, lateMs: number): Promise<LateGateway> {
  let spoiled: string | undefined;
  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<Answer>((resolve, reject) => {
      const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      delete headers['connection'];
      const upstream = httpRequest({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  const gateway = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const text = body.toString('utf8');
    if (spoiled === undefined && req.method === 'PUT' && /\/Invoice(\?|$)/.test(req.url ?? '') && picks(text)) {
      spoiled = /"CustomerOrder":\{"value":"([^"]+)"/.exec(text)?.[1] ?? '';
      res.writeHead(504, { 'content-type': 'text/html' });
      res.end('<html><body><h1>504 Gateway Time-out</h1></body></html>');
      setTimeout(() => void forward(req, body).catch(() => {}), lateMs);
      return;
    }
    try {
      const answer = await forward(req, body);
      const headers = { ...answer.headers };
      delete headers['transfer-encoding'];
      delete headers['connection'];
      res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
      res.end(answer.body);
    } catch {
      res.socket?.destroy();
    }
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', () => resolve()));
  const port = (gateway.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${target.pathname === '/' ? '' : target.pathname}`,
    spoiled: () => spoiled,
    close: () => new Promise<void>((resolve) => gateway.close(() => resolve())),
  };
}
