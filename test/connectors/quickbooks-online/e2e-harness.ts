/** Both fakes, a temp state dir and the example pipeline (optionally with other options), run through the engine's runner. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { editFile } from '../../e2e/helpers.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions, type RunSummary } from '../../../engine/run/runner.js';
import { silentLogger } from '../../../engine/log.js';
import { startFakeChargebee, type FakeChargebee, type FakeChargebeeOptions } from '../../fakes/chargebee/index.js';
import { qboPipelineEnv, startFakeQbo, type FakeQbo, type FakeQboOptions } from '../../fakes/qbo/index.js';
import { examplePipeline } from './harness.js';
import { installedConnectors } from '../../../app/registry.js';

export interface Sandbox {
  cb: FakeChargebee;
  qbo: FakeQbo;
  dir: string;
  statePath: string;
  pipelinePath: string;
  env: Record<string, string>;
  run(options?: Partial<RunOptions>): Promise<RunSummary>;
  /** Rewrites `options:` / `lookups:` lines of the pipeline copy: each [from, to] text replacement must hit. */
  edit(replacements: [string, string][]): void;
  close(): Promise<void>;
}

export async function startSandbox(cbOptions: FakeChargebeeOptions = {}, qboOptions: FakeQboOptions = {}): Promise<Sandbox> {
  const cb = await startFakeChargebee({ customers: 12, ...cbOptions });
  const qbo = await startFakeQbo(qboOptions);
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-qbo-'));
  const pipelinePath = join(dir, 'chargebee-to-quickbooks.yaml');
  writeFileSync(pipelinePath, readFileSync(examplePipeline, 'utf8'));
  const env = qboEnv(cb, qbo);
  const statePath = join(dir, 'state.db');
  return {
    cb,
    qbo,
    dir,
    statePath,
    pipelinePath,
    env,
    run: (options = {}) => runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env, log: silentLogger, ...options }),
    edit: (replacements) => editFile(pipelinePath, replacements),
    async close() {
      await Promise.all([cb.close(), qbo.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The environment the example pipeline reads, pointed at the two fakes. */
export function qboEnv(cb: FakeChargebee, qbo: FakeQbo): Record<string, string> {
  return {
    CHARGEBEE_SITE: cb.site,
    CHARGEBEE_API_KEY: cb.apiKey,
    CHARGEBEE_BASE_URL: cb.url,
    ...qboPipelineEnv(qbo),
    LEDGERSYNC_SECRET_KEY: 'test-secret-key-0123456789abcdef',
  };
}
