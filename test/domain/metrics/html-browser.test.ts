/**
 * The HTML report opened in headless Chromium (Debian's `chromium` package at /usr/bin/chromium,
 * driven by playwright-core, which downloads no browser; test/support/browser.ts): the three SVG charts render with a size,
 * and the page makes no request but for itself. Screenshots go to __screenshots__/ (git-ignored).
 * The README's picture is made from the sandbox's data by test/e2e/metrics-report.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeReports } from '../../../domain/metrics/report.js';
import { renderHtml } from '../../../domain/metrics/render/html.js';
import { syntheticBook } from '../../bench/synthetic-metrics.js';
import { chartBoxes, launchChromium, openFile, type OpenedPage } from '../../support/browser.js';
import { settings, source, utc } from './fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
const screenshots = join(here, '__screenshots__');

let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launchChromium();
  dir = mkdtempSync(join(tmpdir(), 'ledgersync-report-'));
  mkdirSync(screenshots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(name: string, html: string): Promise<OpenedPage> {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, html);
  return openFile(browser, file);
}

describe('the HTML report in headless Chromium', () => {
  it('renders the fixture: charts with a size, marks drawn, no request but the page itself', async () => {
    const reports = computeReports(source, settings, { from: '2026-01', to: '2026-06', now: utc(2026, 6, 20) });
    const { page, url, requests } = await open(
      'fixture',
      renderHtml(reports, { title: 'Acme Analytics', generatedAt: new Date(Date.UTC(2026, 5, 20)), timezone: settings.timezone }),
    );
    for (const [id, box] of Object.entries(await chartBoxes(page))) {
      expect(box.width, id).toBeGreaterThan(500);
      expect(box.height, id).toBeGreaterThan(50);
    }
    const line = await page.locator('svg[data-chart="mrr-chart"] polyline.mrr-line').boundingBox();
    expect(line?.width ?? 0).toBeGreaterThan(400);
    expect(line?.height ?? 0).toBeGreaterThan(20);
    expect(await page.locator('svg[data-chart="mrr-chart"] circle.mrr-dot').count()).toBe(6);
    // Jan new; Feb new; Mar expansion + churn; Apr new + expansion + contraction; May reactivation; Jun churn.
    expect(await page.locator('svg[data-chart="movements-chart"] rect.bar').count()).toBe(9);
    const churnBar = await page.locator('svg[data-chart="movements-chart"] rect.bar-churn').first().boundingBox();
    expect(churnBar?.height ?? 0).toBeGreaterThan(10);
    // Cohorts: 6 + 5 + 3 months.
    expect(await page.locator('svg[data-chart="cohort-chart"] rect.cell').count()).toBe(14);
    expect(await page.locator('h1').textContent()).toBe('Acme Analytics');
    await page.screenshot({ path: join(screenshots, 'fixture.png'), fullPage: true });
    expect(requests).toEqual([url]);
    await page.context().close();
  });

  it('renders three years of a synthetic book the same way, and prints', async () => {
    const book = syntheticBook(600, 36);
    const reports = computeReports(book.source, book.settings, { from: book.from, to: book.to, now: 0 });
    const { page, url, requests } = await open(
      'synthetic',
      renderHtml(reports, { title: 'Northwind SaaS — subscription metrics', generatedAt: new Date(Date.UTC(2027, 0, 2, 8)), timezone: book.settings.timezone }),
    );
    const boxes = await chartBoxes(page);
    for (const [id, box] of Object.entries(boxes)) expect(box.width * box.height, id).toBeGreaterThan(0);
    expect(await page.locator('svg[data-chart="mrr-chart"] circle.mrr-dot').count()).toBe(36);
    expect(await page.locator('svg[data-chart="cohort-chart"] rect.cell').count()).toBe(reports.cohorts.cohorts.reduce((n, c) => n + c.months.length, 0));
    const shot = join(screenshots, 'synthetic.png');
    await page.screenshot({ path: shot, fullPage: true });
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(requests).toEqual([url]);
    await page.context().close();
  });
});
