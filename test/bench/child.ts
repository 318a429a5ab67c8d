/**
 * One measured side of the benchmark, in its own process so its peak memory is its own:
 *   baseline <url> <apiKey>             the bare paging loop over the listing, no engine
 *   engine <url> <apiKey> <dir>         the full engine: pages → JSONata → ledger → JSONL
 * Prints `{"records", "seconds", "maxRssMb"}`.
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
    env: { CHARGEBEE_API_KEY: apiKey, CHARGEBEE_BASE_URL: url, LEDGERSYNC_OUT: join(dir!, 'out') },
    log: silentLogger,
  });
  if (summary.exitCode !== 0) throw new Error(`bench run failed: ${JSON.stringify(summary)}`);
  return summary.streams['invoices']!.written;
}

const started = performance.now();
const records = mode === 'baseline' ? await baseline() : await engine();
const seconds = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify({ records, seconds, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n');
