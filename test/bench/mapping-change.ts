/**
 * The figures of a mapping change on the sandbox data (`npm start`'s fake Chargebee, 300 customers,
 * into the fake QuickBooks Online): the wall time of `plan` beside the `run` it predicts, the
 * requests a plan makes per document, and, for each scripted mapping change, the updates the plan
 * predicted beside those the run made.
 *
 *   npm run build && node dist/test/bench/mapping-change.js [--json]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedConnectors } from '../../app/registry.js';
import { silentLogger } from '../../engine/log.js';
import { planPipeline, type PlanReport } from '../../engine/run/change-plan.js';
import { runPipeline, type RunSummary } from '../../engine/run/runner.js';
import { editFile } from '../e2e/helpers.js';
import { startFakeChargebee } from '../fakes/chargebee/index.js';
import { startFakeQbo } from '../fakes/qbo/index.js';
import { qboEnv } from '../connectors/quickbooks-online/e2e-harness.js';
import { packageRoot } from '../../engine/package-root.js';

const CHANGES: Array<{ name: string; edit: [string, string] }> = [
  { name: 'option customer_display_name → name_then_company', edit: ['customer_display_name: company_then_name', 'customer_display_name: name_then_company'] },
  { name: 'lookup tax_rates["NY State Tax"] 4 → 3', edit: ['NY State Tax: "4"', 'NY State Tax: "3"'] },
  { name: 'invoice mapping: PrivateNote prefix', edit: ['"Chargebee invoice " & id', '"Chargebee invoice #" & id'] },
];

interface Side {
  seconds: number;
  qboRequests: number;
  chargebeeRequests: number;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const cb = await startFakeChargebee({});
  const qbo = await startFakeQbo();
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-bench-plan-'));
  const pipelinePath = join(dir, 'chargebee-to-quickbooks.yaml');
  writeFileSync(pipelinePath, readFileSync(join(packageRoot(), 'pipelines/examples/chargebee-to-quickbooks.yaml'), 'utf8'));
  const statePath = join(dir, 'state.db');
  const env = qboEnv(cb, qbo);
  const common = { connectors: installedConnectors, pipelinePath, statePath, env, log: silentLogger };

  async function timed<T>(body: () => Promise<T>): Promise<{ value: T; side: Side }> {
    const qboBefore = qbo.state.requests.length;
    const cbBefore = cb.requests.length;
    const started = performance.now();
    const value = await body();
    return {
      value,
      side: {
        seconds: (performance.now() - started) / 1000,
        qboRequests: qbo.state.requests.length - qboBefore,
        chargebeeRequests: cb.requests.length - cbBefore,
      },
    };
  }
  const documents = (plan: PlanReport) =>
    Object.values(plan.streams).reduce((n, c) => n + c.create + c.update + c.adopt + c.void + c.delete + c.skip + c.fail, 0);
  const changed = (plan: PlanReport) => plan.changes.length;
  const written = (run: RunSummary) => Object.values(run.streams).reduce((n, c) => n + c.written, 0);
  const updated = (run: RunSummary) => Object.values(run.streams).reduce((n, c) => n + c.updated, 0);

  try {
    const firstPlan = await timed(() => planPipeline({ ...common }));
    const firstRun = await timed(() => runPipeline({ ...common }));
    const rows: Array<Record<string, unknown>> = [];
    rows.push({
      step: 'first sync (empty state)',
      plan: firstPlan.side,
      run: firstRun.side,
      documents: documents(firstPlan.value),
      predicted: changed(firstPlan.value),
      written: written(firstRun.value),
      qboRequestsPerDocument: firstPlan.side.qboRequests / documents(firstPlan.value),
    });
    for (const change of CHANGES) {
      editFile(pipelinePath, [change.edit]);
      const plan = await timed(() => planPipeline({ ...common, fullRefresh: true }));
      const run = await timed(() => runPipeline({ ...common, fullRefresh: true }));
      const again = await planPipeline({ ...common, fullRefresh: true });
      rows.push({
        step: change.name,
        plan: plan.side,
        run: run.side,
        documents: documents(plan.value),
        predicted: plan.value.changes.filter((c) => c.action === 'update' || c.action === 'void').length,
        updated: updated(run.value),
        created: Object.values(run.value.streams).reduce((n, c) => n + c.created, 0),
        leftAfter: changed(again),
        qboRequestsPerDocument: plan.side.qboRequests / documents(plan.value),
      });
    }
    const report = { loadAverage: loadavg().map((l) => Math.round(l * 100) / 100), rows };
    if (json) {
      process.stdout.write(JSON.stringify(report) + '\n');
      return;
    }
    process.stdout.write(`load average ${report.loadAverage.join(' ')}\n`);
    for (const row of rows) {
      const plan = row['plan'] as Side;
      const run = row['run'] as Side;
      process.stdout.write(
        `${String(row['step'])}\n` +
          `  plan ${plan.seconds.toFixed(2)} s (${plan.qboRequests} QuickBooks + ${plan.chargebeeRequests} Chargebee requests for ${String(row['documents'])} documents: ` +
          `${(row['qboRequestsPerDocument'] as number).toFixed(3)} QuickBooks requests a document)\n` +
          `  run  ${run.seconds.toFixed(2)} s (${run.qboRequests} QuickBooks + ${run.chargebeeRequests} Chargebee requests)\n` +
          ('updated' in row
            ? `  predicted ${String(row['predicted'])} update(s); the run updated ${String(row['updated'])}, created ${String(row['created'])}; a plan after it lists ${String(row['leftAfter'])}\n`
            : `  predicted ${String(row['predicted'])} write(s); the run wrote ${String(row['written'])}\n`),
      );
    }
  } finally {
    await Promise.all([cb.close(), qbo.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
