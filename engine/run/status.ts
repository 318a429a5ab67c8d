/** `ledgersync status` and `ledgersync reset`: read and trim a pipeline's state. */
import { existsSync } from 'node:fs';
import { formatProblem } from '../errors.js';
import { EXIT, exitCodeFor, type ExitCode } from '../exit-codes.js';
import { loadPipeline } from '../config/load.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { StateStore } from '../state/store.js';
import type { Plan } from '../config/plan.js';
import { withRunLock, withState } from './lifecycle.js';
import { isPostgresUrl, printableLocation } from '../state/driver.js';

/** A SQLite file that does not exist yet holds no state; a PostgreSQL database is asked. */
const noStateAt = (location: string) => !isPostgresUrl(location) && !existsSync(location);

export interface StateCommandOptions {
  /** The connectors this installation offers (the app's registry). */
  connectors: ConnectorRegistry;
  /** The pipeline YAML file. */
  pipelinePath: string;
  /** SQLite state file, or a `postgres://` URL. */
  statePath: string;
  /** Where the report goes (the CLI gives stdout). */
  out: NodeJS.WritableStream;
}

async function loadForState(options: StateCommandOptions): Promise<Plan | undefined> {
  const { plan, problems } = await loadPipeline(options.pipelinePath, {
    env: process.env,
    mode: 'validate',
    connectorsDir: options.connectors.descriptorsDir,
  });
  if (!plan) {
    for (const p of problems) options.out.write(formatProblem(p) + '\n');
    return undefined;
  }
  return plan;
}

/** What the pipeline's connectors say about their own state (periods waiting to post…). */
function connectorStateLines(registry: ConnectorRegistry, plan: Plan, state: StateStore): string[] {
  const names = [...new Set([plan.source.config.connector, plan.sink.config.connector])];
  return names.flatMap((name) => registry.modules[name]?.describeState?.(state.keyValue(plan.name, name)) ?? []);
}

const iso = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : '-');

export async function showStatus(options: StateCommandOptions & { json: boolean }): Promise<ExitCode> {
  const { statePath, json, out } = options;
  const plan = await loadForState(options);
  if (!plan) return EXIT.config;
  const name = plan.name;
  if (noStateAt(statePath)) {
    out.write(
      json
        ? JSON.stringify({ pipeline: name, checkpoints: [], runs: [], dead_letters: [] }) + '\n'
        : `pipeline ${name}: no state yet at ${printableLocation(statePath)} (never run)\n`,
    );
    return EXIT.ok;
  }
  return withState(statePath, (state) => {
    const checkpoints = state.listCheckpoints(name);
    const runs = state.recentRuns(name, 10);
    const dead = state.deadLetters(name);
    if (json) {
      out.write(
        JSON.stringify({
          pipeline: name,
          checkpoints,
          runs,
          dead_letters: dead.map(({ record: _record, ...rest }) => rest),
          connector_state: connectorStateLines(options.connectors, plan, state),
        }) + '\n',
      );
      return EXIT.ok;
    }
    out.write(`pipeline ${name} (state ${printableLocation(statePath)})\n\ncursors:\n`);
    if (!checkpoints.length) out.write('  (none: the next run reads everything)\n');
    for (const c of checkpoints) {
      const value = c.value as { cursor?: number; field?: string };
      const cursor = typeof value?.cursor === 'number' ? `${value.field ?? 'cursor'} ≥ ${iso(value.cursor)}` : JSON.stringify(c.value);
      out.write(`  ${c.stream.padEnd(20)} ${cursor}   (saved ${iso(c.updatedAt)})\n`);
    }
    out.write('\nrecent runs:\n');
    if (!runs.length) out.write('  (none)\n');
    for (const r of runs) {
      const counts = r.counts as Record<string, { read: number; created: number; updated: number; failed: number }> | null;
      const total = counts
        ? Object.values(counts).reduce((a, c) => ({ read: a.read + c.read, written: a.written + c.created + c.updated, failed: a.failed + c.failed }), {
            read: 0,
            written: 0,
            failed: 0,
          })
        : undefined;
      out.write(
        `  ${r.id}  ${iso(r.startedAt)}  ${r.status.padEnd(8)} exit ${r.exitCode ?? '-'}` +
          (total ? `  read ${total.read}, written ${total.written}, failed ${total.failed}` : '') +
          (r.error ? `  error: ${String((r.error as { message?: string }).message ?? '')}` : '') +
          '\n',
      );
    }
    out.write(`\ndead letters (retried on every run): ${dead.length}\n`);
    for (const d of dead.slice(0, 50)) {
      out.write(`  ${d.stream} ${d.sourceId} [${d.errorCode}] ${d.message}${d.fix ? ` — fix: ${d.fix}` : ''} (attempts ${d.attempts})\n`);
    }
    if (dead.length > 50) out.write(`  … ${dead.length - 50} more (use --json)\n`);
    const extra = connectorStateLines(options.connectors, plan, state);
    if (extra.length) out.write('\n' + extra.join('\n') + '\n');
    return EXIT.ok;
  });
}

export async function resetPipeline(options: StateCommandOptions & { stream?: string | undefined }): Promise<ExitCode> {
  const { statePath, stream, out } = options;
  const plan = await loadForState(options);
  if (!plan) return EXIT.config;
  const name = plan.name;
  if (noStateAt(statePath)) {
    out.write(`pipeline ${name}: no state at ${printableLocation(statePath)}, nothing to reset\n`);
    return EXIT.ok;
  }
  const reset = await withRunLock(statePath, name, async ({ state }) => {
    const removed = state.resetCheckpoints(name, stream);
    return { result: removed, outcome: { status: 'reset', exitCode: EXIT.ok, counts: { reset: stream ?? 'all', removed } } };
  });
  if ('locked' in reset) {
    out.write(`pipeline ${name} is running (run ${reset.heldBy.runId}); reset refused\n`);
    return exitCodeFor({ error: reset.locked });
  }
  out.write(
    `pipeline ${name}: forgot ${reset.result} cursor(s)${stream ? ` of stream ${stream}` : ''}; the ledger is kept, so records already written are not written again\n`,
  );
  return EXIT.ok;
}
