/**
 * The HTTP side of `ledgersync serve`: `POST /webhooks/<pipeline name>` takes a delivery, checks
 * the secret, the size and the JSON, stores the event in the state file and only then answers 2xx;
 * `GET /healthz` says whether the process is up and how its queues stand. Nothing is synced here:
 * the pipeline's worker does that after the answer (engine/serve/worker.ts), or with PostgreSQL
 * state a queue worker, to which the event is handed off before the answer (queue-handoff.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { WebhookDelivery, WebhookReceiver } from '../connector/webhook.js';
import type { Logger } from '../log.js';
import { carriesSecret } from './secret.js';

/** Chargebee's webhook bodies are a few kB; anything near this is not one. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** The characters of an unknown pipeline name a log line shows. */
const MAX_SHOWN_NAME = 80;

export interface ReceiverOptions {
  secret: string;
  /** Served pipelines by name, with how their source reads a delivery. */
  pipelines: ReadonlyMap<string, WebhookReceiver>;
  /** Stores a delivery durably; throws when the state cannot take it (the delivery is then refused with 503). */
  enqueue(pipeline: string, eventId: string, eventType: string | undefined): 'queued' | 'duplicate';
  /** Called after a new event was stored, to wake the pipeline's worker. */
  queued(pipeline: string): void;
  /**
   * With PostgreSQL state: hands the stored event (new or delivered again) to the job queue before
   * the delivery is acknowledged. Throws when the queue cannot take it: the answer is then 503, the
   * event stays stored, and the sender's next delivery hands it off again.
   */
  handOff?(pipeline: string, eventId: string, eventType: string | undefined, stored: 'queued' | 'duplicate'): Promise<void>;
  /** False once the process is stopping: deliveries get 503 so the sender retries later. */
  accepting(): boolean;
  health(): { healthy: boolean; body: Record<string, unknown> };
  log: Logger;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
}

type Answer = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

function send(res: ServerResponse, answer: Answer): void {
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...answer.headers });
  res.end(body);
}

/** Reads at most `limit` bytes; undefined when the body is longer (reading stops there). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

type Refusal = { answer: Answer };
/** A delivery the source's receiver read as an event. */
type DeliveredEvent = Exclude<WebhookDelivery, { refused: string }>;
const refused = (value: unknown): value is Refusal => typeof value === 'object' && value !== null && 'answer' in value;

/** One delivery's way from the request to the state: each step answers a refusal or hands its result on. */
class Deliveries {
  private readonly limit: number;
  private readonly log: Logger;

  constructor(private readonly options: ReceiverOptions) {
    this.limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
    this.log = options.log;
  }

  async take(req: IncomingMessage, url: URL, name: string): Promise<Answer> {
    const arrived = performance.now();
    const from = req.socket.remoteAddress ?? 'unknown';
    const receiver = this.admit(req, url, name, from);
    if (refused(receiver)) return receiver.answer;
    const read = await this.read(req, name, from, receiver);
    if (refused(read)) return read.answer;
    const result = await this.store(name, read);
    if (refused(result)) return result.answer;
    if (result === 'queued') {
      this.log.info(`${name}: event ${read.eventId}${read.eventType ? ` (${read.eventType})` : ''} queued in ${Math.round(performance.now() - arrived)} ms`);
      this.options.queued(name);
    } else {
      this.log.info(`${name}: event ${read.eventId} delivered again; already queued or synced, nothing more to do`);
    }
    return { status: 200, body: { status: result, event_id: read.eventId } };
  }

  /** The method, the secret, the pipeline, and whether the process still takes deliveries. */
  private admit(req: IncomingMessage, url: URL, name: string, from: string): WebhookReceiver | Refusal {
    if (req.method !== 'POST') return { answer: { status: 405, body: { error: 'webhooks are POSTed' }, headers: { allow: 'POST' } } };
    if (!carriesSecret(req.headers.authorization, url, this.options.secret)) {
      this.log.warn(`refused a delivery to /webhooks/${this.shown(name)} from ${from}: no or a wrong secret (401); nothing stored`);
      return {
        answer: {
          status: 401,
          body: { error: 'the webhook secret is missing or wrong: send it as the HTTP Basic password or as ?token=' },
          headers: { 'www-authenticate': 'Basic realm="ledgersync webhooks", charset="UTF-8"' },
        },
      };
    }
    const receiver = this.options.pipelines.get(name);
    if (!receiver) {
      this.log.warn(`refused a delivery from ${from}: no pipeline named ${this.shown(name)} is served here (404)`);
      return { answer: { status: 404, body: { error: `no pipeline named '${name}' is served here`, pipelines: [...this.options.pipelines.keys()] } } };
    }
    if (!this.options.accepting()) return { answer: { status: 503, body: { error: 'stopping: deliver again later' }, headers: { 'retry-after': '30' } } };
    return receiver;
  }

