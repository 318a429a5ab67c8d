/**
 * The names a database keeps for itself are refused twice: by connector.yaml's name patterns at
 * `validate` time, and by tables.ts when a sink opens tables no pipeline file declared. Both must
 * name the same ones.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DELETED_AT, parseTables, RESERVED_COLUMNS, RESERVED_TABLE_PREFIX } from '../../../connectors/sql/tables.js';

interface TablesProperty {
  propertyNames: { pattern: string };
  additionalProperties: { properties: { columns: { propertyNames: { pattern: string } } } };
}
const descriptor = parse(readFileSync(new URL('../../../connectors/sql/connector.yaml', import.meta.url), 'utf8')) as {
  connection: { properties: { tables: TablesProperty } };
};
const tables = descriptor.connection.properties.tables;
const tablePattern = tables.propertyNames.pattern;
const columnPattern = tables.additionalProperties.properties.columns.propertyNames.pattern;

describe('reserved names: connector.yaml and tables.ts agree', () => {
  it('column names: the schema refuses exactly deleted_at and RESERVED_COLUMNS, as parseTables refuses the latter', () => {
    const listed = /^\^\(\?!\(([a-z_|]+)\)\$\)/.exec(columnPattern)?.[1]?.split('|');
    expect(listed?.sort()).toEqual([DELETED_AT, ...RESERVED_COLUMNS].sort());
    const columnName = new RegExp(columnPattern);
    for (const column of RESERVED_COLUMNS) {
      expect(columnName.test(column)).toBe(false);
      expect(columnName.test(`${column}_value`)).toBe(true);
      expect(() => parseTables({ events: { primary_key: ['id'], columns: { id: { type: 'text' }, [column]: { type: 'text' } } } })).toThrow(
        `PostgreSQL reserves ${column}`,
      );
    }
  });

  it('table names: the schema refuses the prefix parseTables refuses, and nothing else', () => {
    expect(/^\^\(\?!([a-z_]+)\)/.exec(tablePattern)?.[1]).toBe(RESERVED_TABLE_PREFIX);
    const tableName = new RegExp(tablePattern);
    expect(tableName.test(`${RESERVED_TABLE_PREFIX}events`)).toBe(false);
    expect(tableName.test('events')).toBe(true);
    expect(() => parseTables({ [`${RESERVED_TABLE_PREFIX}events`]: { primary_key: ['id'], columns: { id: { type: 'text' } } } })).toThrow(
      `SQLite reserves table names starting with ${RESERVED_TABLE_PREFIX}`,
    );
  });
});
