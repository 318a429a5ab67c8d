/** The LedgersyncError `fn` throws; anything else thrown is rethrown, and nothing thrown fails the test. */
import { LedgersyncError } from '../../engine/errors.js';

export function thrownLedgersyncError(fn: () => unknown): LedgersyncError {
  try {
    fn();
  } catch (error) {
    if (error instanceof LedgersyncError) return error;
    throw error;
  }
  throw new Error('expected a LedgersyncError, and nothing was thrown');
}
