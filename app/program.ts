/**
 * The `ledgersync` commands. Thin: each is a call into engine/ with the connector registry it is
 * given, and the commands the registry's connectors contribute are added as they declare them.
 */
import { onStopSignal } from './stop-signals.js';
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { formatProblem } from '../engine/errors.js';
import { EXIT } from '../engine/exit-codes.js';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { runPipeline, type RunSummary } from '../engine/run/runner.js';
import { showStatus, resetPipeline } from '../engine/run/status.js';
import { formatCauses } from '../engine/run/dead-letters.js';
import { validateFiles, formatExpressionReports, formatProblems, validateTimeoutMs } from '../engine/config/validate.js';
import { testMappings } from '../engine/run/mapping-suite.js';
import { INIT_TARGETS, formatInitResult, initCustomer } from './init.js';
import { addConnectorCommands } from './connector-commands.js';
import { addCheckCommand } from './check-command.js';
import { addPlanCommand } from './plan-command.js';
import { addShowCommand } from './show-command.js';
import { addStateCommands } from './state-commands.js';
import { addQueueCommands } from './queue-commands.js';
import { addServeCommand } from './serve.js';
import { addAuditCommands } from './audit-commands.js';
import { addUnlockCommand } from './unlock-command.js';
import { addReportCommand } from './report-command.js';
import { DEFAULT_STATE, statePath } from './state-path.js';
import { commandOutput, logFormatOption, type LogFormat } from './logging.js';
import { addCommandLogging } from './command-logging.js';
import { EXAMPLES, EXIT_CODES, collectNames, installedVersion, positiveInteger, refuseUnknownCommands } from './help.js';

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

export function buildProgram(connectors: ConnectorRegistry): Command {
  const program = new Command();
  program
    .name('ledgersync')
    .description('Declarative ETL from Chargebee into accounting systems, driven by YAML pipelines.')
    .version(installedVersion(), '-V, --version', 'print the installed version')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.config))
    .addOption(logFormatOption())
    .addHelpText('after', EXAMPLES + '\n' + EXIT_CODES);
  refuseUnknownCommands(program);
  const logFormat = (): LogFormat => (program.opts()['logFormat'] === 'json' ? 'json' : 'text');
  addCommandLogging(program, logFormat);

  program
    .command('validate')
    .description('check pipeline files: YAML, schema, references and JSONata; exit 0 when clean, 2 on any error')
    .argument('<files...>', 'pipeline files or globs (quote globs: "pipelines/**/*.yaml")')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--explain', 'also say, per JSONata expression, whether it runs compiled or interpreted (and why)', false)
    .action(async (files: string[], opts: { format: 'text' | 'json'; explain: boolean }) => {
      const output = commandOutput({ format: logFormat(), command: 'validate' });
      const result = await validateFiles(files, {
        env: process.env,
        connectorsDir: connectors.descriptorsDir,
        isolate: { timeoutMs: validateTimeoutMs(process.env, output.notes) },
      });
      const text =
        opts.explain && opts.format === 'json'
          ? `{"problems": ${formatProblems(result.problems, 'json')},\n"expressions": ${formatExpressionReports(result.expressions, 'json')}}`
          : [formatProblems(result.problems, opts.format), opts.explain ? formatExpressionReports(result.expressions, 'text') : ''].filter(Boolean).join('\n');
      if (text) process.stdout.write(text + '\n');
      const errors = result.problems.filter((p) => p.severity === 'error').length;
      const summary = `${result.files.length} file(s) checked, ${errors} error(s)`;
      if (logFormat() === 'json') output.log.info(summary, { files: result.files.length, errors });
      else if (opts.format === 'text') process.stderr.write(summary + '\n');
      process.exitCode = errors ? EXIT.config : EXIT.ok;
    });

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

  program
    .command('status')
    .description('show cursors, recent runs and records waiting in the dead-letter table')
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--state <path>', 'state database')
    .option('--stream <name>', 'only dead-letter causes with a failed or blocked record of this stream')
    .option('--code <code>', 'only dead-letter causes of this error code (e.g. lookup_missing)')
    .option('--limit <n>', 'example ids shown per cause (default 3; --json lists every record)', positiveInteger)
    .option('--json', 'print JSON: every dead letter and the causes they group into', false)
    .action(async (pipeline: string, opts: { state?: string; json: boolean; stream?: string; code?: string; limit?: number }) => {
      process.exitCode = await showStatus({
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        json: opts.json,
        stream: opts.stream,
        code: opts.code,
        limit: opts.limit,
        out: process.stdout,
      });
    });

  program
    .command('reset')
    .description(
      'forget cursors so the next run re-reads and re-maps from the start (the ledger is kept: only changed documents are updated, none is created twice)',
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--state <path>', 'state database')
    .option('--stream <name>', 'only this stream')
    .action(async (pipeline: string, opts: { state?: string; stream?: string }) => {
      process.exitCode = await resetPipeline({
        connectors,
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        stream: opts.stream,
        out: process.stdout,
      });
    });

  program
    .command('test')
    .description(
      'run mapping unit tests: source records and what the pipeline must map them to; exit 0 all passed, 1 a case failed, 2 invalid pipeline or cases file',
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .argument(
      '<cases...>',
      'cases files (schemas/mapping-cases.schema.json: cases of {name, stream, input, refs?, options?, expect | expect_error | expect_action | expect_absent})',
    )
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'junit']).default('text'))
    .option('--out <file>', 'write the JUnit report to this file (with --format junit; the text report then goes to stdout)')
    .option('--show-output', "print each case's whole mapped record(s)", false)
    .action(async (pipeline: string, files: string[], opts: { format: 'text' | 'junit'; out?: string; showOutput: boolean }) => {
      process.exitCode = await testMappings({
        pipeline,
        files,
        format: opts.format,
        ...(opts.out !== undefined ? { out: opts.out } : {}),
        showOutput: opts.showOutput,
        connectorsDir: connectors.descriptorsDir,
        stdout: process.stdout,
        stderr: commandOutput({ format: logFormat(), command: 'test' }).notes,
      });
    });

  program
    .command('init')
    .description(
      'start a new customer: pipelines/<customer>/ from the example for the target, with a mapping tests file, and once per repository a CI workflow that validates and tests every pipeline',
    )
    .argument('<customer>', 'customer name; it names the folder and the pipeline (letters, digits, . _ -)')
    .requiredOption('--target <connector>', `the system the pipeline posts to: ${Object.keys(INIT_TARGETS).join(', ')}`)
    .option('--dir <dir>', 'the folder that holds pipelines/ (default: the working directory)')
    .option('--force', 'overwrite files that exist', false)
    .action((customer: string, opts: { target: string; dir?: string; force: boolean }) => {
      const result = initCustomer({ customer, target: opts.target, force: opts.force, ...(opts.dir !== undefined ? { dir: opts.dir } : {}) });
      process.stdout.write(formatInitResult(result, process.cwd()));
      process.exitCode = EXIT.ok;
    });

  addPlanCommand(program, connectors, logFormat);
  addShowCommand(program, connectors);
  addCheckCommand(program, connectors, logFormat);
  addServeCommand(program, connectors);
  addAuditCommands(program, connectors);
  addUnlockCommand(program, connectors);
  addStateCommands(program);
  addQueueCommands(program, connectors);
  addReportCommand(program, connectors);
  addConnectorCommands(program, connectors, logFormat);
  return program;
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
