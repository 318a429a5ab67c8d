/**
 * `npm start`: a real sync against the built-in sandbox. Starts the fake Chargebee on a free
 * loopback port, runs the example pipeline against it through the same base_url override a user
 * could set, then runs it again to show that an idle second run writes nothing.
 * No credentials, no network.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeChargebee } from '../test/fakes/chargebee/index.js';
import { runPipeline } from './run/runner.js';
import { createProgress } from './run/progress.js';
import { createLogger } from './log.js';
import { packageRoot } from './package-root.js';

async function main(): Promise<number> {
  const fake = await startFakeChargebee({});
  const work = mkdtempSync(join(tmpdir(), 'ledgersync-sandbox-'));
  const out = join(work, 'out');
  const env = {
    ...process.env,
    CHARGEBEE_SITE: fake.site,
    CHARGEBEE_API_KEY: fake.apiKey,
    CHARGEBEE_BASE_URL: fake.url,
    LEDGERSYNC_OUT: out,
  };
  const pipelinePath = join(packageRoot(), 'pipelines/examples/chargebee-to-jsonl.yaml');
  const statePath = join(work, 'state.db');
  process.stdout.write(`sandbox: fake Chargebee site '${fake.site}' at ${fake.url}\nsandbox: pipeline ${pipelinePath}\nsandbox: state ${statePath}, output ${out}\n\n`);
  try {
    const log = createLogger({ level: 'warn' });
    const first = await runPipeline({ pipelinePath, statePath, env, log, progress: createProgress(process.stdout) });
    process.stdout.write(`\nfirst run: ${first.status}\n`);
    for (const file of readdirSync(out).sort()) {
      const lines = readFileSync(join(out, file), 'utf8').split('\n').filter(Boolean);
      process.stdout.write(`  ${file.padEnd(22)} ${String(lines.length).padStart(6)} records   e.g. ${lines[0]?.slice(0, 90) ?? ''}…\n`);
    }
    const second = await runPipeline({ pipelinePath, statePath, env, log, progress: createProgress(process.stdout) });
    const written = Object.values(second.streams).reduce((n, c) => n + c.written, 0);
    process.stdout.write(`\nsecond run (nothing changed in Chargebee): ${second.status}, ${written} records written\n`);
    return Math.max(first.exitCode, second.exitCode);
  } finally {
    await fake.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sandbox failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
