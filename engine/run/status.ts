/** `ledgersync status` and `ledgersync reset`: read and trim a pipeline's state. */
import { existsSync } from 'node:fs';
import { EXIT, formatProblem } from '../errors.js';
import { loadPipeline } from '../config/load.js';
import { StateStore } from '../state/store.js';
import type { Plan } from '../config/plan.js';
import { connectors } from '../../app/registry.js';

async function loadForState(file: string, out: NodeJS.WritableStream): Promise<Plan | undefined> {
  const { plan, problems } = await loadPipeline(file, { env: process.env, mode: 'validate' });
  if (!plan) {
    for (const p of problems) out.write(formatProblem(p) + '\n');
    return undefined;
  }
  return plan;
}

/** What the pipeline's connectors say about their own state (periods waiting to post…). */
function connectorStateLines(plan: Plan, state: StateStore): string[] {
  const names = [...new Set([plan.source.config.connector, plan.sink.config.connector])];
  return names.flatMap((name) => connectors[name]?.describeState?.(state.keyValue(plan.name, name)) ?? []);
}

const iso = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : '-');

export async function showStatus(file: string, statePath: string, json: boolean, out: NodeJS.WritableStream): Promise<number> {
  const plan = await loadForState(file, out);
  if (!plan) return EXIT.config;
  const name = plan.name;
  if (!existsSync(statePath)) {
    out.write(
      json
        ? JSON.stringify({ pipeline: name, checkpoints: [], runs: [], dead_letters: [] }) + '\n'
        : `pipeline ${name}: no state yet at ${statePath} (never run)\n`,
    );
    return EXIT.ok;
  }
  const state = StateStore.open(statePath);
  try {
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
          connector_state: connectorStateLines(plan, state),
        }) + '\n',
      );
      return EXIT.ok;
    }
    out.write(`pipeline ${name} (state ${statePath})\n\ncursors:\n`);
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
    const extra = connectorStateLines(plan, state);
    if (extra.length) out.write('\n' + extra.join('\n') + '\n');
    return EXIT.ok;
  } finally {
    state.close();
  }
}

export async function resetPipeline(file: string, statePath: string, stream: string | undefined, out: NodeJS.WritableStream): Promise<number> {
  const plan = await loadForState(file, out);
  if (!plan) return EXIT.config;
  const name = plan.name;
  if (!existsSync(statePath)) {
    out.write(`pipeline ${name}: no state at ${statePath}, nothing to reset\n`);
    return EXIT.ok;
  }
  const state = StateStore.open(statePath);
  try {
    const begun = state.beginRun(name);
    if ('heldBy' in begun) {
      out.write(`pipeline ${name} is running (run ${begun.heldBy.runId}); reset refused\n`);
      return EXIT.locked;
    }
    const removed = state.resetCheckpoints(name, stream);
    state.finishRun(name, begun.runId, 'reset', EXIT.ok, { reset: stream ?? 'all', removed });
    out.write(
      `pipeline ${name}: forgot ${removed} cursor(s)${stream ? ` of stream ${stream}` : ''}; the ledger is kept, so records already written are not written again\n`,
    );
    return EXIT.ok;
  } finally {
    state.close();
  }
}
