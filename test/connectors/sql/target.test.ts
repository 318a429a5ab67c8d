/** Which database a sink block names, and the settings that cannot go together. */
import { describe, expect, it } from 'vitest';
import type { LedgersyncError } from '../../../engine/errors.js';
import { databaseFor } from '../../../connectors/sql/sink.js';
import { describeUrl } from '../../../connectors/sql/postgres.js';
import { sinkInput } from './helpers.js';

const tables = { t: { primary_key: ['id'], columns: { id: { type: 'text' } } } };
const target = (connection: Record<string, unknown>) => databaseFor(sinkInput(connection, tables, { pipelineDir: '/srv/pipelines' }));
const refusal = (connection: Record<string, unknown>): LedgersyncError => {
  try {
    target(connection);
  } catch (error) {
    return error as LedgersyncError;
  }
  throw new Error('expected a refusal');
};

describe('sql sink target', () => {
  it('is a SQLite file relative to the pipeline file, out/<pipeline>.db by default', () => {
    expect(target({ path: 'data/metrics.db' }).description).toBe('/srv/pipelines/data/metrics.db');
    expect(target({ path: '/var/lib/metrics.db' }).description).toBe('/var/lib/metrics.db');
    expect(target({}).description).toBe('/srv/pipelines/out/sql-test.db');
    expect(target({ path: '', url: '' }).description).toBe('/srv/pipelines/out/sql-test.db');
  });

  it('is PostgreSQL for a postgres:// url, described without user or password', () => {
    expect(target({ url: 'postgres://app:s3cret-pw@db.internal:5433/metrics?sslmode=require', schema: 'chargebee' }).description).toBe(
      'postgres://db.internal:5433/metrics (schema chargebee)',
    );
    expect(target({ url: 'postgresql://app:pw@db/metrics' }).description).toBe('postgres://db/metrics (schema public)');
    expect(describeUrl('postgres://a:b@[::1]:5432/x')).toBe('postgres://[::1]:5432/x');
  });

  it('refuses settings that cannot go together, without echoing the url', () => {
    expect(refusal({ path: 'a.db', url: 'postgres://u:pw@h/d' }).code).toBe('sql_target_ambiguous');
    const notPostgres = refusal({ url: 'mysql://u:topsecret@h/d' });
    expect(notPostgres.code).toBe('sql_invalid_url');
    expect(notPostgres.message + notPostgres.fix).not.toContain('topsecret');
    expect(refusal({ path: 'a.db', schema: 'x' }).code).toBe('sql_schema_without_postgres');
  });
});
