/** Fake Chargebee + fake Intacct + a temp copy of an example pipeline, run through the engine's runner. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { editFile } from '../../e2e/helpers.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type RunOptions, type RunSummary } from '../../../engine/run/runner.js';
import { silentLogger } from '../../../engine/log.js';
import { StateStore, type DeadLetter } from '../../../engine/state/store.js';
import { installedConnectors } from '../../../app/registry.js';
import { startFakeChargebee, type FakeChargebee, type FakeChargebeeOptions } from '../../fakes/chargebee/index.js';
import { startFakeIntacct, type FakeIntacct, type FakeIntacctOptions } from '../../fakes/intacct/index.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';

export const ROOT = join(import.meta.dirname, '../../..');
export const FORWARD = join(ROOT, 'pipelines/examples/chargebee-to-intacct.yaml');
export const REVERSE = join(ROOT, 'pipelines/examples/intacct-payments-to-chargebee.yaml');

export interface Sandbox {
  cb: FakeChargebee;
  intacct: FakeIntacct;
  dir: string;
  statePath: string;
  pipelinePath: string;
  env: Record<string, string>;
  run(options?: Partial<RunOptions>): Promise<RunSummary>;
  /** Text replacements in the pipeline copy; each must hit. */
  edit(replacements: [string, string][]): void;
  /** The pipeline's dead letters, of one stream when named, as the state file holds them now. */
  deadLetters(stream?: string): DeadLetter[];
  close(): Promise<void>;
}

export function intacctEnv(cb: FakeChargebee, intacct: FakeIntacct): Record<string, string> {
  const c = intacct.credentials;
  return {
    CHARGEBEE_SITE: cb.site,
    CHARGEBEE_API_KEY: cb.apiKey,
    CHARGEBEE_BASE_URL: cb.url,
    INTACCT_SENDER_ID: c.senderId,
    INTACCT_SENDER_PASSWORD: c.senderPassword,
    INTACCT_COMPANY_ID: c.companyId,
    INTACCT_USER_ID: c.userId,
    INTACCT_USER_PASSWORD: c.userPassword,
    INTACCT_ENDPOINT_URL: intacct.url,
    LEDGERSYNC_SECRET_KEY: 'test-secret-key-0123456789abcdef',
  };
}

/** Test runs back off in milliseconds, not seconds. */
const fastRetry = (connector: string) =>
  [`  connector: ${connector}\n`, `  connector: ${connector}\n  retry: { base_delay_ms: 5, max_delay_ms: 50 }\n`] as [string, string];

export async function startSandbox(options: { cb?: FakeChargebeeOptions; intacct?: FakeIntacctOptions; pipeline?: string } = {}): Promise<Sandbox> {
  const cb = await startFakeChargebee({ customers: 12, ...options.cb });
  const intacct = await startFakeIntacct(options.intacct);
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-intacct-'));
  const source = options.pipeline ?? FORWARD;
  const pipelinePath = join(dir, 'pipeline.yaml');
  writeFileSync(pipelinePath, readFileSync(source, 'utf8'));
  const env = intacctEnv(cb, intacct);
  const statePath = join(dir, 'state.db');
  const name = /^name:\s*(\S+)/m.exec(readFileSync(source, 'utf8'))![1]!;
  const sandbox: Sandbox = {
    cb,
    intacct,
    dir,
    statePath,
    pipelinePath,
    env,
    run: (o = {}) => runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env, log: silentLogger, ...o }),
    edit: (replacements) => editFile(pipelinePath, replacements),
    deadLetters(stream) {
      const store = StateStore.open(statePath);
      try {
        return store.deadLetters(name, stream);
      } finally {
        store.close();
      }
    },
    async close() {
      await Promise.all([cb.close(), intacct.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  sandbox.edit([fastRetry('sage-intacct')]);
  // The fake company is multi-currency, as the fake site bills (USD, EUR, GBP, JPY, KWD): the
  // example's single-currency default would rightly refuse the foreign documents.
  if (source === FORWARD) sandbox.edit([['  multi_currency: false', '  multi_currency: true']]);
  return sandbox;
}

/** Points the sandbox's runs at a fault proxy in front of the fake Intacct, through INTACCT_ENDPOINT_URL as a user would set it. */
export async function behindFaultProxy(s: Sandbox): Promise<FaultProxy> {
  const target = new URL(s.intacct.url);
  const proxy = await startFaultProxy(target.origin);
  const endpoint = `${proxy.url}${target.pathname}`;
  s.env['INTACCT_ENDPOINT_URL'] = endpoint;
  s.intacct.advertiseEndpoint(endpoint);
  return proxy;
}
