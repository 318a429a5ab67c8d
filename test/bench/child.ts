/**
 * One measured side of the benchmark, in its own process so its peak memory is its own:
 *   baseline <url> <apiKey>             the bare paging loop over the listing, no engine
 *   engine <url> <apiKey> <dir>         the full engine: pages → JSONata → ledger → JSONL
 * The engine side maps with the compiled closures unless LEDGERSYNC_JSONATA=interpreter is in this
 * process's environment. Prints `{"records", "seconds", "cpuSeconds", "maxRssMb"}`.
 */
import { join } from 'node:path';
import { runPipeline } from '../../engine/run/runner.js';
import { silentLogger } from '../../engine/log.js';
import { packageRoot } from '../../engine/package-root.js';
import { installedConnectors } from '../../app/registry.js';

const [mode, url, apiKey, dir] = process.argv.slice(2) as [string, string, string, string | undefined];

async function baseline(): Promise<number> {
  const auth = 'Basic ' + Buffer.from(`${apiKey}:`).toString('base64');
  let offset: string | undefined;
  let records = 0;
  for (;;) {
    const query = new URLSearchParams({ limit: '100', 'sort_by[asc]': 'updated_at', ...(offset ? { offset } : {}) });
    const res = await fetch(`${url}/invoices?${query}`, { headers: { authorization: auth } });
    const body = (await res.json()) as { list: unknown[]; next_offset?: string };
    records += body.list.length;
    if (!body.next_offset) return records;
    offset = body.next_offset;
  }
}

async function engine(): Promise<number> {
  const summary = await runPipeline({
    connectors: installedConnectors,
    pipelinePath: join(packageRoot(), 'test/bench/pipeline.yaml'),
    statePath: join(dir!, 'state.db'),
    env: {
      CHARGEBEE_API_KEY: apiKey,
      CHARGEBEE_BASE_URL: url,
      LEDGERSYNC_OUT: join(dir!, 'out'),
      LEDGERSYNC_JSONATA: process.env['LEDGERSYNC_JSONATA'],
    },
    log: silentLogger,
  });
  if (summary.exitCode !== 0) throw new Error(`bench run failed: ${JSON.stringify(summary)}`);
  return summary.streams['invoices']!.written;
}

const cpu = process.cpuUsage();
const started = performance.now();
const records = mode === 'baseline' ? await baseline() : await engine();
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
process.stdout.write(
  JSON.stringify({ records, seconds, cpuSeconds: (used.user + used.system) / 1e6, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n',
);
