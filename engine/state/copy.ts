/**
 * `ledgersync state migrate`: copies a deployment's whole state from one database to another
 * (a SQLite file into PostgreSQL, or back). Generic over the schema: every table the migrations
 * created, every column, rows in their original order; nothing to maintain when a table is added.
 * Tables others keep in the same database are not state and are left where they are; the one
 * exception is the workers' schedules (queue_schedules), copied by pipeline into PostgreSQL and
 * skipped, with a note, for a SQLite file, where nothing reads them.
 * Secrets move as they are stored (still encrypted with the same LEDGERSYNC_SECRET_KEY).
 *
 * Several SQLite deployments can be moved into one PostgreSQL database, one after the other, as
 * long as their pipeline names differ: a pipeline that already has state in the target is refused.
 * Integer keys (operation ids) are given anew by the target, since each file numbered from 1.
 */
import { SCHEDULES_TABLE, copySchedules, storedSchedules } from '../queue/schedules.js';
import { LedgersyncError } from '../errors.js';
import { rowidColumns } from './postgres-dialect.js';
import { MIGRATIONS } from './schema.js';
import type { StateStore } from './store.js';

export interface TableCopy {
  table: string;
  rows: number;
}

/** A table of the source that was not copied, and why. */
export interface TableSkipped extends TableCopy {
  reason: string;
}

export interface StateCopyReport {
  pipelines: string[];
  tables: TableCopy[];
  skipped: TableSkipped[];
}

const BATCH_ROWS = 200;
const nowSeconds = () => Math.floor(Date.now() / 1000);

function pipelinesOf(store: StateStore, tables: ReadonlyArray<{ name: string; columns: string[] }>): string[] {
  const names = new Set<string>();
  for (const t of tables) {
    if (!t.columns.includes('pipeline')) continue;
    for (const row of store.driver.prepare(`SELECT DISTINCT pipeline FROM ${t.name}`).all() as Array<{ pipeline: string }>) names.add(row.pipeline);
  }
  return [...names].sort();
}

function refuse(message: string, fix: string): never {
  throw new LedgersyncError('state_copy_refused', 'config', message, { fix });
}

const SCHEDULES_SKIPPED =
  'schedules are run only by workers on PostgreSQL state; a SQLite deployment runs `ledgersync run` from cron or a systemd timer. Back on PostgreSQL, `ledgersync schedule` the pipelines again';

/** The source's tables that the migrations created, in creation order. */
function stateTablesOf(store: StateStore, keys: ReadonlyMap<string, string>): Array<{ name: string; columns: string[] }> {
  const order = [...keys.keys()];
  return store.driver
    .tables()
    .filter((t) => keys.has(t.name))
    .sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
}

/**
 * Copies everything in `from` into `to`, in one transaction of the target; checks the counts after.
 * `sourceName`: how messages name the source (the file given, when `from` is a migrated copy of it).
 */
