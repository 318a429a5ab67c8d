import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from '../../../engine/http/sliding-window.js';

describe('SlidingWindowLimiter', () => {
  it('never lets more than `limit` calls finish within any window, even across a window edge', async () => {
    const finishes: number[] = [];
    const limiter = new SlidingWindowLimiter(5, 200);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 15 }, () =>
        limiter.run(async () => {
          await new Promise((r) => setTimeout(r, 5));
          finishes.push(Date.now() - started);
        }),
      ),
    );
    finishes.sort((a, b) => a - b);
    for (let i = 5; i < finishes.length; i++) {
      // the call 5 places earlier finished at least one window before this one started
      expect(finishes[i]! - finishes[i - 5]!).toBeGreaterThanOrEqual(200);
    }
    expect(finishes[14]!).toBeGreaterThanOrEqual(400);
  });

  it('lets calls through at once while under the limit', async () => {
    const limiter = new SlidingWindowLimiter(10, 60_000);
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, () => limiter.run(async () => 1)));
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('says whether a call would start without waiting: not with the window full, not while another waits, again once a slot ages out', async () => {
    let now = 0;
    const released: Array<() => void> = [];
    const limiter = new SlidingWindowLimiter(2, 1_000, {
      now: () => now,
      sleep: () => new Promise<void>((resolve) => released.push(resolve)),
    });
    expect(limiter.hasRoom()).toBe(true);
    await limiter.run(async () => 1);
    expect(limiter.hasRoom()).toBe(true);
    await limiter.run(async () => 2);
    expect(limiter.hasRoom()).toBe(false);
    const third = limiter.run(async () => 3);
    await new Promise((r) => setImmediate(r));
    now = 1_001;
    expect(limiter.hasRoom()).toBe(false); // the window has room again, but the third call is first in line
    released.shift()!();
    expect(await third).toBe(3);
    now = 2_002;
    expect(limiter.hasRoom()).toBe(true);
  });
});
