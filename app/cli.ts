/** The `ledgersync` command. Thin: every command is a call into engine/. */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { EXIT, asLedgersyncError, formatProblem } from '../engine/errors.js';
import { createLogger, redact } from '../engine/log.js';
import { runPipeline, type RunSummary } from '../engine/run/runner.js';
import { createProgress, silentProgress } from '../engine/run/progress.js';
import { showStatus, resetPipeline } from '../engine/run/status.js';
import { validateFiles, formatProblems } from '../engine/config/validate.js';
import { testMappings } from '../engine/run/mapping-suite.js';
import { INIT_TARGETS, formatInitResult, initCustomer } from './init.js';
import { postPeriod } from '../connectors/dualentry/post.js';

const DEFAULT_STATE = '.ledgersync/state.db';

function statePath(option: string | undefined): string {
  return resolve(option ?? process.env['LEDGERSYNC_STATE'] ?? DEFAULT_STATE);
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
  if (summary.error && !summary.problems?.length) {
    out.write(`error: ${summary.error.message}${summary.error.fix ? `\nfix: ${summary.error.fix}` : ''}\n`);
  }
  out.write(`${summary.status}${summary.runId ? ` (run ${summary.runId})` : ''}, exit ${summary.exitCode}\n`);
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('ledgersync')
    .description('Declarative ETL from Chargebee into accounting systems, driven by YAML pipelines.')
    .showHelpAfterError()
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.config));

  program
    .command('validate')
    .description('check pipeline files: YAML, schema, references and JSONata; exit 0 when clean, 2 on any error')
    .argument('<files...>', 'pipeline files or globs (quote globs: "pipelines/**/*.yaml")')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (files: string[], opts: { format: 'text' | 'json' }) => {
      const result = await validateFiles(files, { env: process.env });
      const text = formatProblems(result.problems, opts.format);
      if (text) process.stdout.write(text + '\n');
      const errors = result.problems.filter((p) => p.severity === 'error').length;
      if (opts.format === 'text') process.stderr.write(`${result.files.length} file(s) checked, ${errors} error(s)\n`);
      process.exitCode = errors ? EXIT.config : EXIT.ok;
    });

  program
    .command('run')
    .description('sync a pipeline: read what changed since the last checkpoint, map it, write it')
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--state <path>', `state database (default ${DEFAULT_STATE}, or LEDGERSYNC_STATE)`)
    .option('--full-refresh', 're-read everything from the source (the ledger still prevents duplicate writes)', false)
    .option('--stream <name...>', 'only these streams')
    .option('--json', 'print one JSON summary on stdout and no progress', false)
    .action(async (pipeline: string, opts: { state?: string; fullRefresh: boolean; stream?: string[]; json: boolean }) => {
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const summary = await runPipeline({
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        fullRefresh: opts.fullRefresh,
        ...(opts.stream ? { streams: opts.stream } : {}),
        log: createLogger(opts.json ? { level: 'error' } : {}),
        progress: opts.json ? silentProgress : createProgress(),
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
    .option('--json', 'print JSON', false)
    .action(async (pipeline: string, opts: { state?: string; json: boolean }) => {
      process.exitCode = await showStatus(resolve(pipeline), statePath(opts.state), opts.json, process.stdout);
    });

  program
    .command('reset')
    .description('forget cursors so the next run re-reads from the start (the ledger is kept: nothing is written twice)')
    .argument('<pipeline>', 'pipeline YAML file')
    .option('--state <path>', 'state database')
    .option('--stream <name>', 'only this stream')
    .action(async (pipeline: string, opts: { state?: string; stream?: string }) => {
      process.exitCode = await resetPipeline(resolve(pipeline), statePath(opts.state), opts.stream, process.stdout);
    });

  program
    .command('post')
    .description("post one period's revenue-recognition journal now (backfill, out-of-cycle), or --repost it after a mapping fix (reversal + corrected entry)")
    .argument('<pipeline>', 'pipeline YAML file with a revenue_recognition: block')
    .requiredOption('--period <period>', 'the period: 2026-10 for monthly, 2026-Q4 for quarterly')
    .option('--repost', 'reverse the entry in effect and post a corrected one', false)
    .option('--state <path>', 'state database')
    .option('--json', 'print one JSON summary on stdout', false)
    .action(async (pipeline: string, opts: { period: string; repost: boolean; state?: string; json: boolean }) => {
      const summary = await postPeriod({
        pipelinePath: resolve(pipeline),
        statePath: statePath(opts.state),
        period: opts.period,
        repost: opts.repost,
        log: createLogger(opts.json ? { level: 'error' } : {}),
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify(summary) + '\n');
      } else {
        for (const p of summary.problems ?? []) process.stdout.write(formatProblem(p) + '\n');
        for (const e of summary.entries) process.stdout.write(`  ${e.kind} entry ${e.number} dated ${e.date}: ${e.amount} ${e.currency}\n`);
        if (summary.error && !summary.problems?.length)
          process.stdout.write(`error: ${summary.error.message}${summary.error.fix ? `\nfix: ${summary.error.fix}` : ''}\n`);
        process.stdout.write(`period ${summary.period}: ${summary.status}, ${summary.apiCalls} DualEntry request(s), exit ${summary.exitCode}\n`);
      }
      process.exitCode = summary.exitCode;
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
        stdout: process.stdout,
        stderr: process.stderr,
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

  return program;
}

export function summaryJson(summary: RunSummary): Record<string, unknown> {
  return {
    status: summary.status,
    exit_code: summary.exitCode,
    run_id: summary.runId || null,
    pipeline: summary.pipeline,
    streams: summary.streams,
    ...(summary.error ? { error: summary.error } : {}),
    ...(summary.problems?.length ? { problems: summary.problems } : {}),
  };
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const e = asLedgersyncError(error);
    process.stderr.write(redact(`error: ${e.actionable}`) + '\n');
    process.exitCode = e.kind === 'config' || e.kind === 'system' ? EXIT.config : EXIT.authOrConnection;
  });