  /**
   * The pipeline name of a request path as a log line shows it: a served pipeline's as is; any other
   * (anyone who reaches the port chooses it) JSON-quoted and cut short, never raw.
   */
  private shown(name: string): string {
    if (this.options.pipelines.has(name)) return name;
    return JSON.stringify(name.length > MAX_SHOWN_NAME ? `${name.slice(0, MAX_SHOWN_NAME)}…` : name);
  }

  /** The body, at most `limit` bytes of JSON that the source's receiver reads as an event. */
  private async read(req: IncomingMessage, name: string, from: string, receiver: WebhookReceiver): Promise<DeliveredEvent | Refusal> {
    const declared = Number(req.headers['content-length']);
    const body = Number.isFinite(declared) && declared > this.limit ? undefined : await readBody(req, this.limit);
    if (!body) {
      this.log.warn(`refused a delivery to /webhooks/${name} from ${from}: the body is over ${this.limit} bytes (413); nothing stored`);
      return { answer: { status: 413, body: { error: `the body is over ${this.limit} bytes` }, headers: { connection: 'close' } } };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      this.log.warn(`refused a delivery to /webhooks/${name} from ${from}: the body is not JSON (400); nothing stored`);
      return { answer: { status: 400, body: { error: 'the body is not JSON' } } };
    }
    const read = receiver.deliveryOf(parsed);
    if ('refused' in read) {
      this.log.warn(`refused a delivery to /webhooks/${name} from ${from}: ${read.refused} (400); nothing stored`);
      return { answer: { status: 400, body: { error: read.refused } } };
    }
    return read;
  }

  /** Stored durably (and handed to the job queue, with PostgreSQL state) before anything is answered. */
  private async store(name: string, read: DeliveredEvent): Promise<'queued' | 'duplicate' | Refusal> {
    let result: 'queued' | 'duplicate';
    try {
      result = this.options.enqueue(name, read.eventId, read.eventType);
    } catch (error) {
      this.log.error(`could not store event ${read.eventId} for ${name}: ${(error as Error).message}; answered 503 so that it is delivered again`);
      return { answer: { status: 503, body: { error: 'the event could not be stored: deliver again later' }, headers: { 'retry-after': '10' } } };
    }
    if (!this.options.handOff) return result;
    try {
      await this.options.handOff(name, read.eventId, read.eventType, result);
    } catch (error) {
      this.log.error(
        `${name}: event ${read.eventId} is stored but could not be queued as a job: ${(error as Error).message}; answered 503 so that it is delivered again`,
      );
      return { answer: { status: 503, body: { error: 'the event could not be queued: deliver again later' }, headers: { 'retry-after': '10' } } };
    }
    return result;
  }
}

export function createWebhookServer(options: ReceiverOptions): Server {
  const deliveries = new Deliveries(options);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The query may carry the secret: only the path is ever logged.
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, { status: 405, body: { error: 'GET /healthz' }, headers: { allow: 'GET, HEAD' } });
      const health = options.health();
      return send(res, { status: health.healthy ? 200 : 503, body: health.body });
    }
    const match = /^\/webhooks\/([^/]+)\/?$/.exec(url.pathname);
    if (!match) return send(res, { status: 404, body: { error: 'not found: webhooks go to POST /webhooks/<pipeline name>' } });
    let name: string;
    try {
      name = decodeURIComponent(match[1]!);
    } catch {
      return send(res, { status: 404, body: { error: 'not found' } });
    }
    send(res, await deliveries.take(req, url, name));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log.error(`webhook request failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) send(res, { status: 500, body: { error: 'internal error' } });
      else res.end();
    });
  });
  // A slow or stuck client must not hold a connection for ever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
