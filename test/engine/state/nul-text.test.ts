/**
 * Text holding U+0000 (a value pasted from a spreadsheet, an import) on the state's two databases.
 * PostgreSQL's text type cannot hold it; SQLite's can. A dead letter quoting such a value (lookup_missing
 * quotes the key) stopped every run on PostgreSQL: inside a transaction the driver writes parameters
 * into one query string, the U+0000 cut it short, and the server's protocol error (08P01) was taken
 * for a lost connection ("state database … is unreachable", transient). Now a dead letter's message
 * and fix are escaped as log lines are, the same on both databases, and a text PostgreSQL cannot take
 * (a record id holding U+0000) is refused naming the column and the value.
 */
import { describe, expect, it } from 'vitest';
import { LedgersyncError } from '../../../engine/errors.js';
import { PostgresDriver } from '../../../engine/state/postgres-driver.js';
import { parameterTarget } from '../../../engine/state/postgres-dialect.js';
import { StateStore } from '../../../engine/state/store.js';
import { stateBackends } from '../../support/state-backends.js';

const backends = stateBackends();

const lookupMissing = (key: string) =>
  new LedgersyncError('lookup_missing', 'record', `no entry for '${key}' in lookup table 'gl_accounts' and the table has no default`, {
    fix: `add a row for '${key}' to gl.csv or give the table a default`,
    details: { table: 'gl_accounts', key },
  });

const letter = (sourceId: string, key: string) => ({
  stream: 'items',
  sourceId,
  sourceVersion: '1',
  record: { id: sourceId, accounting_code: key },
  deleted: false,
  error: lookupMissing(key),
});

function caught(fn: () => unknown): LedgersyncError {
  try {
    fn();
  } catch (error) {
    if (error instanceof LedgersyncError) return error;
    throw error;
  }
  throw new Error('expected a LedgersyncError');
}

describe.each(backends.all)('a dead letter quoting a value that holds U+0000, on %s', (backend) => {
  it('is kept, its message and fix escaped as a log line is; the record and details keep the value exactly', () => {
    const store = StateStore.open(backend.location());
    try {
      store.putDeadLetter('p', 'r1', letter('price_1', 'SAAS\u0000\u001b[31m'));
      const [kept] = store.deadLetters('p');
      expect(kept?.message).toBe("no entry for 'SAAS\\u0000\\u001b[31m' in lookup table 'gl_accounts' and the table has no default");
      expect(kept?.fix).toBe("add a row for 'SAAS\\u0000\\u001b[31m' to gl.csv or give the table a default");
      expect(kept?.record['accounting_code']).toBe('SAAS\u0000\u001b[31m');
      expect(kept?.details['key']).toBe('SAAS\u0000\u001b[31m');
    } finally {
      store.close();
    }
  });

  it('is kept inside a transaction with other writes (on PostgreSQL sent as one query string)', () => {
    const store = StateStore.open(backend.location());
    try {
      store.transaction(() => {
        store.markSeen('p', 'items', 'price_0', '1');
        store.putDeadLetter('p', 'r1', letter('price_1', 'SAAS\u0000'));
        store.markSeen('p', 'items', 'price_2', '1');
      });
      expect(store.deadLetters('p', 'items').map((d) => [d.sourceId, d.errorCode])).toEqual([['price_1', 'lookup_missing']]);
      expect(store.getLedger('p', 'items', 'price_2')?.sourceVersion).toBe('1');
    } finally {
      store.close();
    }
  });
});

describe('a record id holding U+0000 on PostgreSQL state', () => {
  it('is refused naming the column and the value, not as a lost connection; the transaction rolls back and the store goes on', () => {
    const store = StateStore.open(backends.postgres.location());
    try {
      const error = caught(() =>
        store.beginWrites('p', 'r1', [
          { stream: 'items', sourceId: 'price_0', action: 'upsert' },
          { stream: 'items', sourceId: 'price_1\u0000', action: 'upsert' },
        ]),
      );
      expect(error.code).toBe('state_query_failed');
      expect(error.kind).toBe('system');
      expect(error.message).toContain("cannot take ledger.source_id 'price_1\\u0000': PostgreSQL text cannot hold the character U+0000");
      expect(error.fix).toMatch(/remove the U\+0000/);
      expect(store.getLedger('p', 'items', 'price_0')).toBeUndefined();
      expect(store.beginWrites('p', 'r1', [{ stream: 'items', sourceId: 'price_2', action: 'upsert' }])).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it("as a dead letter's id: refused naming dead_letters.source_id", () => {
    const store = StateStore.open(backends.postgres.location());
    try {
      const error = caught(() => store.putDeadLetter('p', 'r1', letter('price_1\u0000', 'SAAS')));
      expect([error.code, error.kind]).toEqual(['state_query_failed', 'system']);
      expect(error.message).toContain("dead_letters.source_id 'price_1\\u0000'");
      expect(store.deadLetters('p')).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('is kept on SQLite, whose text can hold it', () => {
    const store = StateStore.open(backends.sqlite.location());
    try {
      store.putDeadLetter('p', 'r1', letter('price_1\u0000', 'SAAS'));
      expect(store.deadLetters('p').map((d) => d.sourceId)).toEqual(['price_1\u0000']);
    } finally {
      store.close();
    }
  });
});

describe('the PostgreSQL driver', () => {
  it('takes a protocol error (08P01) for a refused statement and keeps the connection, in a transaction or not', () => {
    const driver = PostgresDriver.open(backends.postgres.location());
    try {
      // A query string holding U+0000 is cut short on the wire: the server answers 08P01.
      const alone = caught(() => driver.exec('SELECT 1 /* \u0000 */'));
      expect([alone.code, alone.kind, alone.details['code']]).toEqual(['state_query_failed', 'system', '08P01']);
      expect(driver.prepare('SELECT 2 AS n').get()).toEqual({ n: 2 });
      const batched = caught(() =>
        driver.transaction(() => {
          driver.exec('SELECT 1 /* \u0000 */');
          return driver.prepare('SELECT 3 AS n').get();
        }),
      );
      expect([batched.code, batched.kind]).toEqual(['state_query_failed', 'system']);
      expect(driver.prepare('SELECT 4 AS n').get()).toEqual({ n: 4 });
    } finally {
      driver.close();
    }
  });

  it('names the column a parameter goes to or is compared with', () => {
    expect(parameterTarget('INSERT INTO ledger (pipeline, stream, source_id, pending_write) VALUES ($1, $2, $3, 1) ON CONFLICT DO NOTHING', 3)).toBe(
      'ledger.source_id',
    );
    expect(parameterTarget('INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)', 4)).toBe('t.b');
    expect(parameterTarget('UPDATE operations SET status = $1, target_id = $2 WHERE id = $3', 2)).toBe('operations.target_id');
    expect(parameterTarget('SELECT * FROM ledger WHERE pipeline = $1 AND source_id COLLATE "C" >= $12', 12)).toBe('ledger.source_id');
    expect(parameterTarget('SELECT source_id FROM dead_letters WHERE pipeline = $1 AND source_id IN ($2, $3)', 3)).toBe('dead_letters.source_id');
  });
});
