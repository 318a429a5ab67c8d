/**
 * `ledgersync check <pipeline> [--state PATH] [--json]`: credentials of both sides, and every
 * identifier the pipeline names in the target, checked against the live systems (engine/run/preflight.ts).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { formatProblem } from '../engine/errors.js';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { commandOutput, type LogFormat } from './logging.js';
import type { CheckReport, CheckedReference, ConnectionCheck } from '../engine/run/preflight.js';
import { statePath } from './state-path.js';

export function addCheckCommand(program: Command, connectors: ConnectorRegistry, logFormat: () => LogFormat): void {
  program
    .command('check')
    .description(
      'preflight against the live systems: both sets of credentials, and every account, item, tax code, payment method, location or company the pipeline names exists and is active; exit 0 all good, 2 something is missing or inactive, 3 credentials or connection',
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--state <path>', 'state database (where a rotated token is kept)')
    .option('--json', 'print one JSON object', false)
    .action(async (pipeline: string, opts: { state?: string; json: boolean }) => {
      const { checkPipeline, problemLines } = await import('../engine/run/preflight.js');
      const report = await checkPipeline({
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        log: commandOutput({ format: logFormat(), command: 'check', quiet: opts.json }).log,
      });
      process.stdout.write(opts.json ? JSON.stringify(checkJson(report)) + '\n' : formatCheck(report, problemLines));
      process.exitCode = report.exitCode;
    });
}

export function checkJson(report: CheckReport): Record<string, unknown> {
  return {
    pipeline: report.pipeline,
    status: report.status,
    exit_code: report.exitCode,
    ...(report.source ? { source: report.source } : {}),
    ...(report.sink ? { sink: report.sink } : {}),
    references: report.references.map((r) => ({ kind: r.kind, value: r.value, status: r.status, answer: r.answer, origins: r.origins })),
    notes: report.notes,
    ...(report.error ? { error: report.error } : {}),
    ...(report.problems?.length ? { problems: report.problems } : {}),
  };
}

function connectionLine(role: string, check: ConnectionCheck | undefined): string[] {
  if (!check) return [];
  if (check.status === 'failed' && check.error) {
    return [`${role} ${check.connector}: FAILED [${check.error.code}] ${check.error.message}${check.error.fix ? ` — fix: ${check.error.fix}` : ''}`];
  }
  return [`${role} ${check.connector}: ${check.status === 'ok' ? 'ok' : 'not checked'}${check.detail ? ` (${check.detail})` : ''}`];
}

export function formatCheck(report: CheckReport, problemLines: (reference: CheckedReference) => string[]): string {
  const out: string[] = [];
  for (const p of report.problems ?? []) out.push(formatProblem(p));
  out.push(...connectionLine('source', report.source), ...connectionLine('sink', report.sink));
  for (const reference of report.references) if (reference.status !== 'ok') out.push(...problemLines(reference));
  if (report.references.length) {
    const kinds = new Map<string, number>();
    for (const r of report.references) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
    const count = (status: string) => report.references.filter((r) => r.status === status).length;
    const tally = ['ok', 'missing', 'inactive', 'unknown'].filter((s) => count(s)).map((s) => `${count(s)} ${s}`);
    out.push(`checked ${report.references.length} reference(s) (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}): ${tally.join(', ')}`);
  }
  for (const note of report.notes) out.push(`note: ${note}`);
  if (report.error && !report.problems?.length) out.push(`error: ${report.error.message}${report.error.fix ? `\nfix: ${report.error.fix}` : ''}`);
  out.push(`${report.status}, exit ${report.exitCode}`);
  return out.map((l) => l + '\n').join('');
}