export function copyState(from: StateStore, to: StateStore, sourceName = from.path): StateCopyReport {
  const keys = rowidColumns(MIGRATIONS);
  const sourceTables = stateTablesOf(from, keys);
  const targetTables = new Map(to.driver.tables().map((t) => [t.name, t.columns]));
  for (const t of sourceTables) {
    const target = targetTables.get(t.name);
    const missing = target ? t.columns.filter((c) => !target.includes(c)) : t.columns;
    if (missing.length) {
      refuse(
        `the target has no ${target ? `column(s) ${missing.join(', ')} in table ${t.name}` : `table ${t.name}`}: the two databases are at different schema versions`,
        'run the same ledgersync version on both sides',
      );
    }
  }

  const live = from.driver.tables().some((t) => t.name === 'locks')
    ? (from.driver.prepare('SELECT pipeline, hostname, pid, expires_at FROM locks').all() as Array<{
        pipeline: string;
        hostname: string;
        pid: number;
        expires_at: number | null;
      }>)
    : [];
  const running = live.filter((l) => l.expires_at === null || l.expires_at > nowSeconds());
  if (running.length) {
    refuse(
      `a run holds the lock of ${running.map((l) => `'${l.pipeline}' (pid ${l.pid} on ${l.hostname})`).join(', ')} in ${sourceName}`,
      'stop the scheduler for this deployment and wait for the run to end, then migrate',
    );
  }

  const schedules = storedSchedules(from);
  const copiesSchedules = to.driver.dialect === 'postgres';
  const pipelines = [...new Set([...pipelinesOf(from, sourceTables), ...(copiesSchedules ? schedules.map((s) => s.pipeline) : [])])].sort();
  const clashing = [...new Set([...pipelinesOf(to, sourceTables), ...(copiesSchedules ? storedSchedules(to).map((s) => s.pipeline) : [])])].filter((p) =>
    pipelines.includes(p),
  );
  if (clashing.length) {
    refuse(
      `${to.path} already holds state of pipeline(s) ${clashing.join(', ')}`,
      'each pipeline name must be unique in one state database; this deployment may already have been migrated',
    );
  }

  const report: TableCopy[] = [];
  to.transaction(() => {
    for (const t of sourceTables) {
      if (!t.columns.includes('pipeline') && (to.driver.prepare(`SELECT COUNT(*) AS n FROM ${t.name}`).get() as { n: number }).n > 0) {
        refuse(`table ${t.name} of ${to.path} is not empty and has no pipeline column to keep deployments apart`, 'migrate into an empty database');
      }
      const key = keys.get(t.name) ?? 'rowid';
      const columns = t.columns.filter((c) => c !== key);
      const read = from.driver.prepare(`SELECT ${key} AS copy_key, ${columns.join(', ')} FROM ${t.name} WHERE ${key} > ? ORDER BY ${key} LIMIT ?`);
      const row = `(${columns.map(() => '?').join(', ')})`;
      const inserts = new Map<number, ReturnType<StateStore['driver']['prepare']>>();
      let copied = 0;
      let after = -1;
      for (;;) {
        const rows = read.all(after, BATCH_ROWS) as Array<Record<string, unknown>>;
        if (!rows.length) break;
        after = Number(rows[rows.length - 1]!['copy_key']);
        let insert = inserts.get(rows.length);
        if (!insert) {
          insert = to.driver.prepare(`INSERT INTO ${t.name} (${columns.join(', ')}) VALUES ${rows.map(() => row).join(', ')}`);
          inserts.set(rows.length, insert);
        }
        insert.run(...rows.flatMap((r) => columns.map((c) => r[c] ?? null)));
        copied += rows.length;
      }
      report.push({ table: t.name, rows: copied });
    }
    if (schedules.length && copiesSchedules) {
      copySchedules(to, schedules);
      report.push({ table: SCHEDULES_TABLE, rows: schedules.length });
    }
    for (const t of sourceTables) {
      if (!t.columns.includes('pipeline')) continue;
      const count = (store: StateStore) =>
        (
          store.driver
            .prepare(`SELECT COUNT(*) AS n FROM ${t.name} WHERE pipeline IN (${pipelines.map(() => '?').join(', ') || 'NULL'})`)
            .get(...pipelines) as { n: number }
        ).n;
      const [source, target] = [count(from), count(to)];
      if (source !== target)
        throw new LedgersyncError('state_copy_refused', 'system', `table ${t.name}: ${source} rows read but ${target} in the target; nothing was kept`);
    }
    if (schedules.length && copiesSchedules) {
      const kept = storedSchedules(to).filter((s) => schedules.some((copied) => copied.pipeline === s.pipeline)).length;
      if (kept !== schedules.length)
        throw new LedgersyncError(
          'state_copy_refused',
          'system',
          `table ${SCHEDULES_TABLE}: ${schedules.length} rows read but ${kept} in the target; nothing was kept`,
        );
    }
  });
  const skipped = schedules.length && !copiesSchedules ? [{ table: SCHEDULES_TABLE, rows: schedules.length, reason: SCHEDULES_SKIPPED }] : [];
  return { pipelines, tables: report, skipped };
}
