/**
 * The state store's two databases for tests that must hold on both: a SQLite file in a temp folder,
 * and a schema of a throwaway PostgreSQL server (test/support/postgres.ts) started once per test file.
 *
 * ```ts
 * const backends = stateBackends();        // registers beforeAll/afterAll for the server
 * describe.each(backends.all)('on %s', (backend) => {
 *   it('…', () => { const store = StateStore.open(backend.location()); … });
 * });
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type TestPostgres } from './postgres.js';

export interface StateBackend {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty state location: a new file, or a new schema of the test server. */
  location(): string;
  toString(): string;
}

export interface StateBackends {
  sqlite: StateBackend;
  postgres: StateBackend & { server(): TestPostgres };
  all: StateBackend[];
}

let counter = 0;

export function stateBackends(): StateBackends {
  const dirs: string[] = [];
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const sqlite: StateBackend = {
    name: 'sqlite',
    location() {
      const dir = mkdtempSync(join(tmpdir(), 'ls-state-'));
      dirs.push(dir);
      return join(dir, 'state.db');
    },
    toString: () => 'sqlite',
  };
  const postgres = {
    name: 'postgres' as const,
    server() {
      if (!server) throw new Error('the PostgreSQL test server is not started yet (use it inside a test or hook)');
      return server;
    },
    location() {
      return `${this.server().url}?schema=t${process.pid}_${++counter}`;
    },
    toString: () => 'postgres',
  };
  return { sqlite, postgres, all: [sqlite, postgres] };
}
