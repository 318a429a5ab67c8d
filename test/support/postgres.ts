/**
 * A throwaway PostgreSQL server for tests, from Debian's packages (`apt-get install postgresql`):
 * initdb into a temp folder, a random free port on 127.0.0.1, the unix socket in the temp folder,
 * password login (so tests can check the password is never printed), one database. As root the
 * server runs as the `postgres` user, since PostgreSQL refuses to run as root.
 *
 * ```ts
 * const server = await startPostgres();   // ~1 s; throws (the test FAILS) when the binaries are missing
 * server.url                              // postgres://ledgersync:<password>@127.0.0.1:<port>/ledgersync_test
 * await server.stop();
 * ```
 *
 * Without `durable: true` the server skips fsync: tests need speed, not crash safety of the disk.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const ROOT = '/usr/lib/postgresql';

export interface TestPostgres {
  /** Connection URL of the test database, password included. */
  url: string;
  /** URL of another database on the same server (created on demand). */
  databaseUrl(name: string): Promise<string>;
  password: string;
  port: number;
  /** PostgreSQL's major version. */
  version: string;
  /** Stops the server (fast: connections are cut) and starts it again on the same port and data. */
  restart(options?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Keep fsync on (benchmarks of a real commit path). Default false. */
  durable?: boolean;
  /** max_connections. Default 20. */
  maxConnections?: number;
}

/** The bin folder of the newest PostgreSQL installed, or an error saying how to install it. */
export function postgresBinaries(): { bin: string; version: string } {
  const versions = existsSync(ROOT)
    ? readdirSync(ROOT)
        .filter((v) => existsSync(join(ROOT, v, 'bin', 'initdb')) && existsSync(join(ROOT, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const version = versions[0];
  if (version === undefined) {
    throw new Error(`PostgreSQL server binaries not found (${ROOT}/*/bin/initdb): install them with \`apt-get install postgresql\`, then run the tests again`);
  }
  return { bin: join(ROOT, version, 'bin'), version };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** As root, commands run as `postgres`; otherwise as the current user. */
function asServerUser(): { wrap(command: string, args: string[]): [string, string[]]; own(path: string): void } {
  if (process.getuid?.() !== 0) return { wrap: (command, args) => [command, args], own: () => undefined };
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error('running as root, but there is no `postgres` user to run the server as: `apt-get install postgresql` creates it');
  }
  return { wrap: (command, args) => ['runuser', ['-u', 'postgres', '--', command, ...args]], own: (path) => chownSync(path, uid, gid) };
}

export async function startPostgres(options: StartOptions = {}): Promise<TestPostgres> {
  const { bin, version } = postgresBinaries();
  const user = asServerUser();
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-pg-'));
  chmodSync(dir, 0o700);
  user.own(dir);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
  user.own(passwordFile);
  const exec = async (command: string, args: string[]) => {
    const [file, argv] = user.wrap(join(bin, command), args);
    try {
      await run(file, argv, { timeout: 120_000 });
    } catch (error) {
      const serverLog = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
      throw new Error(`${command} failed: ${(error as { stderr?: string }).stderr || (error as Error).message}\n${serverLog}`);
    }
  };

  await exec('initdb', ['-D', data, '-U', 'ledgersync', '--auth=scram-sha-256', `--pwfile=${passwordFile}`, '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const settings = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', `-c max_connections=${options.maxConnections ?? 20}`, '-c shared_buffers=32MB'];
  if (!options.durable) settings.push('-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off');
  await exec('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', settings.join(' '), 'start']);

  const stopNow = () => {
    try {
      const [file, argv] = user.wrap(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      execFileSync(file, argv, { stdio: 'ignore' });
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that dies without stop() must not leave a server behind.
  process.once('exit', stopNow);

  const urlOf = (database: string) => `postgres://ledgersync:${password}@127.0.0.1:${port}/${database}`;
  const created = new Set<string>(['postgres']);
  const databaseUrl = async (name: string) => {
    if (!created.has(name)) {
      const client = new pg.Client({ connectionString: urlOf('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      created.add(name);
    }
    return urlOf(name);
  };
  const url = await databaseUrl('ledgersync_test');

  return {
    url,
    databaseUrl,
    password,
    port,
    version,
    restart: async ({ downMs = 0 } = {}) => {
      await exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      if (downMs) await new Promise((r) => setTimeout(r, downMs));
      await exec('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', settings.join(' '), 'start']);
    },
    stop: async () => {
      process.removeListener('exit', stopNow);
      stopNow();
    },
  };
}
