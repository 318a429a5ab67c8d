/**
 * `ledgersync post` whose journal's answer was lost and could not be looked up (exit 3), retried
 * after the period changed (an invoice voided meanwhile): the entry the first attempt landed is
 * adopted and recorded as what it holds, not as the new plan, so the ledger says what DualEntry has
 * and the amounts planned since stay to post (in the next period, as the poster does for a currency
 * posted already). Before, the ledger recorded the new plan under the old entry: the difference was
 * never posted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { createDualEntrySink } from '../../../connectors/dualentry/index.js';
import { postCommand } from '../../../connectors/dualentry/post.js';
import { silentLogger } from '../../../engine/log.js';
import { runConnectorCommand } from '../../../engine/run/command.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { StateStore } from '../../../engine/state/store.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { ROOT } from '../../e2e/helpers.js';

const NAME = 'chargebee-revrec-to-dualentry';
const example = readFileSync(join(ROOT, 'pipelines/examples/chargebee-revrec-to-dualentry.yaml'), 'utf8');
let chargebee: FakeChargebee;
const dir = mkdtempSync(join(tmpdir(), 'ledgersync-post-adopt-'));
beforeAll(async () => {
  chargebee = await startFakeChargebee({ customers: 12, seed: 7 });
});
afterAll(async () => {
  await chargebee.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Rig {
  ledger: FakeDualEntry;
  proxy: FaultProxy;
  pipeline: string;
  statePath: string;
  env: Record<string, string>;
  run(): ReturnType<typeof runPipeline>;
  post(period: string, repost?: boolean, pipeline?: string): ReturnType<typeof runConnectorCommand>;
  close(): Promise<void>;
}

async function rig(tag: string, edit: (t: string) => string = (t) => t): Promise<Rig> {
  const ledger = await startFakeDualEntry();
  const proxy = await startFaultProxy(ledger.url);
  const pipeline = join(dir, `${tag}.yaml`);
  writeFileSync(
    pipeline,
    edit(example).replace(
      '  record_status: posted\n',
      '  record_status: posted\n  rate_limit: { requests: 100000, per_seconds: 1, concurrency: 4 }\n  retry: { max_attempts: 2, base_delay_ms: 5, max_delay_ms: 20 }\n',
    ),
  );
  const statePath = join(dir, `${tag}.db`);
  const env = {
    CHARGEBEE_SITE: chargebee.site,
    CHARGEBEE_API_KEY: chargebee.apiKey,
    CHARGEBEE_BASE_URL: chargebee.url,
    DUALENTRY_API_KEY: ledger.apiKey,
    DUALENTRY_COMPANY_ID: String(ledger.companyId),
    DUALENTRY_BASE_URL: proxy.url,
  };
  return {
    ledger,
    proxy,
    pipeline,
    statePath,
    env,
    run: () => runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env, log: silentLogger }),
    post: (period, repost = false, p = pipeline) =>
      runConnectorCommand({
        connectors: installedConnectors,
        connector: 'dualentry',
        command: postCommand(createDualEntrySink),
        pipelinePath: p,
        statePath,
        values: { period, repost },
        env,
        log: silentLogger,
      }),
    async close() {
      await proxy.close();
      await ledger.close();
    },
  };
}

type Doc = Record<string, unknown>;
const docs = (kind: 'invoices' | 'credit_notes') => chargebee.state.all(kind) as unknown as Doc[];

function scaled(text: string, currency: string): bigint {
  const exponent = currency === 'JPY' ? 0 : currency === 'KWD' ? 3 : 2;
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(exponent, '0'));
}
const currentMonth = () => new Date().toISOString().slice(0, 7);
const voidable = (currency?: string) =>
  docs('invoices').find(
    (i) => i['status'] === 'paid' && !i['deleted'] && (i['date'] as number) >= Date.UTC(2023, 0, 1) / 1000 && (!currency || i['currency_code'] === currency),
  )!;

/** Receivables per currency as the state's postings of `month` record them. */
function recordedReceivables(statePath: string, month: string): Record<string, bigint> {
  const state = StateStore.open(statePath);
  try {
    const postings =
      state
        .keyValue(NAME, 'dualentry')
        .get<Array<{ currency: string; lines: Array<{ account: string; debit: number; credit: number }> }>>(`revrec:postings:${month}`) ?? [];
    const r: Record<string, bigint> = {};
    for (const p of postings)
      for (const l of p.lines.filter((l) => l.account === '1200')) r[p.currency] = (r[p.currency] ?? 0n) + BigInt(l.debit) - BigInt(l.credit);
    return r;
  } finally {
    state.close();
  }
}

/** Receivables per currency DualEntry holds in the entries dated in `month`. */
function heldReceivables(ledger: FakeDualEntry, month: string): Record<string, bigint> {
  const r: Record<string, bigint> = {};
  for (const entry of ledger.state.entries.filter((e) => e.date.startsWith(month))) {
    const c = entry.currency_iso_4217_code;
    for (const item of entry.items.filter((i) => i.account_number === 1200)) r[c] = (r[c] ?? 0n) + scaled(item.debit, c) - scaled(item.credit, c);
  }
  return r;
}

describe('ledgersync post: an earlier attempt adopted after the period changed', () => {
  it('records what the adopted entry holds, so what was planned since is still to post', async () => {
    const r = await rig('adopt');
    try {
      expect((await r.run()).exitCode).toBe(0);
      const x = voidable();
      const currency = x['currency_code'] as string;
      chargebee.state.touch('invoices', x['id'] as string, { status: 'voided' });
      expect((await r.run()).exitCode).toBe(0);
      // The journal lands, its answer is lost, and the look-up cannot tell: exit 3, the attempt pending.
      r.proxy.inject({ method: 'POST', path: /journal-entries/, fault: { kind: 'status', status: 503 } });
      r.proxy.inject({ method: 'GET', path: /journal-entries/, times: Infinity, fault: { kind: 'status', status: 503, forward: false } });
      const lost = await r.post(currentMonth());
      expect(lost.exitCode).toBe(3);
      r.proxy.clear();
      const month = currentMonth();
      const entriesBefore = r.ledger.state.entries.length;

      const y = voidable(currency);
      chargebee.state.touch('invoices', y['id'] as string, { status: 'voided' });
      expect((await r.run()).exitCode).toBe(0);
      const retried = await r.post(month);
      expect(retried.exitCode).toBe(0);
      // Adopted, not posted again.
      expect(r.ledger.state.entries.length).toBe(entriesBefore);
      expect(recordedReceivables(r.statePath, month)).toEqual(heldReceivables(r.ledger, month));
    } finally {
      await r.close();
    }
  });
});
