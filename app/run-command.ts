/**
 * `ledgersync run <pipeline> [--state PATH] [--full-refresh] [--stream S…] [--json]`: one run of a
 * pipeline (engine/run/runner.ts), its summary as a table or one JSON object.
 */
import { onStopSignal } from './stop-signals.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { formatProblem } from '../engine/errors.js';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import type { RunSummary } from '../engine/run/runner.js';
import { formatCauses } from '../engine/run/dead-letters.js';
import { DEFAULT_STATE, statePath } from './state-path.js';
import { commandOutput, type LogFormat } from './logging.js';
import { collectNames } from './help.js';

export function addRunCommand(program: Command, connectors: ConnectorRegistry, logFormat: () => LogFormat): void {
  program
    .command('run')
    .description('sync a pipeline: read what changed since the last checkpoint, map it, write it')
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--state <path>', `state database (default ${DEFAULT_STATE}, or LEDGERSYNC_STATE)`)
    .option('--full-refresh', 're-read and re-map everything: documents whose output changed are updated in place, none is created twice', false)
    .option('--stream <names>', 'only these streams: repeat the option or separate names with commas', collectNames)
    .option('--json', 'print one JSON summary on stdout and no progress', false)
    .action(async (pipeline: string, opts: { state?: string; fullRefresh: boolean; stream?: string[]; json: boolean }) => {
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('interrupted'));
      onStopSignal(stop);
      const { runPipeline } = await import('../engine/run/runner.js');
      const output = commandOutput({ format: logFormat(), command: 'run', quiet: opts.json, progress: true });
      const summary = await runPipeline({
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        fullRefresh: opts.fullRefresh,
        ...(opts.stream ? { streams: opts.stream } : {}),
        log: output.log,
        progress: output.progress,
        signal: controller.signal,
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify(summaryJson(summary)) + '\n');
      } else {
        printSummary(summary);
      }
      process.exitCode = summary.exitCode;
    });
}

function printSummary(summary: RunSummary): void {
  const out = process.stdout;
  if (summary.problems?.length) {
    for (const p of summary.problems) out.write(formatProblem(p) + '\n');
  }
  const names = Object.keys(summary.streams);
  if (names.length) {
    const header = ['stream', 'read', 'created', 'updated', 'skipped', 'failed'];
    const rows = names.map((n) => {
      const c = summary.streams[n]!;
      return [n, c.read, c.created, c.updated, c.skipped, c.failed].map(String);
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    out.write(line(header) + '\n' + rows.map(line).join('\n') + '\n');
  }
  if (summary.deadLetterCauses?.length) {
    out.write(`\nfailed in this run, by cause (ledgersync status lists every waiting record):\n`);
    for (const line of formatCauses(summary.deadLetterCauses)) out.write(line + '\n');
  }
  for (const w of summary.waiting ?? []) {
    out.write(`waiting in retry: ${w.subject} [${w.code}] ${w.message}${w.fix ? `\n  fix: ${w.fix}` : ''}\n`);
  }
  if (summary.error && !summary.problems?.length) {
    out.write(`error: ${summary.error.message}${summary.error.fix ? `\nfix: ${summary.error.fix}` : ''}\n`);
  }
  out.write(`${summary.status}${summary.runId ? ` (run ${summary.runId})` : ''}, exit ${summary.exitCode}\n`);
}

export function summaryJson(summary: RunSummary): Record<string, unknown> {
  return {
    status: summary.status,
    exit_code: summary.exitCode,
    run_id: summary.runId || null,
    pipeline: summary.pipeline,
    streams: summary.streams,
    ...(summary.mappingChanges ? { mapping_changes: summary.mappingChanges } : {}),
    ...(summary.error ? { error: summary.error } : {}),
    ...(summary.problems?.length ? { problems: summary.problems } : {}),
    dead_letter_causes: summary.deadLetterCauses ?? [],
    waiting_in_retry: summary.waiting ?? [],
  };
}
