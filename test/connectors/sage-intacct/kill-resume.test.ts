/**
 * A run SIGKILLed right after Intacct applied a write request (before the answer reached it, so
 * before the ledger write), then resumed: Intacct must hold every document exactly once. The run
 * under test is a child process on the build (dist/), rebuilt first when a source is newer.
 * One random kill point by default; LEDGERSYNC_SOAK=1 repeats it at 20.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startSandbox, type Sandbox } from './e2e-harness.js';
import { creditNote, customer, invoice, payment, refund } from './scenario.js';

const child = join(ROOT, 'test', 'connectors', 'sage-intacct', 'kill-child.mjs');
const points = process.env['LEDGERSYNC_SOAK'] ? 20 : 1;
const builtEntry = join(ROOT, 'dist', 'connectors', 'sage-intacct', 'index.js');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/** `npm test` builds first; a lone run of this file builds when dist/ is missing or older than the sources it runs. */
function ensureBuilt(): void {
  const sources = Math.max(...['engine', 'connectors', join('test', 'fakes', 'intacct')].map((d) => newest(join(ROOT, d))));
  if (existsSync(builtEntry) && statSync(builtEntry).mtimeMs >= sources) return;
  const build = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (!existsSync(builtEntry)) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
}

interface Outcome {
  killPoint: number;
  killed: boolean;
  resumedExit: number;
  duplicates: number;
  missing: number;
}

function craft(s: Sandbox): void {
  customer(s.cb, 'cust_k');
  invoice(s.cb, 'inv_k1', 'cust_k', [{ id: 'l1', amount: 5_000, entityId: 'x', description: 'k1' }], { paid: 5_000 });
  invoice(s.cb, 'inv_k2', 'cust_k', [{ id: 'l2', amount: 5_000, entityId: 'x', description: 'k2' }]);
  payment(s.cb, 'txn_k', 'cust_k', 5_000, [{ invoiceId: 'inv_k1', amount: 5_000 }]);
  creditNote(s.cb, 'cn_k', 'cust_k', 1_000, { allocations: [{ invoiceId: 'inv_k2', amount: 1_000 }] });
  creditNote(s.cb, 'cn_kr', 'cust_k', 500, { type: 'refundable', refunds: [{ txnId: 'txn_kr', amount: 500 }] });
  refund(s.cb, 'txn_kr', 'cust_k', 500, 'cn_kr');
}

/** What a clean sync must leave in Intacct, and what it holds: natural keys per kind. */
function count(s: Sandbox): { duplicates: number; missing: number } {
  const liveCb = <T extends { deleted?: boolean }>(rows: readonly T[]) => rows.filter((r) => !r.deleted);
  const txns = liveCb(s.cb.state.all('transactions')).filter((t) => t.status === 'success');
  const expected: Record<string, string[]> = {
    customers: s.cb.state.all('customers').map((c) => c.id),
    invoices: liveCb(s.cb.state.all('invoices'))
      .filter((i) => i.status !== 'voided' && i.status !== 'pending')
      .map((i) => i.id)
      .concat(txns.filter((t) => t.type === 'refund').map((t) => `refund_${t.id}`)),
    adjustments: liveCb(s.cb.state.all('credit_notes'))
      .filter((c) => c.status !== 'voided')
      .map((c) => c.id),
    payments: txns.filter((t) => t.type === 'payment').map((t) => t.id),
    bills: txns.filter((t) => t.type === 'refund').map((t) => `bill_${t.id}`),
    apPayments: txns.filter((t) => t.type === 'refund').map((t) => `refund id - ${t.id}`),
  };
  const st = s.intacct.state;
  const held: Record<string, string[]> = {
    customers: [...st.customers.keys()],
    invoices: [...st.arDocuments.values()].filter((d) => d.kind === 'invoice').map((d) => d.RECORDID),
    adjustments: [...st.arDocuments.values()].filter((d) => d.kind === 'adjustment').map((d) => d.RECORDID),
    payments: [...st.arPayments.values()].map((p) => p.DOCNUMBER),
    bills: [...st.bills.values()].map((b) => b.RECORDID),
    apPayments: [...st.apPayments.values()].map((p) => p.DESCRIPTION),
  };
  let duplicates = 0;
  let missing = 0;
  for (const [kind, keys] of Object.entries(held)) {
    duplicates += keys.length - new Set(keys).size;
    missing += expected[kind]!.filter((k) => !keys.includes(k)).length;
  }
  const applications = st.applications.map((a) => `${a.PAYMENTKEY}>${a.RECORDKEY}:${a.amount}`);
  duplicates += applications.length - new Set(applications).size;
  // Every invoice is paid or credited exactly as far as Chargebee says: an application missing or doubled shows here.
  for (const d of st.arDocuments.values()) if (d.kind === 'invoice' ? d.applied > d.total : d.applied < d.total) duplicates++;
  return { duplicates, missing };
}

async function killAndResume(killPoint: number): Promise<Outcome> {
  const s = await startSandbox();
  try {
    craft(s);
    let writes = 0;
    let killed = false;
    let proc: ChildProcess | undefined;
    await new Promise<void>((resolve) => {
      s.intacct.faults.afterWrite = async () => {
        if (++writes !== killPoint || !proc) return;
        killed = proc.kill('SIGKILL');
        await new Promise<void>((r) => (proc!.exitCode !== null || proc!.signalCode !== null ? r() : proc!.once('exit', () => r())));
        resolve();
      };
      proc = spawn(process.execPath, [child, s.pipelinePath, s.statePath], { env: { ...process.env, ...s.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      proc.once('exit', () => resolve());
    });
    s.intacct.faults.afterWrite = undefined;
    const resumed = await s.run();
    return { killPoint, killed, resumedExit: resumed.exitCode, ...count(s) };
  } finally {
    await s.close();
  }
}

describe('SIGKILL between the Intacct write and the ledger write', () => {
  beforeAll(() => ensureBuilt(), 240_000);

  it(`resumes without a duplicate or a lost document at ${points} random kill points`, async () => {
    const outcomes: Outcome[] = [];
    // A clean run of this sandbox sends 8 write requests; kill within them.
    for (let i = 0; i < points; i++) outcomes.push(await killAndResume(1 + Math.floor(Math.random() * 8)));
    console.log(`intacct kill-and-resume: ${JSON.stringify(outcomes)}`);
    for (const o of outcomes) {
      expect(o.killed, `kill point ${o.killPoint}`).toBe(true);
      expect(o, `kill point ${o.killPoint}`).toMatchObject({ resumedExit: 0, duplicates: 0, missing: 0 });
    }
  }, 600_000);
});
