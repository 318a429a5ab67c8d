/**
 * `--format html`: one self-contained page to send to a CFO. Inline CSS and SVG only: no script, no
 * font, no image, no link; a Content-Security-Policy forbids the browser any request, so the file
 * opens the same offline, in a mail client's preview or from a shared drive, and prints on A4/Letter.
 */
import type { MetricsReports } from '../report.js';
import { formatMinor } from '../ratio.js';
import { churnRows, cohortRows, mrrRows } from './rows.js';
import { cohortHeatMap, escapeXml, MOVEMENT_COLOURS, movementsChart, mrrLineChart } from './svg.js';
import { groupThousands } from './table.js';

export interface HtmlOptions {
  /** Heading, e.g. the pipeline's name. */
  title: string;
  /** When the report was made (shown, so a printed copy says how old it is). */
  generatedAt: Date;
  /** IANA zone the month ends are in. */
  timezone: string;
}

const CSS = `
:root { color-scheme: light; --ink: #1a1a1a; --muted: #5f6368; --rule: #dadce0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1040px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 8px; }
p.meta, p.note { color: var(--muted); margin: 0 0 8px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin: 20px 0 8px; }
.card { border: 1px solid var(--rule); border-radius: 8px; padding: 12px 14px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.chart { display: block; max-width: 100%; height: auto; }
.chart .axis { font-size: 12px; fill: var(--muted); }
.chart .grid { stroke: #eceff1; stroke-width: 1; }
.chart .zero { stroke: #9aa0a6; stroke-width: 1; }
.chart .mrr-line { fill: none; stroke: #1565c0; stroke-width: 2.5; }
.chart .mrr-area { fill: #1565c0; fill-opacity: .08; }
.chart .mrr-dot { fill: #1565c0; }
.chart .net { stroke: #1a1a1a; stroke-width: 2; }
.chart .cell-text { font-size: 11px; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.negative { color: #b3261e; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; border-radius: 2px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media (max-width: 720px) { .cards { grid-template-columns: repeat(2, 1fr); } }
@media print {
  @page { margin: 14mm; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  section { break-inside: avoid; }
  .table-section { break-inside: auto; }
  a { color: inherit; text-decoration: none; }
}
`;

const e = escapeXml;

function cell(value: string, money = true): string {
  return `<td${value.startsWith('-') ? ' class="negative"' : ''}>${e(money ? groupThousands(value) : value)}</td>`;
}

function table(header: readonly string[], rows: readonly string[]): string {
  return `<table><thead><tr>${header.map((h) => `<th scope="col">${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function cards(reports: MetricsReports, grossChurn: string | null): string {
  const { currency, exponent } = reports.mrr;
  const last = reports.mrr.months.at(-1);
  if (!last) return '';
  const change = last.mrr - last.previousMrr;
  const card = (label: string, value: string) => `<div class="card"><div class="label">${e(label)}</div><div class="value">${e(value)}</div></div>`;
  return (
    `<div class="cards">` +
    card(`MRR ${last.month}`, `${groupThousands(formatMinor(last.mrr, exponent))} ${currency}`) +
    card(`Net change ${last.month}`, `${change > 0n ? '+' : ''}${groupThousands(formatMinor(change, exponent))} ${currency}`) +
    card(`Customers ${last.month}`, String(last.customers)) +
    card(`Gross revenue churn ${last.month}`, grossChurn === null ? '–' : `${grossChurn} %`) +
    `</div>`
  );
}

export function renderHtml(reports: MetricsReports, options: HtmlOptions): string {
  const currency = reports.mrr.currency;
  const mrr = mrrRows(reports.mrr);
  const churn = churnRows(reports.churn);
  const cohorts = cohortRows(reports.cohorts);
  const range = mrr.length ? `${mrr[0]?.month} to ${mrr.at(-1)?.month}` : 'no months';
  const legend = Object.entries(MOVEMENT_COLOURS)
    .map(([k, colour]) => `<span style="background:${colour}"></span>${e(k)}`)
    .join('');

  const mrrTable = table(
    ['Month', `MRR (${currency})`, 'Customers', 'New', 'Expansion', 'Contraction', 'Churn', 'Reactivation', 'Temporary discounts'],
    mrr.map(
      (r) =>
        `<tr>${cell(r.month, false)}${cell(r.mrr)}${cell(String(r.customers), false)}${cell(r.new)}${cell(r.expansion)}${cell(r.contraction)}${cell(r.churn)}${cell(r.reactivation)}${cell(r.temporary_discounts)}</tr>`,
    ),
  );
  const pct = (v: string | null) => (v === null ? '–' : `${v} %`);
  const churnTable = table(
    ['Month', 'Customers at start', 'Churned', 'Logo churn', `MRR at start (${currency})`, 'Lost MRR', 'Gross revenue churn', 'Net revenue churn'],
    churn.map(
      (r) =>
        `<tr>${cell(r.month, false)}${cell(String(r.customers_at_start), false)}${cell(String(r.churned_customers), false)}${cell(pct(r.logo_churn_rate), false)}${cell(r.mrr_at_start)}${cell(r.lost_mrr)}${cell(pct(r.gross_revenue_churn_rate), false)}${cell(pct(r.net_revenue_churn_rate), false)}</tr>`,
    ),
  );

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${e(options.title)}: subscription metrics</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${e(options.title)}</h1>
<p class="meta">Subscription metrics in ${e(currency)}, ${e(range)}; each month measured at its last second (${e(options.timezone)}). Generated ${e(options.generatedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'))}.</p>
</header>
${cards(reports, churn.at(-1)?.gross_revenue_churn_rate ?? null)}
<section>
<h2>Monthly recurring revenue</h2>
${mrrLineChart(mrr, currency)}
</section>
<section>
<h2>MRR movements</h2>
<p class="note legend">Per customer against the previous month end:${legend}</p>
${movementsChart(mrr, currency)}
</section>
<section>
<h2>Revenue retention by start month</h2>
<p class="note">Each row is the customers whose MRR began that month; M0 is that month, M1 the next. Cells show the cohort's MRR as a share of its starting MRR (above 100 %: expansion outgrew losses).</p>
${cohortHeatMap(cohorts)}
</section>
<section class="table-section">
<h2>Figures</h2>
${mrrTable}
<h2>Churn</h2>
<p class="note">Logo churn: customers lost ÷ customers at the previous month end. Gross revenue churn: (churn + contraction) ÷ MRR at the previous month end; net revenue churn also nets expansion.</p>
${churnTable}
</section>
<footer>MRR: active subscriptions' item prices × quantities normalised to a month, less permanent (forever) coupons; temporary discounts are shown apart. Amounts are exact to the minor unit of ${e(currency)}; movements sum to each month's change.</footer>
</main>
</body>
</html>
`;
}
