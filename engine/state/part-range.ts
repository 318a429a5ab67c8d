/**
 * The ids of a record's parts (`<id>#<part>`) as one range of the primary key, so a look-up stays
 * an index seek: from `<id>#` up to `<id>$` ('$' is the character after '#'), compared byte by byte.
 * SQLite compares text so; PostgreSQL compares by the database's collation, and a linguistic one
 * (glibc's en_US.UTF-8, ICU) ignores punctuation and would leave the range empty.
 */
import type { Dialect } from './driver.js';

export function partRange(dialect: Dialect): string {
  return dialect === 'postgres' ? `source_id COLLATE "C" >= ? AND source_id COLLATE "C" < ?` : 'source_id >= ? AND source_id < ?';
}

export function partBounds(id: string): [string, string] {
  return [`${id}#`, `${id}$`];
}
