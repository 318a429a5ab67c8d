import { describe, expect, it } from 'vitest';
import { isoDate, isoDateByIntl, isoDateTime, isValidTimezone, utcCalendarDate } from '../../../engine/transform/dates.js';

describe('$date', () => {
  it('gives the calendar date in the pipeline timezone', () => {
    const instant = Date.UTC(2026, 9, 31, 23, 30) / 1000; // 2026-10-31T23:30Z
    expect(isoDate(instant, 'UTC')).toBe('2026-10-31');
    expect(isoDate(instant, 'Europe/Berlin')).toBe('2026-11-01');
    expect(isoDate(instant, 'America/Los_Angeles')).toBe('2026-10-31');
    expect(isoDate(String(instant), 'UTC')).toBe('2026-10-31');
  });

  it('agrees with Intl on 20,000 random instants across DST, half- and quarter-hour zones', () => {
    const zones = [
      'Europe/Berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'Australia/Lord_Howe',
      'America/St_Johns',
      'Pacific/Chatham',
      'Asia/Tokyo',
    ];
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 20_000; i++) {
      const seconds = Math.floor(1_500_000_000 + random() * 400_000_000);
      const zone = zones[i % zones.length]!;
      expect(isoDate(seconds, zone), `${seconds} ${zone}`).toBe(isoDateByIntl(seconds, zone));
    }
  });

  it('is exact at the second a DST change happens', () => {
    // Europe/Berlin springs forward at 2026-03-29T01:00:00Z; 22:59:59Z the evening before is still the 28th.
    const change = Date.UTC(2026, 2, 29, 1, 0, 0) / 1000;
    for (const s of [change - 1, change, change + 1, Date.UTC(2026, 2, 28, 22, 59, 59) / 1000, Date.UTC(2026, 2, 28, 23, 0, 0) / 1000]) {
      expect(isoDate(s, 'Europe/Berlin')).toBe(isoDateByIntl(s, 'Europe/Berlin'));
    }
  });

  it('formats instants and rejects what is not a timestamp', () => {
    expect(isoDateTime(1_700_000_000)).toBe('2023-11-14T22:13:20Z');
    expect(() => isoDate('yesterday', 'UTC')).toThrowError(expect.objectContaining({ code: 'invalid_timestamp', kind: 'record' }));
    expect(isValidTimezone('Europe/Berlin')).toBe(true);
    expect(isValidTimezone('Mars/Olympus')).toBe(false);
  });

  it('computes the UTC calendar date exactly as toISOString does, fractions, negatives and extended years included', () => {
    const byDate = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);
    const edges = [0, -0.0005, -1, 86_399.9999, 86_400, 951_782_400, 4_107_542_400, -62_135_596_800, -62_135_596_801, 253_402_300_799, 253_402_300_800, -1e11];
    for (const s of edges) expect(utcCalendarDate(s), String(s)).toBe(byDate(s));
    let seed = 7;
    const random = () => ((seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647) * 2 - 1;
    for (let i = 0; i < 50_000; i++) {
      const s = Math.round(random() * 70_000_000_000) / (i % 3 === 0 ? 1000 : 1);
      expect(utcCalendarDate(s)).toBe(byDate(s));
    }
  });
});
