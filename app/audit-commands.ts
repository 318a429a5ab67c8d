/** `ledgersync audit` and `ledgersync replay`: the CLI side of the audit trail. */
import { onStopSignal } from './stop-signals.js';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatProblem } from '../engine/errors.js';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { commandOutput, type LogFormat } from './logging.js';
import type { ReplaySummary } from '../engine/run/replay.js';
import { withSnakeCaseKeys } from '../engine/json-keys.js';
import { statePath } from './state-path.js';

/** `replay` without --json: one line per record, the work waiting in retry, and the outcome. */
export function replayText(summary: ReplaySummary): string {
  const lines = (summary.problems ?? []).map(formatProblem);
  for (const r of summary.records) {
    const targets = r.targetIds.length ? ` ${r.targetIds.join(', ')}` : '';
    const from = r.from === 'dead_letter' ? ' (from the dead letter: the source no longer returns it)' : '';
    const said =
      r.outcome === 'unchanged'
        ? `: the mapped record did not change, nothing sent${targets ? ` (target${targets})` : ''}`
        : r.outcome === 'not_found'
          ? ': the source does not return it (deleted, or outside what the stream reads) and no copy is kept'
          : r.error
            ? `: ${r.error.code}: ${r.error.message}${r.error.fix ? ` Fix: ${r.error.fix}` : ''}`
            : targets;
    lines.push(`${r.stream} ${r.sourceId}: ${r.outcome}${said}${from}`);
  }
  for (const w of summary.waiting ?? []) lines.push(`waiting in retry: ${w.subject} [${w.code}] ${w.message}${w.fix ? ` Fix: ${w.fix}` : ''}`);
  if (summary.error && !summary.problems?.length) lines.push(`error: ${summary.error.message}${summary.error.fix ? `\nfix: ${summary.error.fix}` : ''}`);
  if (!summary.records.length && !summary.error) lines.push('nothing to replay');
  lines.push(`${summary.status}${summary.runId ? ` (run ${summary.runId})` : ''}, exit ${summary.exitCode}`);
  return lines.map((l) => l + '\n').join('');
}

export function addAuditCommands(program: Command, connectors: ConnectorRegistry, logFormat: () => LogFormat): void {
  program
    .command('audit')
    .description(
      'show the audit trail of a pipeline: every write attempt, what was sent and what the target answered; --verify checks its hash chain (exit 1 when broken)',
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--id <source-id>', 'only this source record (with its payload and the answer in full)')
    .option('--since <date>', 'only attempts from this date (YYYY-MM-DD, UTC) or instant (2026-03-01T09:00:00Z)')
    .option('--verify', 'check that no entry was edited, deleted or inserted: exit 1 naming the first bad entry', false)
    .option('--state <path>', 'state database')
    .option('--json', 'print JSON', false)
    .action(async (pipeline: string, opts: { id?: string; since?: string; verify: boolean; state?: string; json: boolean }) => {
      const { showAudit } = await import('../engine/run/audit-report.js');
      process.exitCode = await showAudit({
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        ...(opts.id !== undefined ? { sourceId: opts.id } : {}),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
        verify: opts.verify,
        json: opts.json,
        out: process.stdout,
      });
    });

  program
    .command('replay')
    .description(
      "send records again through today's mapping, under the run lock: an update of the document the ledger points at, or nothing when unchanged; never a duplicate",
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--id <source-id>', 'the source record to send again (fetched afresh from the source)')
    .option('--failed', 'every record waiting in the dead-letter table', false)
    .option('--stream <name>', 'only this stream')
    .option('--state <path>', 'state database')
    .option('--json', 'print one JSON summary on stdout', false)
    .action(async (pipeline: string, opts: { id?: string; failed: boolean; stream?: string; state?: string; json: boolean }) => {
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('interrupted'));
      onStopSignal(stop);
      const { replayRecords } = await import('../engine/run/replay.js');
      const summary = await replayRecords({
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        ...(opts.id !== undefined ? { sourceId: opts.id } : {}),
        failed: opts.failed,
        ...(opts.stream !== undefined ? { stream: opts.stream } : {}),
        log: commandOutput({ format: logFormat(), command: 'replay', quiet: opts.json }).log,
        signal: controller.signal,
      });
      process.stdout.write(opts.json ? JSON.stringify(replayJson(summary)) + '\n' : replayText(summary));
      process.exitCode = summary.exitCode;
    });
}

/** `replay --json`: snake_case keys, as every `--json` output (stream names kept as written). */
export function replayJson(summary: ReplaySummary): Record<string, unknown> {
  return {
    status: summary.status,
    exit_code: summary.exitCode,
    run_id: summary.runId || null,
    pipeline: summary.pipeline,
    records: withSnakeCaseKeys(summary.records),
    streams: summary.streams,
    ...(summary.error ? { error: summary.error } : {}),
    ...(summary.problems?.length ? { problems: summary.problems } : {}),
    waiting_in_retry: summary.waiting ?? [],
  };
}
