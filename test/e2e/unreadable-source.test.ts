/**
 * Transient garbage from the source: Chargebee (or a proxy in front of it) answering a listing with
 * an HTML page or a truncated body. Retried like a 5xx; when it persists, the run stops with exit 3
 * naming Chargebee, the content type and the first bytes — never exit 2 ("configuration error, do
 * not retry"), never a bare `Unexpected token '<'`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../app/registry.js';
import { silentLogger } from '../../engine/log.js';
import { runPipeline } from '../../engine/run/runner.js';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { CLI, JSONL_PIPELINE, ROOT, chargebeeEnv, readJsonl, tempDir } from './helpers.js';

let fake: FakeChargebee;
let proxy: FaultProxy;
let work: ReturnType<typeof tempDir>;
beforeEach(async () => {
  fake = await startFakeChargebee({ customers: 12 });
  proxy = await startFaultProxy(fake.url);
  work = tempDir('ledgersync-garbage-');
  // Retries back off in milliseconds here, not seconds.
  writeFileSync(
    pipeline(),
    readFileSync(JSONL_PIPELINE, 'utf8').replace('  connector: chargebee\n', '  connector: chargebee\n  retry: { base_delay_ms: 5, max_delay_ms: 40 }\n'),
  );
});
afterEach(async () => {
  await proxy.close();
  await fake.close();
  work.cleanup();
});

const pipeline = () => join(work.dir, 'chargebee-to-jsonl.yaml');
const env = () => ({ ...chargebeeEnv({ ...fake, url: proxy.url }, join(work.dir, 'out')) });
const run = () =>
  runPipeline({ connectors: installedConnectors, pipelinePath: pipeline(), statePath: join(work.dir, 'state.db'), env: env(), log: silentLogger });

describe('garbage answers to Chargebee listings', () => {
  it('an HTML page and a truncated page are retried; the sync completes with every customer once', async () => {
    proxy.inject({ method: 'GET', path: /\/customers/, fault: { kind: 'html-200' } });
    proxy.inject({ method: 'GET', path: /\/invoices/, fault: { kind: 'truncate' } });
    const summary = await run();
    expect(summary.exitCode, JSON.stringify(summary.error)).toBe(0);
    expect(proxy.injected).toBe(2);
    const ids = readJsonl(join(work.dir, 'out', 'customers.jsonl')).map((r) => r['id']);
    expect(ids.length).toBe(new Set(ids).size);
    expect(new Set(ids).size).toBe(fake.state.all('customers').length);
  }, 60_000);

  it.skipIf(!existsSync(join(ROOT, 'dist/app/cli.js')))(
    'garbage that persists exits 3 naming Chargebee and what came back, in text and in --json',
    async () => {
      proxy.inject({ method: 'GET', times: Infinity, fault: { kind: 'html-200' } });
      const cli = (args: string[]) =>
        new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [CLI, ...args], {
            cwd: ROOT,
            env: { PATH: process.env['PATH'] ?? '', ...env(), LEDGERSYNC_STATE: join(work.dir, 'state.db') } as Record<string, string>,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          child.on('exit', (code) => resolve({ code, stdout, stderr }));
        });
      const json = await cli(['run', pipeline(), '--json']);
      expect(json.code).toBe(3);
      const summary = JSON.parse(json.stdout) as { exit_code: number; error: { code: string; message: string; kind: string } };
      expect(summary).toMatchObject({ exit_code: 3, error: { code: 'unreadable_response', kind: 'transient' } });
      expect(summary.error.message).toMatch(
        /^Chargebee site '[a-z0-9-]+': GET \/\w+ answered HTTP 200 with an HTML page \(text\/html; charset=utf-8, \d+ bytes, starting "<!DOCTYPE html>\\n<html><head><title>Maintenance/,
      );
      const text = await cli(['run', pipeline()]);
      expect(text.code).toBe(3);
      expect(text.stdout + text.stderr).toMatch(/error: Chargebee site .* answered HTTP 200 with an HTML page/);
      expect(text.stdout + text.stderr).not.toMatch(/Unexpected token|^\s+at /m);
    },
    120_000,
  );
});
