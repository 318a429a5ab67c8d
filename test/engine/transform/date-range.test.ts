/**
 * `$date` / `$datetime` take unix seconds from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z (and, for
 * `$date`, a calendar date within those years in the pipeline's timezone). Anything else used to be
 * written as an extended-year text ("+055840-11" for a millisecond timestamp) or to fail with a bare
 * "Invalid time value"; it is now an `invalid_timestamp` record error naming the value.
 */
import { describe, expect, it } from 'vitest';
import { isoDate, isoDateTime, zoneOffsetSeconds } from '../../../engine/transform/dates.js';
import { mapRecord } from '../../../engine/transform/mapper.js';
import { bindingsFor, ENGINES, oneStream, settled } from '../../support/one-stream.js';

const MS = 1_700_000_000_000; // 2023-11-14T22:13:20Z in milliseconds
const FIRST = -62_135_596_800; // 0001-01-01T00:00:00Z
const LAST = 253_402_300_799; // 9999-12-31T23:59:59Z

const customer = (created_at: unknown) => ({ id: 'c1', deleted: false, data: { id: 'c1', created_at } });

describe.each(ENGINES)('%s: $date / $datetime outside the years 1–9999', (_name, engine) => {
  async function map(expression: string, created_at: unknown, timezone = 'UTC') {
    const { stream, plan } = await oneStream(expression, { timezone });
    return settled(mapRecord(engine(stream), customer(created_at), bindingsFor(plan)));
  }

  it('a millisecond timestamp is invalid_timestamp, naming the value, with "milliseconds? divide by 1000" as the fix', async () => {
    for (const helper of ['$date', '$datetime']) {
      const out = await map(`{ "id": id, "on": ${helper}(created_at) }`, MS);
      expect(out, helper).toMatchObject({ error: 'invalid_timestamp', message: expect.stringContaining(`${helper}() expects unix seconds`) });
      expect((out as { message: string }).message).toContain(String(MS));
      expect((out as { fix: string }).fix).toContain('milliseconds? divide by 1000');
    }
  });

  it('a timestamp past what a Date holds is invalid_timestamp, not "JSONata error: Invalid time value"', async () => {
    expect(await map('{ "id": id, "on": $date(created_at) }', 9e12)).toMatchObject({ error: 'invalid_timestamp' });
    expect(await map('{ "id": id, "on": $datetime(created_at) }', 9e15)).toMatchObject({ error: 'invalid_timestamp' });
  });

  it('10000-01-01T00:00Z is refused in UTC and in New York alike; dividing by 1000 maps', async () => {
    for (const zone of ['UTC', 'America/New_York'])
      expect(await map('{ "id": id, "on": $date(created_at) }', LAST + 1, zone), zone).toMatchObject({ error: 'invalid_timestamp' });
    expect(await map('{ "id": id, "on": $date(created_at / 1000) }', MS)).toMatchObject({ kind: 'mapped', records: [{ data: { on: '2023-11-14' } }] });
  });
});

describe('the calendar bounds of $date and $datetime', () => {
  it('takes the first and last second of the years 1–9999 in UTC', () => {
    expect(isoDate(FIRST, 'UTC')).toBe('0001-01-01');
    expect(isoDate(LAST, 'UTC')).toBe('9999-12-31');
    expect(isoDateTime(FIRST)).toBe('0001-01-01T00:00:00Z');
    expect(isoDateTime(LAST)).toBe('9999-12-31T23:59:59Z');
    expect(isoDate(LAST, 'America/New_York')).toBe('9999-12-31');
  });

  it('refuses an instant whose date in the pipeline timezone leaves the years 1–9999, without a unit guess', () => {
    // 9999-12-31T23:59:59Z is 10000-01-01 in Tokyo; 0001-01-01T00:00Z is 0000-12-31 (1 BC) in New York.
    for (const [seconds, zone] of [
      [LAST, 'Asia/Tokyo'],
      [FIRST, 'America/New_York'],
    ] as const) {
      let thrown: unknown;
      try {
        isoDate(seconds, zone);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, zone).toMatchObject({ code: 'invalid_timestamp', kind: 'record', message: expect.stringContaining(zone) });
      expect((thrown as { fix: string }).fix).not.toContain('milliseconds');
    }
  });

  it('suggests microseconds for a microsecond timestamp, and no unit for a value no unit explains', () => {
    const fixOf = (value: number) => {
      try {
        isoDateTime(value);
      } catch (error) {
        return (error as { fix: string }).fix;
      }
      return 'no error';
    };
    expect(fixOf(MS * 1000)).toContain('microseconds? divide by 1000000');
    expect(fixOf(-1e20)).toContain('pass unix seconds');
  });

  it('gives the zone offset of years 1–99 as of those years (Date.UTC would read them as 19xx)', () => {
    // New York keeps its local mean time (-4:56:02) before 1883: year 50 and year 1800 agree.
    const at = (year: number, month: number, day: number, hour: number) => new Date(0).setUTCFullYear(year, month - 1, day) / 1000 + hour * 3600;
    expect(zoneOffsetSeconds(at(1800, 6, 1, 12), 'America/New_York')).toBe(-17_762);
    expect(zoneOffsetSeconds(at(50, 6, 1, 12), 'America/New_York')).toBe(-17_762);
    expect(isoDate(at(50, 1, 1, 3), 'America/New_York')).toBe('0049-12-31');
    expect(isoDate(at(50, 1, 1, 5), 'America/New_York')).toBe('0050-01-01');
  });
});
