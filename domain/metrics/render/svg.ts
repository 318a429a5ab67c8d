/**
 * Charts as inline SVG strings, no script and no external resource: an MRR line, movement bars and a
 * cohort heat map. Geometry uses floats, which is fine for pixels; the figures printed in labels and
 * tooltips are the exact decimal strings of the report.
 */
import type { MrrRow, CohortRow } from './rows.js';
import { groupThousands } from './table.js';

export const MOVEMENT_COLOURS = {
  new: '#2e7d32',
  expansion: '#81c784',
  reactivation: '#00897b',
  contraction: '#f57c00',
  churn: '#c62828',
} as const;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string);
}

const WIDTH = 960;
const HEIGHT = 320;
const MARGIN = { top: 16, right: 44, bottom: 44, left: 84 };
const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;

/** 1, 2 or 5 × a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function ticks(low: number, high: number, count = 5): number[] {
  const step = niceStep((high - low) / count || 1);
  const first = Math.floor(low / step) * step;
  const out: number[] = [];
  for (let v = first; v <= high + step * 1e-9; v += step) out.push(Math.round(v / step) * step);
  if ((out.at(-1) ?? 0) < high) out.push((out.at(-1) ?? 0) + step);
  return out;
}

const axisNumber = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const f = (n: number) => n.toFixed(1);

function monthLabels(months: readonly string[], x: (i: number) => number): string {
  // At most about twelve labels, spaced evenly and always including the last month.
  const every = Math.max(1, Math.ceil(months.length / 12));
  const phase = (months.length - 1) % every;
  return months
    .map((m, i) => (i % every === phase ? `<text x="${f(x(i))}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle" class="axis">${m}</text>` : ''))
    .join('');
}

function yAxis(values: number[], y: (v: number) => number): string {
  return values
    .map(
      (v) =>
        `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${f(y(v))}" y2="${f(y(v))}" class="${v === 0 ? 'zero' : 'grid'}"/>` +
        `<text x="${MARGIN.left - 8}" y="${f(y(v) + 4)}" text-anchor="end" class="axis">${axisNumber.format(v)}</text>`,
    )
    .join('');
}

function svg(id: string, title: string, body: string, height = HEIGHT): string {
  return (
    `<svg class="chart" id="${id}" data-chart="${id}" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-labelledby="${id}-title" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${escapeXml(title)}</title>${body}</svg>`
  );
}

export function mrrLineChart(rows: readonly MrrRow[], currency: string): string {
  if (rows.length === 0) return svg('mrr-chart', 'MRR: no months', `<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">No data</text>`);
  const values = rows.map((r) => Number(r.mrr));
  const scale = ticks(0, Math.max(...values, 1));
  const top = scale.at(-1) as number;
  const x = (i: number) => MARGIN.left + (rows.length === 1 ? plotWidth / 2 : (i * plotWidth) / (rows.length - 1));
  const y = (v: number) => MARGIN.top + plotHeight - (v / top) * plotHeight;
  const points = values.map((v, i) => `${f(x(i))},${f(y(v))}`);
  const area = `M${f(x(0))},${f(y(0))} L${points.join(' L')} L${f(x(values.length - 1))},${f(y(0))} Z`;
  const dots = rows
    .map(
      (r, i) =>
        `<circle cx="${f(x(i))}" cy="${f(y(values[i] as number))}" r="3.5" class="mrr-dot"><title>${r.month}: ${groupThousands(r.mrr)} ${currency}, ${r.customers} customers</title></circle>`,
    )
    .join('');
  return svg(
    'mrr-chart',
    `MRR in ${currency} at each month end`,
    yAxis(scale, y) +
      `<path d="${area}" class="mrr-area"/><polyline points="${points.join(' ')}" class="mrr-line"/>` +
      dots +
      monthLabels(
        rows.map((r) => r.month),
        x,
      ),
  );
}

const UP = ['new', 'expansion', 'reactivation'] as const;
const DOWN = ['contraction', 'churn'] as const;

export function movementsChart(rows: readonly MrrRow[], currency: string): string {
  if (rows.length === 0) return svg('movements-chart', 'MRR movements: no months', '');
  const up = rows.map((r) => UP.reduce((s, k) => s + Number(r[k]), 0));
  const down = rows.map((r) => DOWN.reduce((s, k) => s + Number(r[k]), 0));
  const scale = ticks(Math.min(0, ...down), Math.max(1, ...up));
  const low = scale[0] as number;
  const high = scale.at(-1) as number;
  const band = plotWidth / rows.length;
  const barWidth = Math.max(2, Math.min(40, band * 0.6));
  const y = (v: number) => MARGIN.top + ((high - v) / (high - low)) * plotHeight;
  const x = (i: number) => MARGIN.left + band * i + band / 2;
  const bars = rows
    .map((r, i) => {
      let out = '';
      let above = 0;
      let below = 0;
      for (const key of [...UP, ...DOWN]) {
        const value = Number(r[key]);
        if (value === 0) continue;
        const from = value > 0 ? above : below;
        const to = from + value;
        if (value > 0) above = to;
        else below = to;
        const top = y(Math.max(from, to));
        const height = Math.max(0.5, Math.abs(y(from) - y(to)));
        out += `<rect x="${f(x(i) - barWidth / 2)}" y="${f(top)}" width="${f(barWidth)}" height="${f(height)}" fill="${MOVEMENT_COLOURS[key]}" class="bar bar-${key}"><title>${r.month} ${key}: ${groupThousands(r[key])} ${currency}</title></rect>`;
      }
      const net = Number(r.new) + Number(r.expansion) + Number(r.reactivation) + Number(r.contraction) + Number(r.churn);
      out += `<line x1="${f(x(i) - barWidth / 2 - 3)}" x2="${f(x(i) + barWidth / 2 + 3)}" y1="${f(y(net))}" y2="${f(y(net))}" class="net"><title>${r.month} net change</title></line>`;
      return out;
    })
    .join('');
  const legend = [...UP, ...DOWN]
    .map(
      (key, i) =>
        `<rect x="${MARGIN.left + i * 130}" y="${HEIGHT - 14}" width="12" height="12" fill="${MOVEMENT_COLOURS[key]}"/><text x="${MARGIN.left + i * 130 + 18}" y="${HEIGHT - 4}" class="axis">${key}</text>`,
    )
    .join('');
  const netLegend = `<line x1="${MARGIN.left + 5 * 130}" x2="${MARGIN.left + 5 * 130 + 14}" y1="${HEIGHT - 8}" y2="${HEIGHT - 8}" class="net"/><text x="${MARGIN.left + 5 * 130 + 20}" y="${HEIGHT - 4}" class="axis">net change</text>`;
  return svg(
    'movements-chart',
    `MRR movements in ${currency} per month`,
    yAxis(scale, y) +
      bars +
      monthLabels(
        rows.map((r) => r.month),
        x,
      ) +
      legend +
      netLegend,
  );
}

/** One hue, darker as retention rises: 0 % near white, 100 % deep blue, above 100 % on to indigo (capped at 150 %). */
export function retentionColour(retention: number): { fill: string; ink: string } {
  const clamped = Math.min(Math.max(retention, 0), 150);
  const lightness = 97 - (clamped / 150) * 72;
  const hue = clamped <= 100 ? 205 : 205 + ((clamped - 100) / 50) * 45;
  return { fill: `hsl(${hue.toFixed(0)}, 70%, ${lightness.toFixed(0)}%)`, ink: lightness < 58 ? '#fff' : '#1a1a1a' };
}

