import { describe, expect, it } from 'vitest';
import { LedgersyncError } from '../../engine/errors.js';
import { exitCodeFor } from '../../engine/exit-codes.js';

describe('exitCodeFor', () => {
  it('0 when nothing failed, 1 when records went to the dead-letter table', () => {
    expect(exitCodeFor({})).toBe(0);
    expect(exitCodeFor({ failedRecords: 0 })).toBe(0);
    expect(exitCodeFor({ failedRecords: 3 })).toBe(1);
  });

  it('by kind for an error that stopped the command: config and system 2; auth, transient and record 3', () => {
    const exit = (kind: LedgersyncError['kind']) => exitCodeFor({ error: new LedgersyncError('unexpected_error', kind, 'x') });
    expect([exit('config'), exit('system'), exit('auth'), exit('transient'), exit('record')]).toEqual([2, 2, 3, 3, 3]);
  });

  it("run_locked exits 4 by its catalogue entry, though its kind is config's", () => {
    expect(exitCodeFor({ error: { code: 'run_locked', kind: 'config' } })).toBe(4);
    expect(exitCodeFor({ error: { code: 'invalid_configuration', kind: 'config' } })).toBe(2);
  });

  it('the error decides over dead letters', () => {
    expect(exitCodeFor({ error: { code: 'connection_failed', kind: 'transient' }, failedRecords: 5 })).toBe(3);
  });
});
