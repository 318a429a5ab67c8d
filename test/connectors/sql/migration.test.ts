/** Migration decisions from the recorded shape (pure, no database). */
import { describe, expect, it } from 'vitest';
import type { LedgersyncError } from '../../../engine/errors.js';
import { declaredShape, indexName, planMigration, type StoredShape } from '../../../connectors/sql/migration.js';
import { parseTables } from '../../../connectors/sql/tables.js';

const spec = (columns: Record<string, { type: string; nullable?: boolean }>, indexes: string[][] = [], key = ['id']) =>
  parseTables({ t: { primary_key: key, columns, indexes } })[0]!;
const base = spec({ id: { type: 'text' }, a: { type: 'integer' }, b: { type: 'text', nullable: false } }, [['a']]);
const stored: StoredShape = declaredShape(base, 'gen1');

describe('planMigration', () => {
  it('creates a missing table with a new generation, and changes nothing when the declaration matches', () => {
    const created = planMigration(base, { exists: false, hasRows: false });
    expect(created).toMatchObject({ steps: [{ kind: 'create' }] });
    expect((created as { shape: StoredShape }).shape.generation).toMatch(/^[0-9a-f]{16}$/);
    expect(planMigration(base, { exists: true, hasRows: true, stored })).toEqual({ steps: [], shape: stored, retired: [] });
  });

  it('retires a column no longer declared, brings it back with its type, and refuses it with another type', () => {
    const without = spec({ id: { type: 'text' }, b: { type: 'text', nullable: false } }, [['a', 'b'].slice(1)]);
    const retired = planMigration(without, { exists: true, hasRows: true, stored });
    expect(retired).toMatchObject({
      retired: ['a'],
      steps: [
        { kind: 'drop_index', name: indexName('t', ['a']) },
        { kind: 'create_index', name: indexName('t', ['b']) },
      ],
    });
    const shape = (retired as { shape: StoredShape }).shape;
    expect(shape.columns.find((c) => c.name === 'a')).toEqual({ name: 'a', type: 'integer', nullable: true, retired: true });
    expect(planMigration(base, { exists: true, hasRows: true, stored: shape })).toMatchObject({
      steps: [{ kind: 'drop_index' }, { kind: 'create_index' }],
      retired: [],
    });
    const changed = planMigration(spec({ id: { type: 'text' }, a: { type: 'decimal' }, b: { type: 'text', nullable: false } }), {
      exists: true,
      hasRows: true,
      stored: shape,
    });
    expect((changed as LedgersyncError).message).toContain('column a is integer in the database and declared decimal');
  });

  it('refuses to stop declaring a NOT NULL column, since new rows could not be written', () => {
    const error = planMigration(spec({ id: { type: 'text' }, a: { type: 'integer' } }), { exists: true, hasRows: true, stored }) as LedgersyncError;
    expect(error.code).toBe('sql_migration_refused');
    expect(error.details['problems']).toEqual(['column b is no longer declared, but it is NOT NULL in the database, so new rows could not be written']);
  });

  it('recreates an empty table instead of refusing, keeping its generation', () => {
    const rekeyed = spec({ id: { type: 'integer' }, a: { type: 'integer' } }, [], ['a']);
    expect(planMigration(rekeyed, { exists: true, hasRows: false, stored })).toMatchObject({
      steps: [{ kind: 'recreate' }],
      shape: { generation: 'gen1', primary_key: ['a'] },
    });
  });

  it('names indexes within 63 characters, distinctly', () => {
    const long = indexName('subscription_snapshots_archive', ['subscription_id', 'occurred_at', 'resource_version']);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toBe(indexName('subscription_snapshots_archive', ['subscription_id', 'occurred_at', 'resource_versions']));
    expect(indexName('customers', ['country', 'name'])).toMatch(/^customers_country_name_[0-9a-f]{10}_idx$/);
  });

  it('never gives two indexes one name, where table and column names join alike', () => {
    expect(indexName('invoice', ['line_id'])).not.toBe(indexName('invoice_line', ['id']));
    expect(indexName('t', ['a', 'b'])).not.toBe(indexName('t', ['a_b']));
  });

  it('drops an index recorded under an older name by that name, and creates it under the new one', () => {
    const before: StoredShape = { ...stored, indexes: [{ name: 't_a_idx', columns: ['a'] }] };
    expect(planMigration(base, { exists: true, hasRows: true, stored: before })).toMatchObject({
      steps: [
        { kind: 'drop_index', name: 't_a_idx' },
        { kind: 'create_index', name: indexName('t', ['a']), columns: ['a'] },
      ],
      shape: { indexes: [{ name: indexName('t', ['a']), columns: ['a'] }] },
    });
  });
});
