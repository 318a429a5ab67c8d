/**
 * `npm start`: a real sync against the built-in sandbox, no credentials and no network. Starts the
 * fake Chargebee and the fake target system on free loopback ports, runs the example pipeline
 * against them through the same base-URL environment variables a user would set, prints what
 * landed per entity, then runs again to show that an idle second run writes nothing.
 *
 *   npm start                 Chargebee → QuickBooks Online (the default)
 *   npm start -- intacct      Chargebee → Sage Intacct
 *   npm start -- dualentry    Chargebee → DualEntry revenue-recognition journals
 *   npm start -- jsonl        Chargebee → JSON Lines files
 *   npm start -- acumatica    Chargebee → Acumatica (customers, AR documents, payments, refunds)
 *   npm start -- metrics      Chargebee → a SQLite metrics database, then `ledgersync report … mrr`
 *   npm start -- <target> --keep   keeps the work folder (state file, pipeline copy, output) afterwards
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeChargebee, type FakeChargebee, type FakeChargebeeOptions } from '../test/fakes/chargebee/index.js';
import { qboPipelineEnv, startFakeQbo } from '../test/fakes/qbo/index.js';
import { startFakeIntacct } from '../test/fakes/intacct/index.js';
import { startFakeDualEntry } from '../test/fakes/dualentry/index.js';
import { startFakeAcumatica } from '../test/fakes/acumatica/index.js';
import { runPipeline, type RunSummary } from '../engine/run/runner.js';
import { createProgress } from '../engine/run/progress.js';
import { createLogger } from '../engine/log.js';
import { packageRoot } from '../engine/package-root.js';
import { installedConnectors } from './registry.js';
import { report } from './report.js';
import { pipelineVariables, isolatedPipelineEnv } from './pipeline-env.js';
import { asLedgersyncError, errorSummary, type ErrorSummary } from '../engine/errors.js';
import { exitCodeFor } from '../engine/exit-codes.js';

interface Target {
  pipeline: string;
  /** The fake Chargebee site, when not the default 300 customers. */
  chargebee?: FakeChargebeeOptions;
  /** Changes to a copy of the example the fake needs (its limits), when the example as shipped would not fit. */
  adapt?(pipeline: string): string;
  title: string;
  start(chargebee: FakeChargebee, work: string): Promise<{ env: Record<string, string>; close(): Promise<void>; landed(): string[] }>;
  /** What to show after the two runs (the metrics report). */
  finally?(run: { pipelinePath: string; statePath: string; env: Record<string, string | undefined> }): Promise<string>;
}

const SANDBOX_SECRET = 'sandbox-only-secret-key-0123456789';