export function cohortHeatMap(cohorts: readonly CohortRow[]): string {
  if (cohorts.length === 0)
    return svg('cohort-chart', 'Revenue retention by start month: no cohorts', `<text x="${WIDTH / 2}" y="40" text-anchor="middle">No cohorts</text>`, 80);
  const ages = Math.max(...cohorts.map((c) => c.months.length));
  const labelWidth = 150;
  const cellWidth = Math.min(64, (WIDTH - labelWidth - 8) / ages);
  const cellHeight = 24;
  const headerHeight = 24;
  const height = headerHeight + cohorts.length * cellHeight + 8;
  const labelEvery = cellWidth >= 26 ? 1 : 3;
  const header = Array.from({ length: ages }, (_, i) =>
    i % labelEvery === 0 ? `<text x="${f(labelWidth + i * cellWidth + cellWidth / 2)}" y="16" text-anchor="middle" class="axis">M${i}</text>` : '',
  ).join('');
  const body = cohorts
    .map((c, row) => {
      const top = headerHeight + row * cellHeight;
      const label = `<text x="${labelWidth - 8}" y="${top + 16}" text-anchor="end" class="axis">${c.cohort} (${c.customers})</text>`;
      const cells = c.months
        .map((m, i) => {
          const retention = m.revenue_retention === null ? 0 : Number(m.revenue_retention);
          const { fill, ink } = retentionColour(retention);
          const text = m.revenue_retention === null ? '–' : `${Math.round(retention)}%`;
          return (
            `<rect x="${f(labelWidth + i * cellWidth)}" y="${top}" width="${f(cellWidth - 2)}" height="${cellHeight - 2}" fill="${fill}" class="cell">` +
            `<title>${c.cohort} at ${m.month}: ${m.revenue_retention ?? '–'} % of starting MRR, ${m.customers} of ${c.customers} customers</title></rect>` +
            (cellWidth >= 30
              ? `<text x="${f(labelWidth + i * cellWidth + (cellWidth - 2) / 2)}" y="${top + 15}" text-anchor="middle" fill="${ink}" class="cell-text">${text}</text>`
              : '')
          );
        })
        .join('');
      return label + cells;
    })
    .join('');
  const scaleTop = height + 4;
  const scale = [0, 25, 50, 75, 100, 125, 150]
    .map((r, i) => {
      const { fill } = retentionColour(r);
      const x = labelWidth + i * 56;
      return `<rect x="${x}" y="${scaleTop}" width="54" height="12" fill="${fill}"/><text x="${x + 27}" y="${scaleTop + 26}" text-anchor="middle" class="axis">${r === 150 ? '≥150' : r}%</text>`;
    })
    .join('');
  return svg('cohort-chart', 'Revenue retention by start month', header + body + scale, scaleTop + 34);
}
