/**
 * A worker's counters, served as Prometheus text (exposition format 0.0.4) on `/metrics`: runs by
 * outcome, records by result, failures by error code, jobs refused, rate-limit waits, and the
 * queue's depth read from PostgreSQL at each scrape.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

type Labels = Record<string, string>;

class Counter {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' = 'counter',
  ) {}
  add(labels: Labels, by = 1): void {
    const key = JSON.stringify(labels);
    const entry = this.values.get(key) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(key, entry);
  }
  set(labels: Labels, value: number): void {
    this.values.set(JSON.stringify(labels), { labels, value });
  }
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function render(metric: Counter): string {
  const lines = [`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`];
  for (const { labels, value } of metric.values.values()) {
    const text = Object.entries(labels)
      .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      .join(',');
    lines.push(`${metric.name}${text ? `{${text}}` : ''} ${value}`);
  }
  return lines.join('\n');
}

export class WorkerMetrics {
  readonly runs = new Counter('ledgersync_runs_total', 'Runs this worker finished, by pipeline and outcome (success, partial, failed, locked, invalid).');
  readonly records = new Counter(
    'ledgersync_records_total',
    'Records of finished runs, by pipeline, stream and result (read, created, updated, skipped, failed).',
  );
  readonly failures = new Counter('ledgersync_run_failures_total', 'Runs that ended with an error, by pipeline and error code.');
  readonly refused = new Counter(
    'ledgersync_jobs_refused_total',
    'Jobs this worker would not run, by reason (pipeline_version_mismatch, unscheduled, invalid_job).',
  );
  readonly rateLimitWaits = new Counter('ledgersync_rate_limit_waits_total', 'Times a request waited for a vendor rate limit (HTTP 429), by pipeline.');
  readonly rateLimitSeconds = new Counter('ledgersync_rate_limit_wait_seconds_total', 'Seconds spent waiting for vendor rate limits, by pipeline.');
  readonly runSeconds = new Counter('ledgersync_run_seconds_total', 'Seconds spent in runs, by pipeline.');
  readonly busy = new Counter('ledgersync_worker_busy_jobs', 'Jobs this worker is running now.', 'gauge');
  readonly queue = new Counter('ledgersync_queue_depth', 'Run jobs in the queue: due now (waiting for a worker), later (scheduled slots), active.', 'gauge');

  /** Prometheus text of every metric; `depth` is read fresh from the queue. */
  async text(depth?: () => Promise<{ due: number; later: number; active: number }>): Promise<string> {
    if (depth) {
      try {
        const d = await depth();
        for (const [state, value] of Object.entries(d)) this.queue.set({ state }, value);
      } catch {
        // the database is unreachable: the last known depth stays
      }
    }
    const all = [this.runs, this.records, this.failures, this.refused, this.rateLimitWaits, this.rateLimitSeconds, this.runSeconds, this.busy, this.queue];
    return all.map(render).join('\n') + '\n';
  }
}

const RATE_LIMITED = /HTTP 429 rate limited, waiting (\d+) ms/;

/** A logger that also counts rate-limit waits (the HTTP layer reports each at debug level) into `metrics`. */
export function countingRateLimits(log: Logger, metrics: WorkerMetrics, pipeline: string): Logger {
  return {
    debug(message, fields) {
      const waited = RATE_LIMITED.exec(message);
      if (waited) {
        metrics.rateLimitWaits.add({ pipeline });
        metrics.rateLimitSeconds.add({ pipeline }, Number(waited[1]) / 1000);
      }
      log.debug(message, fields);
    },
    info: (m, f) => log.info(m, f),
    warn: (m, f) => log.warn(m, f),
    error: (m, f) => log.error(m, f),
    child: (scope) => countingRateLimits(log.child(scope), metrics, pipeline),
  };
}

/** Serves `/metrics` on host:port (port 0: any free one); resolves with the server and its port. */
export function serveMetrics(
  metrics: WorkerMetrics,
  depth: () => Promise<{ due: number; later: number; active: number }>,
  host: string,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    void metrics.text(depth).then((text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}
