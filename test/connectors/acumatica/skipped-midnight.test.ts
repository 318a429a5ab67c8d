/**
 * A date in a DateTimeValue field is sent as the first instant of that day in the pipeline's zone,
 * with the offset then in force, so Acumatica, converting it to the company's zone, keeps the date.
 * Where the clocks move at midnight (America/Santiago on 2025-09-07, America/Havana on 2025-03-09)
 * the day starts at 01:00: `T00:00:00` with the offset after the jump was 23:00 on the day before.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Contract } from '../../../connectors/acumatica/contract.js';
import { midnightIn, wrapRecord } from '../../../connectors/acumatica/values.js';
import { exactJson } from '../../../engine/http/exact-json.js';
import { isoDate } from '../../../engine/transform/dates.js';

describe('Acumatica: a date on a day whose midnight the zone skips', () => {
  it('is sent as 01:00 with the offset after the jump, an instant of that day', () => {
    expect(midnightIn('2025-09-07', 'America/Santiago')).toBe('2025-09-07T01:00:00-03:00');
    expect(midnightIn('2025-03-09', 'America/Havana')).toBe('2025-03-09T01:00:00-04:00');
    for (const [zone, day] of [
      ['America/Santiago', '2025-09-07'],
      ['America/Havana', '2025-03-09'],
    ] as const) {
      expect(isoDate(Date.parse(midnightIn(day, zone)) / 1000, zone)).toBe(day);
    }
  });

  it('other days stay at midnight', () => {
    expect(midnightIn('2025-09-06', 'America/Santiago')).toBe('2025-09-06T00:00:00-04:00');
    expect(midnightIn('2025-09-08', 'America/Santiago')).toBe('2025-09-08T00:00:00-03:00');
    expect(midnightIn('2024-03-10', 'America/New_York')).toBe('2024-03-10T00:00:00-05:00');
    expect(midnightIn('2026-01-15', 'Asia/Kolkata')).toBe('2026-01-15T00:00:00+05:30');
    expect(midnightIn('2026-01-15', 'UTC')).toBe('2026-01-15T00:00:00+00:00');
  });

  it('wrapRecord sends that instant', () => {
    const contract = Contract.load(join(import.meta.dirname, '..', '..', '..', 'connectors', 'acumatica'));
    expect(exactJson(wrapRecord(contract, 'Invoice', { Date: '2025-09-07' }, { timezone: 'America/Santiago' }))).toBe(
      '{"Date":{"value":"2025-09-07T01:00:00-03:00"}}',
    );
  });
});