const targets: Record<string, Target> = {
  qbo: {
    pipeline: 'chargebee-to-quickbooks.yaml',
    // Intuit allows a realm 500 requests and 40 batches a minute: the default site's first run needs a
    // little more and would sit out most of a minute; this one fits, and the demo ends in seconds.
    chargebee: { customers: 150 },
    title: 'QuickBooks Online',
    async start() {
      const qbo = await startFakeQbo();
      return {
        env: qboPipelineEnv(qbo),
        close: () => qbo.close(),
        landed: () => [],
      };
    },
  },
  intacct: {
    pipeline: 'chargebee-to-intacct.yaml',
    title: 'Sage Intacct',
    // The fake company is multi-currency (USD, EUR, GBP, JPY, KWD), as the fake site bills; the
    // example keeps single-currency, which refuses documents in any currency but its base one.
    adapt: (text) => text.replace('  multi_currency: false', '  multi_currency: true'),
    async start() {
      const intacct = await startFakeIntacct();
      const c = intacct.credentials;
      return {
        env: {
          INTACCT_SENDER_ID: c.senderId,
          INTACCT_SENDER_PASSWORD: c.senderPassword,
          INTACCT_COMPANY_ID: c.companyId,
          INTACCT_USER_ID: c.userId,
          INTACCT_USER_PASSWORD: c.userPassword,
          INTACCT_ENDPOINT_URL: intacct.url,
        },
        close: () => intacct.close(),
        landed: () => [],
      };
    },
  },
  dualentry: {
    pipeline: 'chargebee-revrec-to-dualentry.yaml',
    title: 'DualEntry',
    async start() {
      const ledger = await startFakeDualEntry();
      return {
        env: {
          DUALENTRY_API_KEY: ledger.apiKey,
          DUALENTRY_COMPANY_ID: String(ledger.companyId),
          DUALENTRY_BASE_URL: ledger.url,
          // The fake company's account for rounding KWD (3 decimals) to DualEntry's 2.
          DUALENTRY_ROUNDING_ACCOUNT: '7990',
        },
        close: () => ledger.close(),
        landed: () => {
          const entries = ledger.state.entries;
          const dates = entries.map((e) => String(e.date)).sort();
          return [
            `  journal entries posted: ${entries.length} (one per closed period and currency), ${dates[0] ?? '-'} … ${dates.at(-1) ?? '-'}`,
            ...entries
              .slice(-3)
              .map((e) => `    ${String(e.date)} ${String(e.currency_iso_4217_code ?? '')} ${e.items.length} lines, memo ${String(e.memo).slice(0, 70)}`),
          ];
        },
      };
    },
  },
  acumatica: {
    pipeline: 'chargebee-to-acumatica.yaml',
    title: 'Acumatica',
    // The example keeps the smallest licence's 100 requests a minute; the fake tenant has no limit.
    adapt: (text) =>
      text.replace('rate_limit: { requests: 100, per_seconds: 60, concurrency: 3 }', 'rate_limit: { requests: 100000, per_seconds: 60, concurrency: 4 }'),
    async start() {
      const tenant = await startFakeAcumatica();
      return {
        env: {
          ACUMATICA_URL: tenant.url,
          ACUMATICA_TENANT: tenant.tenant,
          ACUMATICA_CLIENT_ID: tenant.clientId,
          ACUMATICA_CLIENT_SECRET: tenant.clientSecret,
          ACUMATICA_USERNAME: tenant.username,
          ACUMATICA_PASSWORD: tenant.password,
        },
        close: () => tenant.close(),
        landed: () => {
          const count = (entity: string, filter: (r: Record<string, unknown>) => boolean = () => true) => tenant.state.records(entity).filter(filter).length;
          return [
            `  customers ${count('Customer')}, invoices ${count('Invoice', (r) => r['Type'] === 'Invoice')}, credit memos ${count('Invoice', (r) => r['Type'] === 'Credit Memo')}, payments ${count('Payment', (r) => r['Type'] === 'Payment')}, customer refunds ${count('Payment', (r) => r['Type'] === 'Customer Refund')}`,
            `  API seats still held: ${tenant.state.openSessions}; requests ${tenant.state.requests.length}`,
          ];
        },
      };
    },
  },
  jsonl: {
    pipeline: 'chargebee-to-jsonl.yaml',
    title: 'JSON Lines files',
    async start(_chargebee, work) {
      const out = join(work, 'out');
      return {
        env: { LEDGERSYNC_OUT: out },
        close: async () => {},
        landed: () =>
          readdirSync(out)
            .sort()
            .map((file) => {
              const lines = readFileSync(join(out, file), 'utf8').split('\n').filter(Boolean);
              return `  ${file.padEnd(22)} ${String(lines.length).padStart(6)} records   e.g. ${lines[0]?.slice(0, 80) ?? ''}…`;
            }),
      };
    },
  },
  metrics: {
    pipeline: 'chargebee-to-metrics.yaml',
    title: 'a SQLite metrics database',
    async start(_chargebee, work) {
      const database = join(work, 'metrics.db');
      return {
        env: { METRICS_DB_PATH: database },
        close: async () => {},
        landed: () => [`  database: ${database} (open it with any SQLite client or BI tool)`],
      };
    },
    async finally({ pipelinePath, statePath, env }) {
      const { text, warnings } = await report({
        connectors: installedConnectors,
        pipelinePath,
        kind: 'mrr',
        format: 'table',
        from: '2023-01',
        to: '2024-12',
        statePath,
        env,
      });
      return [
        `\nledgersync report ${pipelinePath} mrr --from 2023-01 --to 2024-12:\n`,
        text,
        ...warnings.map((w) => `warning: ${w}\n`),
        `\nthe same as a page with charts: add --format html --out mrr.html\n`,
      ].join('');
    },
  },
};

