import { describe, expect, it } from 'vitest';
import { computeReports } from '../../../domain/metrics/report.js';
import { renderReport } from '../../../domain/metrics/render/index.js';
import { groupThousands } from '../../../domain/metrics/render/table.js';
import { settings, source, utc } from './fixture.js';

const reports = computeReports(source, settings, { from: '2026-01', to: '2026-06', now: utc(2026, 6, 20) });
const html = { title: 'Acme', generatedAt: new Date(0), timezone: settings.timezone };

describe('report renderers', () => {
  it('table: aligned columns, thousands separators, negative movements signed', () => {
    const text = renderReport(reports, 'mrr', 'table', html);
    const lines = text.split('\n');
    expect(lines[0]).toBe('MRR in USD at each month end');
    expect(lines[2]).toMatch(/^month\s+MRR\s+customers\s+new\s+expansion\s+contraction\s+churn\s+reactivation\s+temporary discounts$/);
    expect(lines[6]).toMatch(/^2026-03\s+625\.33\s+5\s+0\.00\s+11\.75\s+0\.00\s+-200\.00\s+0\.00\s+50\.00$/);
    // Right-aligned: every data line is as long as the header line.
    const widths = new Set(lines.slice(2, 10).map((l) => l.length));
    expect(widths.size).toBe(1);
    expect(groupThousands('-1234567.89')).toBe('-1,234,567.89');
    expect(groupThousands('999')).toBe('999');
  });

  it('csv: a header naming the currency, one row per month, exact decimals', () => {
    const lines = renderReport(reports, 'mrr', 'csv', html).split('\r\n');
    expect(lines[0]).toBe('month,mrr_USD,customers,new_USD,expansion_USD,contraction_USD,churn_USD,reactivation_USD,temporary_discounts_USD');
    expect(lines[2]).toBe('2026-02,813.58,7,274.91,0.00,0.00,0.00,0.00,50.00');
    expect(lines).toHaveLength(8); // header, six months, trailing CRLF
    const churn = renderReport(reports, 'churn', 'csv', html).split('\r\n');
    expect(churn[3]).toBe('2026-03,7,2,28.57,813.58,-200.00,24.58,23.14');
    const cohorts = renderReport(reports, 'cohorts', 'csv', html).split('\r\n');
    expect(cohorts[0]).toBe('cohort,cohort_customers,starting_mrr_USD,month,age_months,mrr_USD,customers,revenue_retention_pct,logo_retention_pct');
    expect(cohorts).toContain('2026-04,1,90.00,2026-06,2,0.00,0,0.00,0.00');
  });

  it('churn and cohort tables', () => {
    expect(renderReport(reports, 'churn', 'table', html)).toMatch(/2026-03\s+7\s+2\s+28\.57 %\s+813\.58\s+-200\.00\s+24\.58 %\s+23\.14 %/);
    const cohorts = renderReport(reports, 'cohorts', 'table', html);
    expect(cohorts).toMatch(/2026-01\s+4\s+438\.67\s+100\.00 %\s+100\.00 %\s+77\.20 %\s+81\.31 %\s+104\.10 %\s+104\.10 %/);
    expect(cohorts).toMatch(/2026-04\s+1\s+90\.00\s+100\.00 %\s+100\.00 %\s+0\.00 %\n/);
  });

  it('json for churn and cohorts: decimal strings, null rates where nothing was there to lose', () => {
    const empty = computeReports({ ...source, subscriptions: [], snapshots: [], invoiceLines: [] }, settings, { from: '2026-01', to: '2026-02', now: 0 });
    expect(JSON.parse(renderReport(empty, 'churn', 'json', html)).months[0]).toEqual({
      month: '2026-01',
      customers_at_start: 0,
      churned_customers: 0,
      logo_churn_rate: null,
      mrr_at_start: '0.00',
      lost_mrr: '0.00',
      gross_revenue_churn_rate: null,
      net_revenue_churn_rate: null,
    });
    expect(JSON.parse(renderReport(empty, 'mrr', 'json', html)).months).toHaveLength(2);
  });

  it('html: self-contained, nothing that could make a request, every chart inline', () => {
    const page = renderReport(reports, 'mrr', 'html', html);
    expect(page).toContain('Content-Security-Policy" content="default-src \'none\'');
    expect(page).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\bsrc=|\bhref=/i);
    // The only URL is the SVG namespace, which is an identifier, not a request.
    expect(page.match(/https?:\/\/[^"\s]+/g)).toEqual(['http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg']);
    for (const id of ['mrr-chart', 'movements-chart', 'cohort-chart']) expect(page).toContain(`data-chart="${id}"`);
    expect(page).toContain('<td>831.58</td>');
    expect(page).toContain('<td class="negative">-200.00</td>');
  });

  it('html escapes the title', () => {
    const page = renderReport(reports, 'mrr', 'html', { ...html, title: 'Müller & <Söhne>' });
    expect(page).toContain('<h1>Müller &amp; &lt;Söhne&gt;</h1>');
    expect(page).not.toContain('<Söhne>');
  });
});
