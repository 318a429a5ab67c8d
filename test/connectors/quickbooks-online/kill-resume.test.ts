/**
 * A run killed with SIGKILL right after QuickBooks applied a write (before the response, so before
 * the ledger write), then resumed: QBO must hold every document exactly once. The run under test is
 * a child process on the build (dist/), rebuilt first when a source is newer.
 * Two random kill points by default; LEDGERSYNC_SOAK=1 repeats it at 20 (LEDGERSYNC_KILL_POINTS to choose).
 * Nothing changes in Chargebee between the kill and the resume, so every update the resumed run
 * sends is a re-send of a write the killed run had landed: there must be none.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from './e2e-harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const child = join(root, 'test', 'connectors', 'quickbooks-online', 'kill-child.mjs');
const points = Number(process.env['LEDGERSYNC_KILL_POINTS'] ?? (process.env['LEDGERSYNC_SOAK'] ? 20 : 2));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const builtFiles = ['app/registry.js', 'connectors/quickbooks-online/sink.js', 'engine/run/runner.js', 'test/fakes/qbo/index.js'].map((f) =>
  join(root, 'dist', f),
);

/** `npm test` builds first; a lone `vitest run` of this file builds only when dist/ is missing or older than a source. */
function ensureBuilt(): void {
  const built = Math.min(...builtFiles.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  const newest = Math.max(...['app', 'domain', 'engine', 'connectors', join('test', 'fakes')].map((d) => newestSource(join(root, d))));
  if (built > newest) return;
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (builtFiles.some((f) => !existsSync(f))) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
}

interface KillOutcome {
  killPoint: number;
  killed: boolean;
  resumedExit: number;
  duplicates: number;
  missing: number;
  /** Updates the resumed run sent: re-sends of documents the killed run had written as they are. */
  resent: number;
}

/** What a clean sync of the fake site must leave in QBO, per object. */
function expectedCounts(s: Sandbox): Record<string, number> {
  const live = <T extends { deleted?: boolean }>(rows: T[]) => rows.filter((r) => !r.deleted);
  const txns = live(s.cb.state.all('transactions')).filter((t) => t.status === 'success');
  return {
    Customer: live(s.cb.state.all('customers')).length,
    Item: live(s.cb.state.all('item_prices')).length,
    Invoice: live(s.cb.state.all('invoices')).length,
    CreditMemo: live(s.cb.state.all('credit_notes')).length,
    Payment: txns.filter((t) => t.type === 'payment').length,
    JournalEntry: txns.filter((t) => t.type === 'refund').length,
  };
}

const naturalKey: Record<string, string> = {
  Customer: 'Notes',
  Item: 'Sku',
  Invoice: 'DocNumber',
  CreditMemo: 'DocNumber',
  Payment: 'PaymentRefNum',
  JournalEntry: 'DocNumber',
};

async function killAndResume(killPoint: number): Promise<KillOutcome> {
  const s = await startSandbox();
  try {
    let writes = 0;
    let proc: ChildProcess | undefined;
    let killed = false;
    const exited = new Promise<void>((resolve) => {
      s.qbo.faults.afterWrite = async () => {
        if (++writes !== killPoint || !proc) return;
        killed = proc.kill('SIGKILL');
        await new Promise<void>((r) => (proc!.exitCode !== null || proc!.signalCode !== null ? r() : proc!.once('exit', () => r())));
        resolve();
      };
      proc = spawn(process.execPath, [child, s.pipelinePath, s.statePath], { env: { ...process.env, ...s.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      proc.once('exit', () => resolve());
    });

    await exited;

    s.qbo.faults.afterWrite = undefined;
    const writesBefore = s.qbo.state.writes.length;
    const resumed = await s.run();
    const resent = s.qbo.state.writes.slice(writesBefore).filter((w) => w.operation === 'update').length;

    const expected = expectedCounts(s);
    let duplicates = 0;
    let missing = 0;
    for (const [object, count] of Object.entries(expected)) {
      const keys = s.qbo.state.entities(object).map((e) => String(e[naturalKey[object]!]));
      duplicates += keys.length - new Set(keys).size;
      missing += Math.max(0, count - new Set(keys).size);
    }
    return { killPoint, killed, resumedExit: resumed.exitCode, duplicates, missing, resent };
  } finally {
    await s.close();
  }
}

describe('SIGKILL between the QuickBooks write and the ledger write', () => {
  beforeAll(() => ensureBuilt(), 180_000);

  it(`resumes without a duplicate or a lost document at ${points} random kill points`, async () => {
    const outcomes: KillOutcome[] = [];
    for (let i = 0; i < points; i++) outcomes.push(await killAndResume(1 + Math.floor(Math.random() * 130)));
    console.log(`kill-and-resume: ${JSON.stringify(outcomes)}; re-sent after ${points} kills: ${outcomes.reduce((n, o) => n + o.resent, 0)}`);
    for (const o of outcomes) {
      expect(o.killed, `kill point ${o.killPoint}`).toBe(true);
      expect(o, `kill point ${o.killPoint}`).toMatchObject({ resumedExit: 0, duplicates: 0, missing: 0, resent: 0 });
    }
  }, 600_000);
});
