/** Shared by the metrics end-to-end tests: the example pipeline (or a copy with other settings) and `ledgersync report` through the built CLI. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { CLI, ROOT } from './helpers.js';

export const METRICS_PIPELINE = join(ROOT, 'pipelines/examples/chargebee-to-metrics.yaml');

/** The built CLI the report tests spawn; a clear failure when `npm run build` has not run. */
export function requireBuiltCli(): void {
  if (!existsSync(join(ROOT, 'dist/app/cli.js'))) throw new Error('dist/app/cli.js is missing: run npm run build first (npm test does)');
}

/** A copy of the example pipeline in `dir` with some top-level settings replaced (comments kept). */
export function pipelineCopy(
  dir: string,
  changes: { timezone?: string; reportingCurrency?: string; exchangeRates?: Record<string, unknown> },
  name = 'metrics.yaml',
): string {
  const doc = parseDocument(readFileSync(METRICS_PIPELINE, 'utf8'));
  if (changes.timezone !== undefined) doc.setIn(['timezone'], changes.timezone);
  if (changes.reportingCurrency !== undefined) doc.setIn(['options', 'reporting_currency'], changes.reportingCurrency);
  if (changes.exchangeRates !== undefined) doc.setIn(['lookups', 'exchange_rates', 'values'], doc.createNode(changes.exchangeRates));
  const file = join(dir, name);
  writeFileSync(file, doc.toString());
  return file;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `ledgersync <args>` with exactly `env` (plus PATH): no Chargebee variable unless given. */
export function ledgersync(args: readonly string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
