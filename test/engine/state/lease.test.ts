/**
 * The run lease as its holder sees it: lost when a renewal finds it taken over, and also when the
 * database stays unreachable for so long that the lease may expire before the next renewal, since
 * another run may then take the pipeline over while this one still has writes in flight.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunLease } from '../../../engine/state/lease.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A lease of 60 s (beats every 20 s) whose renewals answer as `renew` says. */
function lease(renew: () => boolean) {
  const lost = vi.fn();
  const held = new RunLease(renew, 60, () => Date.now());
  held.whenLost(lost);
  return { held, lost };
}

const unreachable = () => {
  throw new Error('the state database is unreachable');
};

describe('the run lease', () => {
  it('renewed on every beat while the database answers: never lost', () => {
    const { held, lost } = lease(() => true);
    vi.advanceTimersByTime(10 * 60_000);
    expect(lost).not.toHaveBeenCalled();
    held.stop();
  });

  it('taken over: lost at the next beat', () => {
    const { lost } = lease(() => false);
    vi.advanceTimersByTime(20_000);
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it('unrenewable: kept through an outage shorter than the lease, lost once it may expire before the next beat, and only once', () => {
    let answer: () => boolean = unreachable;
    const { held, lost } = lease(() => answer());
    vi.advanceTimersByTime(20_000);
    expect(lost).not.toHaveBeenCalled();
    answer = () => true;
    vi.advanceTimersByTime(20_000);
    answer = unreachable;
    // Last renewed at 40 s; the beats at 60 s and 80 s fail; at 80 s the lease (to 100 s) could lapse before the beat at 100 s.
    vi.advanceTimersByTime(20_000);
    expect(lost).not.toHaveBeenCalled();
    vi.advanceTimersByTime(20_000);
    expect(lost).toHaveBeenCalledTimes(1);
    expect(held.lost).toBe(true);
    vi.advanceTimersByTime(120_000);
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it('a write batch renewing it pushes the deadline forward like a beat', () => {
    let answer: () => boolean = unreachable;
    const { held, lost } = lease(() => answer());
    vi.advanceTimersByTime(30_000);
    answer = () => true;
    expect(held.renewNow()).toBe(true);
    answer = unreachable;
    vi.advanceTimersByTime(40_000);
    expect(lost).not.toHaveBeenCalled();
    vi.advanceTimersByTime(20_000);
    expect(lost).toHaveBeenCalledTimes(1);
  });
});
