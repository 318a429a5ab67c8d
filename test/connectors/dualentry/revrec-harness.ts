/** The revenue-recognition example run and posted through the engine against the fakes: its environment, a copy of it at loopback speed, `ledgersync post`, and a rig with DualEntry behind a fault proxy. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installedConnectors } from '../../../app/registry.js';
import { createDualEntrySink } from '../../../connectors/dualentry/index.js';
import { postCommand } from '../../../connectors/dualentry/post.js';
import { silentLogger, type Logger } from '../../../engine/log.js';
import { runConnectorCommand } from '../../../engine/run/command.js';
import { runPipeline } from '../../../engine/run/runner.js';
import type { FakeChargebee } from '../../fakes/chargebee/index.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { ROOT } from '../../e2e/helpers.js';

export const REVREC_PIPELINE_NAME = 'chargebee-revrec-to-dualentry';
const example = readFileSync(join(ROOT, 'pipelines/examples/chargebee-revrec-to-dualentry.yaml'), 'utf8');

/** The environment the example reads, pointed at the fakes; DualEntry at `dualEntryUrl` (a fault proxy in front of it). */
export function revrecEnv(chargebee: FakeChargebee, ledger: FakeDualEntry, dualEntryUrl = ledger.url): Record<string, string> {
  return {
    CHARGEBEE_SITE: chargebee.site,
    CHARGEBEE_API_KEY: chargebee.apiKey,
    CHARGEBEE_BASE_URL: chargebee.url,
    DUALENTRY_API_KEY: ledger.apiKey,
    DUALENTRY_COMPANY_ID: String(ledger.companyId),
    DUALENTRY_BASE_URL: dualEntryUrl,
  };
}

/** A copy of the example in `dir`, edited, without DualEntry's request limit (the fake has none); `sinkLines` add to the sink block (a retry policy). */
export function revrecPipelineCopy(dir: string, name: string, edit: (text: string) => string = (t) => t, sinkLines = ''): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    edit(example).replace(
      '  record_status: posted\n',
      `  record_status: posted\n  rate_limit: { requests: 100000, per_seconds: 1, concurrency: 4 }\n${sinkLines}`,
    ),
  );
  return path;
}

/** `ledgersync post` as the CLI runs it, without the process. */
export function postPeriod(options: { pipelinePath: string; statePath: string; period: string; repost?: boolean; env: Record<string, string>; log?: Logger }) {
  return runConnectorCommand({
    connectors: installedConnectors,
    connector: 'dualentry',
    command: postCommand(createDualEntrySink),
    pipelinePath: options.pipelinePath,
    statePath: options.statePath,
    values: { period: options.period, repost: options.repost ?? false },
    env: options.env,
    log: options.log ?? silentLogger,
  });
}

/** The example revenue-recognition pipeline over the fake Chargebee and a fake DualEntry behind a fault proxy. */
export interface PostRig {
  ledger: FakeDualEntry;
  proxy: FaultProxy;
  pipeline: string;
  statePath: string;
  env: Record<string, string>;
  run(): ReturnType<typeof runPipeline>;
  post(period: string, repost?: boolean, pipeline?: string): ReturnType<typeof runConnectorCommand>;
  close(): Promise<void>;
}

export async function postRig(chargebee: FakeChargebee, dir: string, tag: string, edit: (t: string) => string = (t) => t): Promise<PostRig> {
  const ledger = await startFakeDualEntry();
  const proxy = await startFaultProxy(ledger.url);
  const pipeline = revrecPipelineCopy(dir, `${tag}.yaml`, edit, '  retry: { max_attempts: 2, base_delay_ms: 5, max_delay_ms: 20 }\n');
  const statePath = join(dir, `${tag}.db`);
  const env = revrecEnv(chargebee, ledger, proxy.url);
  return {
    ledger,
    proxy,
    pipeline,
    statePath,
    env,
    run: () => runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env, log: silentLogger }),
    post: (period, repost = false, p = pipeline) => postPeriod({ pipelinePath: p, statePath, period, repost, env }),
    async close() {
      await proxy.close();
      await ledger.close();
    },
  };
}
