/**
 * `ledgersync plan <pipeline> [--stream S…] [--full-refresh] [--state PATH] [--json]`: what a run
 * would do, document by document, without writing anything (engine/run/change-plan.ts).
 */
import { onStopSignal } from './stop-signals.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { formatProblem } from '../engine/errors.js';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { collectNames } from './help.js';
import { commandOutput, type LogFormat } from './logging.js';
import type { PlanAction, PlanReport, PlannedChange } from '../engine/run/change-plan.js';
import { formatChange } from '../engine/run/diff.js';
import { statePath } from './state-path.js';

export function addPlanCommand(program: Command, connectors: ConnectorRegistry, logFormat: () => LogFormat): void {
  program
    .command('plan')
    .description(
      'show what a run would do, document by document (create, update with a field diff, adopt, void, delete, skip, fail), writing nothing; exit 0, 1 when documents would fail, 2 configuration, 3 auth or connection',
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--stream <names>', 'only these streams: repeat the option or separate names with commas', collectNames)
    .option('--full-refresh', 'plan a `run --full-refresh`: read everything and map again what was already written', false)
    .option('--state <path>', 'state database')
    .option('--json', 'print one JSON object: {pipeline, streams, changes}', false)
    .action(async (pipeline: string, opts: { stream?: string[]; fullRefresh: boolean; state?: string; json: boolean }) => {
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('interrupted'));
      onStopSignal(stop);
      const { PLAN_ACTIONS, planPipeline } = await import('../engine/run/change-plan.js');
      const report = await planPipeline({
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        fullRefresh: opts.fullRefresh,
        ...(opts.stream ? { streams: opts.stream } : {}),
        log: commandOutput({ format: logFormat(), command: 'plan', quiet: opts.json }).log,
        signal: controller.signal,
      });
      process.stdout.write(opts.json ? JSON.stringify(planJson(report)) + '\n' : formatPlan(report, PLAN_ACTIONS));
      process.exitCode = report.exitCode;
    });
}

export function planJson(report: PlanReport): Record<string, unknown> {
  return {
    pipeline: report.pipeline,
    status: report.status,
    exit_code: report.exitCode,
    streams: report.streams,
    changes: report.changes.map((c) => ({
      stream: c.stream,
      source_id: c.sourceId,
      action: c.action,
      ...(c.object !== undefined ? { object: c.object } : {}),
      ...(c.targetId !== undefined ? { target_id: c.targetId } : {}),
      ...(c.diff ? { diff: c.diff } : {}),
      ...(c.payload ? { payload: c.payload } : {}),
      ...(c.error ? { error: c.error } : {}),
      ...(c.note ? { note: c.note } : {}),
    })),
    notes: report.notes,
    ...(report.error ? { error: report.error } : {}),
    ...(report.problems?.length ? { problems: report.problems } : {}),
  };
}

function changeLines(change: PlannedChange): string[] {
  const target = [change.object, change.targetId].filter(Boolean).join(' ');
  const head = `${change.action.padEnd(6)}  ${change.stream} ${change.sourceId}${target ? ` → ${target}` : ''}`;
  const lines = [change.note ? `${head}  (${change.note})` : head];
  if (change.error) lines.push(`        [${change.error.code}] ${change.error.message}${change.error.fix ? ` — fix: ${change.error.fix}` : ''}`);
  for (const field of change.diff ?? []) lines.push(`        ${formatChange(field)}`);
  if (change.diff?.length === 0) lines.push('        (the payload changed only in what the target ignores)');
  return lines;
}

/** `actions`: the plan's actions in the order of the table's columns. */
export function formatPlan(report: PlanReport, actions: readonly PlanAction[]): string {
  const out: string[] = [];
  for (const p of report.problems ?? []) out.push(formatProblem(p));
  for (const change of report.changes) out.push(...changeLines(change));
  const names = Object.keys(report.streams);
  if (names.length) {
    const header = ['stream', ...actions];
    const rows = names.map((n) => [n, ...actions.map((a) => String(report.streams[n]![a]))]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    if (out.length) out.push('');
    out.push(line(header), ...rows.map(line));
  }
  for (const note of report.notes) out.push(`note: ${note}`);
  if (report.error && !report.problems?.length) out.push(`error: ${report.error.message}${report.error.fix ? `\nfix: ${report.error.fix}` : ''}`);
  out.push(`${report.status}: nothing was written, exit ${report.exitCode}`);
  return out.map((l) => l + '\n').join('');
}
