/**
 * A record's parts (`<id>#<part>`) as one range of ids, `<id>#` up to `<id>$` ('$' is the character
 * after '#'), compared byte by byte: exactly the ids that start with `<id>#`, so nothing is filtered
 * again afterwards. SQLite compares text so, and the range is a seek in the primary key. PostgreSQL
 * compares by the database's collation, and a linguistic one (glibc's en_US.UTF-8, ICU) ignores
 * punctuation and would leave the range empty, so there the range is compared COLLATE "C"; the
 * primary key's index, in the database's collation, cannot serve that comparison, so the range
 * filters the rows of the key's leading columns (the pipeline's, or the pipeline's stream's).
 */
import type { Dialect } from './driver.js';

/**
 * A text column compared and sorted byte by byte, as SQLite does: in `<`, `>` and `ORDER BY`, so
 * lists and "next to it" ids are the same on both databases whatever PostgreSQL's collation.
 */
export function byteOrder(dialect: Dialect, column = 'source_id'): string {
  return dialect === 'postgres' ? `${column} COLLATE "C"` : column;
}

/** `source_id` between two bounds, `?` placeholders unless named (columns of `partsTable`). */
export function partRange(dialect: Dialect, [from, to]: readonly [string, string] = ['?', '?']): string {
  const id = byteOrder(dialect);
  return `${id} >= ${from} AND ${id} < ${to}`;
}

export function partBounds(id: string): [string, string] {
  return [`${id}#`, `${id}$`];
}

/** A record and its parts: the condition, and its parameters for one id. */
export function recordOrParts(dialect: Dialect): { sql: string; params: (id: string) => [string, string, string] } {
  return { sql: `(source_id = ? OR (${partRange(dialect)}))`, params: partsRow };
}

/**
 * The parts of `count` records in one statement: a WITH table `part_of(owner, lo, hi)` of their
 * ranges, each record's row from `partsRow`, and the condition that joins it to `source_id`. Joined
 * `part_of CROSS JOIN <table>` (SQLite then seeks once per record; ranges OR'ed in one condition
 * make it test every range against every row found, hundreds of times slower at 500 records), a
 * part of two records (`a#b#c` of `a` and of `a#b`) comes back once for each.
 */
export function partsTable(dialect: Dialect, count: number): { with: string; on: string } {
  return {
    with: `part_of(owner, lo, hi) AS (VALUES ${Array.from({ length: count }, () => '(?, ?, ?)').join(', ')})`,
    on: partRange(dialect, ['part_of.lo', 'part_of.hi']),
  };
}

/** An id and its parts' bounds: a row of `partsTable`, the parameters of `recordOrParts`. */
export function partsRow(id: string): [string, string, string] {
  return [id, ...partBounds(id)];
}

/** A row of `partsTable` that matches nothing (`'' <= id < ''`): pads a chunk. */
export const NO_PARTS: readonly [string, string, string] = ['', '', ''];
