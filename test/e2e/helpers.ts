/** Shared set-up of the end-to-end tests: temp dirs, the example pipeline, reading JSONL output. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyValueStore, SecretStore } from '../../engine/connector/types.js';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const JSONL_PIPELINE = join(ROOT, 'pipelines/examples/chargebee-to-jsonl.yaml');
/** The executable; from the compiled tests (dist/test, as the benchmarks run) the repository's one above dist/. */
export const CLI = existsSync(join(ROOT, 'bin/ledgersync.js')) ? join(ROOT, 'bin/ledgersync.js') : join(ROOT, '..', 'bin', 'ledgersync.js');

export function tempDir(prefix = 'ledgersync-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function readJsonl(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Each (id, resource_version) pair and how many times it appears. */
export function versionCounts(rows: Array<Record<string, unknown>>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const key = `${String(row['id'])}@${String(row['resource_version'])}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export function chargebeeEnv(fake: { site: string; apiKey: string; url: string }, out: string): Record<string, string | undefined> {
  return {
    PATH: process.env['PATH'],
    CHARGEBEE_SITE: fake.site,
    CHARGEBEE_API_KEY: fake.apiKey,
    CHARGEBEE_BASE_URL: fake.url,
    LEDGERSYNC_OUT: out,
  };
}

/** Applies exact text replacements to a file; each `from` must be found, so a stale edit fails loudly. */
export function editFile(path: string, replacements: ReadonlyArray<readonly [string, string]>): void {
  let text = readFileSync(path, 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`text not found in ${path}: ${from}`);
    text = text.replace(from, to);
  }
  writeFileSync(path, text);
}

/** In-memory stand-ins for the state store's per-connector kv and secrets, for sink unit tests. */
export function memoryKeyValue(values = new Map<string, unknown>()): KeyValueStore {
  return { get: <T>(k: string) => values.get(k) as T | undefined, set: (k, v) => void values.set(k, v), delete: (k) => void values.delete(k) };
}

export function memorySecrets(values = new Map<string, string>()): SecretStore {
  return { get: (k) => values.get(k), set: (k, v) => void values.set(k, v) };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI run as a user runs it, in `cwd` (default the repository root), with only `env`. */
export function runCli(args: string[], env: Record<string, string | undefined> = { PATH: process.env['PATH'] }, cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
