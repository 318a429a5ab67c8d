/** Runs the CLI in a child process, SIGKILLs it once the fake has served `afterRequests` requests, then resumes. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { FakeChargebee } from '../fakes/chargebee/index.js';
import { expect } from 'vitest';
import { CLI, JSONL_PIPELINE, chargebeeEnv, readJsonl, versionCounts } from './helpers.js';

const STREAMS = ['customers', 'invoices', 'credit_notes', 'transactions'] as const;

export async function runCliUntilKilled(fake: FakeChargebee, dir: string, afterRequests: number): Promise<{ killed: boolean; code: number | null }> {
  const child = spawn(process.execPath, [CLI, 'run', JSONL_PIPELINE, '--state', join(dir, 'state.db'), '--json'], {
    env: chargebeeEnv(fake, join(dir, 'out')),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const start = fake.requests.length;
  let killed = false;
  const timer = setInterval(() => {
    if (!killed && fake.requests.length - start >= afterRequests) {
      killed = child.kill('SIGKILL');
    }
  }, 2);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(timer);
  return { killed, code };
}

export async function runCli(fake: FakeChargebee, dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'run', JSONL_PIPELINE, '--state', join(dir, 'state.db'), '--json'], {
    env: chargebeeEnv(fake, join(dir, 'out')),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

/** Every (id, resource_version) of every stream at most once, and every record of the fake present. */
export function assertExactlyOnce(fakeSite: FakeChargebee, dir: string): void {
  for (const stream of STREAMS) {
    const rows = readJsonl(join(dir, 'out', `${stream}.jsonl`));
    const duplicates = [...versionCounts(rows)].filter(([, n]) => n > 1);
    expect(duplicates, `${stream}: duplicated (id, resource_version)`).toEqual([]);
    const ids = new Set(rows.map((r) => String(r['id'])));
    expect(ids.size, `${stream}: every record present`).toBe(fakeSite.state.entries(stream).length);
  }
}
