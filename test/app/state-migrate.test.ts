/** `ledgersync state migrate` leaves its `--from` as it was: it is the backup a rollback goes back to. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../engine/state/schema.js';
import { StateStore } from '../../engine/state/store.js';
import { CLI, ROOT } from '../e2e/helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));
const PREVIOUS = MIGRATIONS.length - 1;

describe.skipIf(!built)('ledgersync state migrate', () => {
  it('copies a state file of the previous schema through an upgraded temporary copy, and leaves the file at its schema, byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgersync-migrate-cli-'));
    const source = join(dir, 'state.db');
    const db = new Database(source);
    db.pragma('journal_mode = WAL');
    for (let i = 0; i < PREVIOUS; i++) {
      db.exec(MIGRATIONS[i]!);
      db.pragma(`user_version = ${i + 1}`);
    }
    db.prepare(
      "INSERT INTO ledger (pipeline, stream, source_id, source_version, content_hash, target_id, pending_write, updated_at) VALUES ('acme', 'invoices', 'inv_1', '1', 'h', 'T1', 0, 1)",
    ).run();
    db.close();
    const before = createHash('sha256').update(readFileSync(source)).digest('hex');
    const target = join(dir, 'new.db');

    const result = spawnSync(process.execPath, [CLI, 'state', 'migrate', '--from', source, '--to', target], { encoding: 'utf8' });

    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${source} is at state schema ${PREVIOUS}: a temporary copy of it was upgraded`);
    expect(result.stdout).toContain(`${source} is left as it was (keep it as a backup)`);
    const after = new Database(source, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(PREVIOUS);
    after.close();
    expect(createHash('sha256').update(readFileSync(source)).digest('hex')).toBe(before);
    const copied = StateStore.open(target);
    expect(copied.getLedger('acme', 'invoices', 'inv_1')).toMatchObject({ targetId: 'T1' });
    copied.close();
  });
});
