/**
 * start_date, read in the pipeline's timezone.
 *
 * Some zones move their clocks at midnight (America/Santiago from 00:00 -04 to 01:00 -03 on
 * 2025-09-07, America/Havana from 00:00 -05 to 01:00 -04 on 2025-03-09): that day starts at 01:00.
 * Go-live on such a day is its first second, not 23:00 on the day before, so neither the Chargebee
 * `date[after]` bound (plan.startDate − 1) nor the mapper's start_date filter lets an invoice of the
 * day before go-live through.
 *
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
import { mapRecord } from '../../../engine/transform/mapper.js';
import { dayNumber, firstSecondOfDay, isoDate } from '../../../engine/transform/dates.js';
import { JSONL_PIPELINE } from '../../e2e/helpers.js';

const connectorsDir = 'test/fixtures/connectors';
const env = { BILLING_API_KEY: 'bk_secret_0001', LEDGER_API_KEY: 'lk_secret_0002' };

function pipelineFile(header: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ls-start-date-')), 'pipeline.yaml');
  writeFileSync(
    file,
    `version: 1
name: go-live
${header}source:
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

const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi) / 1000;

describe('start_date on a day whose midnight the zone skips', () => {
  it('starts at the first second of that day (01:00 local), not at 23:00 the day before', () => {
    expect(startDateSeconds('2025-09-07', 'America/Santiago')).toBe(utc(2025, 9, 7, 4));
    expect(startDateSeconds('2025-03-09', 'America/Havana')).toBe(utc(2025, 3, 9, 5));
    // Ordinary days and a DST change away from midnight are unchanged.
    expect(startDateSeconds('2025-09-06', 'America/Santiago')).toBe(utc(2025, 9, 6, 4));
    expect(startDateSeconds('2025-09-08', 'America/Santiago')).toBe(utc(2025, 9, 8, 3));
    expect(startDateSeconds('2024-03-10', 'America/New_York')).toBe(utc(2024, 3, 10, 5));
  });

  it('a local date-time the clock skips lands after the jump, on its own day', () => {
    // 00:30 does not exist in Santiago on 2025-09-07: read with the offset before the jump (RFC 5545), 01:30 -03.
    expect(startDateSeconds('2025-09-07T00:30', 'America/Santiago')).toBe(utc(2025, 9, 7, 4, 30));
    expect(startDateSeconds('2025-09-07T00:00:00', 'America/Santiago')).toBe(utc(2025, 9, 7, 4));
    // 02:30 does not exist in New York on 2024-03-10: 03:30 EDT.
    expect(startDateSeconds('2024-03-10T02:30', 'America/New_York')).toBe(utc(2024, 3, 10, 7, 30));
    // 01:30 happens twice in New York on 2024-11-03: the first (EDT).
    expect(startDateSeconds('2024-11-03T01:30', 'America/New_York')).toBe(utc(2024, 11, 3, 5, 30));
    expect(startDateSeconds('2024-07-01T09:30', 'Asia/Tokyo')).toBe(utc(2024, 7, 1, 0, 30));
  });

  it('an invoice dated 23:30 on the day before go-live is filtered out; one at 01:00 on go-live is not', async () => {
    const { plan, problems } = await loadPipeline(pipelineFile('timezone: America/Santiago\nstart_date: 2025-09-07\n'), { mode: 'run', env, connectorsDir });
    expect(problems).toEqual([]);
    expect(plan?.startDate).toBe(utc(2025, 9, 7, 4));
    const stream = plan!.streams[0]!;
    const dayBefore = utc(2025, 9, 7, 3, 30);
    expect(isoDate(dayBefore, 'America/Santiago')).toBe('2025-09-06');
    expect(await mapRecord(stream, { id: 'inv_1', deleted: false, data: { id: 'inv_1', date: dayBefore } }, {})).toEqual({
      kind: 'filtered',
      beforeStart: true,
    });
    const firstOfGoLive = utc(2025, 9, 7, 4);
    expect(isoDate(firstOfGoLive, 'America/Santiago')).toBe('2025-09-07');
    expect(await mapRecord(stream, { id: 'inv_2', deleted: false, data: { id: 'inv_2', date: firstOfGoLive } }, {})).toMatchObject({ kind: 'mapped' });
  });

  it('firstSecondOfDay: every day of a year in zones that move their clocks at midnight starts on that day', () => {
    for (const zone of ['America/Santiago', 'America/Havana', 'America/Asuncion', 'Asia/Beirut', 'America/New_York', 'Asia/Kolkata']) {
      const jan1 = dayNumber(2025, 1, 1);
      for (let day = jan1; day < jan1 + 365; day++) {
        const first = firstSecondOfDay(day, zone);
        const date = new Date(day * 86_400_000).toISOString().slice(0, 10);
        expect(isoDate(first, zone), `${zone} ${date}`).toBe(date);
        expect(isoDate(first - 1, zone) < date, `${zone} ${date}`).toBe(true);
      }
    }
  });
});

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
      const { plan, problems } = await loadPipeline(pipelineFile(`start_date: "${text}"\n`), { mode: 'validate', env, connectorsDir });
      expect(plan, text).toBeUndefined();
      expect(
        problems.map((p) => [p.code, p.line, p.column, p.message]),
        text,
      ).toEqual([['invalid_start_date', 3, 13, `start_date '${text}' is not a real date (YYYY-MM-DD or an ISO 8601 date-time)`]]);
    }
    // Real days still load, the offset applied.
    const { plan } = await loadPipeline(pipelineFile('start_date: "2024-02-29T12:00:00+02:00"\n'), { mode: 'run', env, connectorsDir });
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
