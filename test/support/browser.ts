/**
 * Debian's headless Chromium (`apt-get install chromium`, /usr/bin/chromium) driven by playwright-core,
 * which downloads no browser, for the tests that open the HTML report: a page opened from a file
 * records every request it makes, so a test can require that none leaves the page.
 *
 * ```ts
 * const browser = await launchChromium();                 // throws (the test FAILS) without Chromium
 * const { page, url, requests } = await openFile(browser, '/tmp/report.html');
 * expect(requests).toEqual([url]);
 * ```
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** The three charts of the metrics report, by their `data-chart`. */
export const REPORT_CHARTS = ['mrr-chart', 'movements-chart', 'cohort-chart'] as const;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: install Debian's package (apt-get install -y chromium). This test fails rather than skips without it.`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

export interface OpenedPage {
  page: Page;
  /** The file's URL: the one request a self-contained page makes. */
  url: string;
  /** Every request the page made, in order. */
  requests: string[];
}

/** Opens a local file in a fresh context (1100 × 900), recording requests; close with `page.context().close()`. */
export async function openFile(browser: Browser, file: string): Promise<OpenedPage> {
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
  const requests: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'load' });
  return { page, url, requests };
}

/** The rendered size of each chart of the metrics report. */
export async function chartBoxes(page: Page): Promise<Record<string, { width: number; height: number }>> {
  const boxes: Record<string, { width: number; height: number }> = {};
  for (const id of REPORT_CHARTS) {
    const box = await page.locator(`svg[data-chart="${id}"]`).boundingBox();
    boxes[id] = { width: Math.round(box?.width ?? 0), height: Math.round(box?.height ?? 0) };
  }
  return boxes;
}
