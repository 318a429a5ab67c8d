/** The example RevRec pipeline's mapping, schedule and journals of one Chargebee document, for tests of what it posts. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPipeline } from '../../../engine/config/load.js';
import { runMappingCase } from '../../../engine/run/mapping-test.js';
import { installedConnectors } from '../../../app/registry.js';
import { parseRevenueDocument } from '../../../connectors/dualentry/documents.js';
import { PeriodCalendar } from '../../../domain/revrec/calendar.js';
import { documentSchedule, type ScheduleRow } from '../../../domain/revrec/schedule.js';
import { buildJournals, type JournalDraft } from '../../../domain/revrec/journal.js';
import { lookupAccountResolver } from '../../../domain/revrec/accounts.js';

const here = dirname(fileURLToPath(import.meta.url));
export const EXAMPLE = join(here, '..', '..', '..', 'pipelines', 'examples', 'chargebee-revrec-to-dualentry.yaml');

export async function examplePlan() {
  const { plan, problems } = await loadPipeline(EXAMPLE, { mode: 'validate', env: {}, connectorsDir: installedConnectors.descriptorsDir });
  if (!plan) throw new Error(JSON.stringify(problems));
  return plan;
}

/** Maps a Chargebee document through the example pipeline's stream and returns the revenue document record's data. */
export async function mapDocument(stream: 'invoices' | 'credit_notes', input: Record<string, unknown>): Promise<Record<string, unknown>> {
  const plan = await examplePlan();
  const result = await runMappingCase(plan, { name: 'x', stream, input });
  if (result.output.kind !== 'records') throw new Error(JSON.stringify(result.output));
  return result.output.records[0]!.data as Record<string, unknown>;
}

export const accountsOfExample = lookupAccountResolver(
  {
    accounts_receivable: 'revrec_accounts_receivable',
    deferred_revenue: 'revrec_deferred_revenue',
    revenue: 'revrec_revenue',
    contra_revenue: 'revrec_contra_revenue',
    tax_payable: 'revrec_tax_payable',
  },
  {
    revrec_accounts_receivable: { values: {}, default: '1200' },
    revrec_deferred_revenue: { values: {}, default: '2400' },
    revrec_revenue: { values: { SAAS: '4000', SERVICES: '4010', ROUNDING: '7990' }, default: '4000' },
    revrec_contra_revenue: { values: {}, default: '4900' },
    revrec_tax_payable: { values: {}, default: '2100' },
  },
);

/** Schedule rows and per-period journals of one Chargebee document as the example pipeline maps it. */
export async function scheduleOf(stream: 'invoices' | 'credit_notes', input: Record<string, unknown>, timezone = 'UTC') {
  const data = await mapDocument(stream, input);
  const doc = parseRevenueDocument(String(input['id']), data);
  const rows = documentSchedule(doc, new PeriodCalendar('month', timezone));
  const periods = [...new Set(rows.map((r) => r.period))].sort();
  const journals: Record<string, JournalDraft[]> = {};
  for (const p of periods) {
    journals[p] = buildJournals(
      rows.filter((r) => r.period === p).map((r) => ({ currency: doc.currency, accountingCode: r.accountingCode, component: r.component, amount: r.amount })),
      accountsOfExample,
    );
  }
  return { data, doc, rows, journals };
}

/** Net debit (debit − credit) on an account across journals, minor units. */
export function netOn(account: string, journals: Record<string, JournalDraft[]>): number {
  let net = 0;
  for (const list of Object.values(journals)) for (const j of list) for (const l of j.lines) if (l.account === account) net += l.debit - l.credit;
  return net;
}

export function sumComponent(rows: ScheduleRow[], component: ScheduleRow['component']): number {
  return rows.filter((r) => r.component === component).reduce((s, r) => s + r.amount, 0);
}

export const at = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h) / 1000;
