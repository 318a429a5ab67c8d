/**
 * A run killed with SIGKILL right after Acumatica committed a write (a create, an update or a
 * release, before its answer, so before the ledger write), then resumed: Acumatica must hold every
 * document exactly once, released and applied as in a clean sync. The run under test is a child
 * process on the build (dist/), rebuilt first when a source is newer.
 * Three random kill points by default; LEDGERSYNC_SOAK=1 repeats it at 20 (LEDGERSYNC_KILL_POINTS).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from './e2e-harness.js';
import { checkExactSync } from './expect-sync.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const child = join(root, 'test', 'connectors', 'acumatica', 'kill-child.mjs');
const points = process.env['LEDGERSYNC_SOAK'] ? Number(process.env['LEDGERSYNC_KILL_POINTS'] ?? 20) : 3;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const builtFiles = ['app/registry.js', 'connectors/acumatica/sink.js', 'engine/run/runner.js'].map((f) => join(root, 'dist', f));

/** `npm test` builds first; a lone `vitest run` of this file builds only when dist/ is missing or older than a source. */
function ensureBuilt(): void {
  const built = Math.min(...builtFiles.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  const newest = Math.max(...['app', 'domain', 'engine', 'connectors'].map((d) => newestSource(join(root, d))));
  if (built > newest) return;
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (builtFiles.some((f) => !existsSync(f))) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
}

interface KillOutcome {
  killPoint: number;
  killed: boolean;
  resumedExit: number;
  problem?: string;
}

/** Writes a clean first sync of the sandbox's site commits (inserts, updates and release actions). */
const FIRST_SYNC_WRITES = 105;

async function killAndResume(killPoint: number): Promise<KillOutcome> {
  const s = await startSandbox();
  try {
    let proc: ChildProcess | undefined;
    let killed = false;
    const exited = new Promise<void>((resolve) => {
      s.acu.faults.afterWrite = async () => {
        if (s.acu.state.writes.length !== killPoint || !proc) return;
        killed = proc.kill('SIGKILL');
        await new Promise<void>((r) => (proc!.exitCode !== null || proc!.signalCode !== null ? r() : proc!.once('exit', () => r())));
        resolve();
      };
      proc = spawn(process.execPath, [child, s.pipelinePath, s.statePath], { env: { ...process.env, ...s.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      proc.once('exit', () => resolve());
    });
    await exited;
    s.acu.faults.afterWrite = undefined;
    // The killed run never signed out: its session keeps one of the licence's two seats until Acumatica times it out.
    const resumed = await s.run();
    let problem: string | undefined;
    try {
      checkExactSync(s);
    } catch (error) {
      problem = (error as Error).message.slice(0, 300);
    }
    return { killPoint, killed, resumedExit: resumed.exitCode, ...(problem ? { problem } : {}) };
  } finally {
    await s.close();
  }
}

describe('SIGKILL between the Acumatica write and the ledger write', () => {
  beforeAll(() => ensureBuilt(), 180_000);

  it(`resumes without a duplicate or a lost document at ${points} random kill points`, async () => {
    const outcomes: KillOutcome[] = [];
    for (let i = 0; i < points; i++) outcomes.push(await killAndResume(1 + Math.floor(Math.random() * FIRST_SYNC_WRITES)));
    console.log(`kill-and-resume: ${JSON.stringify(outcomes)}`);
    for (const o of outcomes) {
      expect(o.killed, `kill point ${o.killPoint}`).toBe(true);
      expect(o, `kill point ${o.killPoint}`).toEqual({ killPoint: o.killPoint, killed: true, resumedExit: 0 });
    }
  }, 900_000);
});
