/**
 * Waiting without leaking: every wait goes through `timers/promises`, whose abort listener is
 * removed when the timer fires, so a long run under one signal never piles up listeners. Waits a
 * person would notice (more than {@link NOTICEABLE_WAIT_MS}) are said out loud by the caller.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** A wait longer than this is printed at info level: silence beyond it looks like a hang. */
export const NOTICEABLE_WAIT_MS = 2000;

/** Resolves after `ms`; rejects with the signal's reason if it aborts first. Leaves no listener behind. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw signal.reason;
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    // timers/promises rejects with its own AbortError; callers expect the run's reason.
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}

/** `38 s`, `1.5 s`, `2 min 5 s`: a wait as a person reads it. */
export function formatWait(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 10) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** `40 requests a minute`, `10 requests every 5 s`: a rate limit as its vendor states it. */
export function formatRate(requests: number, perSeconds: number, what = 'requests'): string {
  const per = perSeconds === 1 ? 'a second' : perSeconds === 60 ? 'a minute' : perSeconds === 3600 ? 'an hour' : `every ${perSeconds} s`;
  return `${requests} ${what} ${per}`;
}
