/**
 * A date-time start_date or `audit --since` naming a day (or an hour) the calendar does not have is
 * refused, as the date-only form is. Date.parse rolls 2025-02-30 over to 2 March and 24:00 to the
 * next day: a typo would silently move go-live and the invoices of 1 March would never be read.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { isCalendarDateTime, startDateSeconds } from '../../../engine/config/time.js';
import { parseSince, showAudit } from '../../../engine/run/audit-report.js';
import { JSONL_PIPELINE } from '../../e2e/helpers.js';

const connectorsDir = 'test/fixtures/connectors';
const env = { BILLING_API_KEY: 'bk_secret_0001', LEDGER_API_KEY: 'lk_secret_0002' };

function pipelineFile(startDate: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ls-start-calendar-')), 'pipeline.yaml');
  writeFileSync(
    file,
    `version: 1
name: calendar
start_date: "${startDate}"
source:
  connector: billing
  site: acme
  api_key: \${BILLING_API_KEY}
sink:
  connector: ledger
  company_id: c1
  api_key: \${LEDGER_API_KEY}
streams:
  - name: invoices
    endpoint: invoices
    target: { object: customer }
    mapping:
      expression: '{ "code": id }'
`,
  );
  return file;
}

const impossible = [
  '2025-02-30T00:00:00Z',
  '2025-02-29T00:00:00+01:00',
  '2025-04-31T00:00',
  '2025-03-01T24:00:00Z',
  '2025-03-01T23:60Z',
  '2025-13-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
];

describe('a date-time on a day the calendar does not have', () => {
  it('isCalendarDateTime checks the day of the month, leap years and the clock', () => {
    for (const text of ['2024-02-29', '2024-02-29T23:59:59.999Z', '2000-02-29T00:00', '2025-12-31 23:59:59+14:00', '0001-01-01'])
      expect(isCalendarDateTime(text), text).toBe(true);
    for (const text of [...impossible, '1900-02-29', '2025-02-29', '2025-06-00', 'soon']) expect(isCalendarDateTime(text), text).toBe(false);
  });

  it('start_date is refused with invalid_start_date at its place, not rolled over', async () => {
    for (const text of impossible) {
      expect(startDateSeconds(text, 'UTC'), text).toBeUndefined();
      const { plan, problems } = await loadPipeline(pipelineFile(text), { mode: 'validate', env, connectorsDir });
      expect(plan, text).toBeUndefined();
      expect(
        problems.map((p) => [p.code, p.line, p.column, p.message]),
        text,
      ).toEqual([['invalid_start_date', 3, 13, `start_date '${text}' is not a real date (YYYY-MM-DD or an ISO 8601 date-time)`]]);
    }
    // Real days still load, the offset applied.
    const { plan } = await loadPipeline(pipelineFile('2024-02-29T12:00:00+02:00'), { mode: 'run', env, connectorsDir });
    expect(plan?.startDate).toBe(Date.UTC(2024, 1, 29, 10) / 1000);
  });

  it('audit --since refuses it with the usage error, as it refuses 2026-02-30', async () => {
    for (const text of ['2026-02-30', '2026-02-30T09:00:00Z', '2026-04-31T00:00:00+02:00', '2026-03-01T24:00:00Z'])
      expect(parseSince(text), text).toBeUndefined();
    expect(parseSince('2024-02-29T09:00:00+02:00')).toBe('2024-02-29T07:00:00.000Z');

    const dir = mkdtempSync(join(tmpdir(), 'ls-since-calendar-'));
    try {
      let out = '';
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          out += chunk.toString();
          done();
        },
      });
      const code = await showAudit({
        connectors: installedConnectors,
        pipelinePath: JSONL_PIPELINE,
        statePath: join(dir, 'state.db'),
        since: '2026-02-30T09:00:00Z',
        verify: false,
        json: false,
        out: sink,
      });
      expect({ code, out }).toEqual({
        code: 2,
        out: "error: --since '2026-02-30T09:00:00Z' is not a date (YYYY-MM-DD, UTC) or an ISO 8601 instant with a zone (2026-03-01T09:00:00Z)\n",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