function table(summary: RunSummary): string {
  const rows = Object.entries(summary.streams).map(([name, c]) => [name, c.read, c.created, c.updated, c.skipped, c.failed].map(String));
  const header = ['entity (stream)', 'read', 'created', 'updated', 'skipped', 'failed'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** An error as a person reads it: what went wrong, then what to do. */
function errorLines(error: ErrorSummary): string {
  return `error: ${error.message}${error.fix ? `\nfix: ${error.fix}` : ''}\n`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const name = args.find((a) => a !== '--keep') ?? 'qbo';
  const target = targets[name];
  if (!target) {
    process.stderr.write(`unknown sandbox target '${name}': use one of ${Object.keys(targets).join(', ')}, and --keep to keep the work folder\n`);
    return 2;
  }
  const chargebee = await startFakeChargebee(target.chargebee ?? {});
  const work = mkdtempSync(join(tmpdir(), 'ledgersync-sandbox-'));
  const system = await target.start(chargebee, work);
  const example = join(packageRoot(), 'pipelines/examples', target.pipeline);
  const pipelinePath = target.adapt ? join(work, target.pipeline) : example;
  const pipelineText = target.adapt ? target.adapt(readFileSync(example, 'utf8')) : readFileSync(example, 'utf8');
  if (target.adapt) writeFileSync(pipelinePath, pipelineText);
  const env = isolatedPipelineEnv(process.env, pipelineVariables(pipelineText, pipelinePath), {
    CHARGEBEE_SITE: chargebee.site,
    CHARGEBEE_API_KEY: chargebee.apiKey,
    CHARGEBEE_BASE_URL: chargebee.url,
    LEDGERSYNC_SECRET_KEY: process.env['LEDGERSYNC_SECRET_KEY'] ?? SANDBOX_SECRET,
    ...system.env,
  });
  const statePath = join(work, 'state.db');
  process.stdout.write(
    `sandbox: fake Chargebee site '${chargebee.site}' at ${chargebee.url} → fake ${target.title}\n` +
      `sandbox: pipeline ${pipelinePath}\nsandbox: state ${statePath}\n` +
      `sandbox: work folder ${work} (${keep ? 'kept afterwards' : 'removed at the end; --keep keeps it'})\n\n`,
  );
  try {
    // Info level: a rate-limit wait or a retry is said as it happens, never a silent pause.
    const progress = createProgress(process.stdout);
    const log = createLogger({
      write: (line) => {
        progress.clearLine();
        process.stdout.write(line + '\n');
      },
    });
    const first = await runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env, log, progress });
    process.stdout.write(`\nfirst run: ${first.status} (exit ${first.exitCode}); what landed in ${target.title}:\n${table(first)}\n`);
    if (first.error) process.stdout.write(errorLines(first.error));
    for (const line of system.landed()) process.stdout.write(line + '\n');
    const second = await runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env, log, progress });
    const written = Object.values(second.streams).reduce((n, c) => n + c.written, 0);
    process.stdout.write(`\nsecond run, nothing changed in Chargebee: ${second.status}, ${written} records written\n${table(second)}\n`);
    if (second.error) process.stdout.write(errorLines(second.error));
    const exitCode = Math.max(first.exitCode, second.exitCode);
    if (!target.finally) return exitCode;
    // The report reads what the runs wrote: after a failed run there is nothing to show, and its error is already said.
    if (first.error || second.error) {
      process.stdout.write('\nthe report is skipped: the run did not succeed (see the error above)\n');
      return exitCode;
    }
    try {
      process.stdout.write(await target.finally({ pipelinePath, statePath, env }));
      return exitCode;
    } catch (error) {
      const e = asLedgersyncError(error);
      process.stdout.write(`\nthe report failed\n${errorLines(errorSummary(e))}`);
      return Math.max(exitCode, exitCodeFor({ error: e }));
    }
  } finally {
    await system.close();
    await chargebee.close();
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sandbox failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
