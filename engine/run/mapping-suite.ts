/**
 * `ledgersync test <pipeline> <cases files…>`: loads the pipeline (validate mode: no secrets
 * needed), checks every cases file against it, runs the cases of the files that are valid, and
 * reports as text (one line per case, each failure at the `file:line:col` of the expectation it
 * broke) or as JUnit XML for CI. Exit 0 when every case passed, 1 when one failed, 2 when the
 * pipeline or a cases file is invalid (an invalid file's cases are not run).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LedgersyncError, formatProblem, type ConfigProblem } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { isCasesFileName, loadCasesFile, type LocatedCase } from '../config/cases.js';
import { LOOKUP_FILE_UNREAD, loadPipeline } from '../config/load.js';
import type { Plan } from '../config/plan.js';
import { junitXml, type JUnitCase, type JUnitSuite } from './junit.js';
import { runMappingCase, type CaseOutput, type CaseResult } from './mapping-test.js';

export interface MappingTestOptions {
  /** The pipeline file, as the user typed it (messages name it so). */
  pipeline: string;
  /** The cases files, as typed. */
  files: readonly string[];
  /** `text` (default) or `junit`. */
  format?: 'text' | 'junit';
  /** Where the JUnit report is written. Default: stdout (the text report then goes nowhere). */
  out?: string;
  /** Print each case's whole mapped record(s). Default false. */
  showOutput?: boolean;
  /** Variables for `${VAR}` in the pipeline. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The folder of connector descriptors, from the caller's connector registry. */
  connectorsDir: string;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

interface RanCase {
  case: LocatedCase;
  result: CaseResult;
  seconds: number;
}

interface FileReport {
  file: string;
  problems: ConfigProblem[];
  ran: RanCase[];
  timestamp: string;
  seconds: number;
}

const INDENT = '       ';

export async function testMappings(options: MappingTestOptions): Promise<number> {
  const format = options.format ?? 'text';
  if (options.out !== undefined && format !== 'junit') {
    throw new LedgersyncError('invalid_arguments', 'config', '--out writes the JUnit report: add --format junit');
  }
  if (isCasesFileName(options.pipeline)) {
    throw new LedgersyncError(
      'invalid_arguments',
      'config',
      `${options.pipeline} is a cases file, but the pipeline comes first: ledgersync test <pipeline> <cases files…>`,
    );
  }
  // With the XML on stdout, everything meant for a person goes to stderr.
  const human = format === 'junit' && options.out === undefined ? options.stderr : options.stdout;

  const loaded = await loadPipeline(options.pipeline, { env: options.env ?? process.env, mode: 'validate', connectorsDir: options.connectorsDir });
  for (const p of loaded.problems) human.write(formatProblem(p) + '\n');
  if (!loaded.plan) {
    if (format === 'junit') writeJunit(options, [invalidSuite(options.pipeline, 'pipeline', loaded.problems, new Date().toISOString())]);
    human.write(`the pipeline ${options.pipeline} is invalid: no case was run\n`);
    return EXIT.config;
  }
  const unread = loaded.problems.filter((p) => p.code === LOOKUP_FILE_UNREAD);
  if (unread.length) {
    // An empty table would fail (or, with expect_error: lookup_missing, pass) cases for the wrong reason.
    if (format === 'junit') writeJunit(options, [invalidSuite(options.pipeline, 'pipeline', unread, new Date().toISOString())]);
    human.write(`a lookup file of ${options.pipeline} was not read, its path naming a variable that is not set: no case was run\n`);
    return EXIT.config;
  }
  const plan = loaded.plan;

  const reports: FileReport[] = [];
  for (const file of options.files) {
    const timestamp = new Date().toISOString();
    const started = performance.now();
    const cases = loadCasesFile(file, { streams: plan.streams.map((s) => s.name), options: Object.keys(plan.options), lookups: Object.keys(plan.lookups) });
    const ran: RanCase[] = [];
    for (const c of cases.cases) {
      const caseStarted = performance.now();
      const result = await runMappingCase(plan, c);
      ran.push({ case: c, result, seconds: (performance.now() - caseStarted) / 1000 });
    }
    const report = { file, problems: cases.problems, ran, timestamp, seconds: (performance.now() - started) / 1000 };
    reports.push(report);
    printFile(human, report, options.showOutput ?? false);
  }

  if (format === 'junit')
    writeJunit(
      options,
      reports.map((r) => junitSuite(r, plan, options.showOutput ?? false)),
    );

  const all = reports.flatMap((r) => r.ran);
  const failed = all.filter((r) => !r.result.passed).length;
  const invalid = reports.filter((r) => r.problems.some((p) => p.severity === 'error'));
  if (invalid.length) human.write(`${invalid.length} cases file(s) invalid, not run: ${invalid.map((r) => r.file).join(', ')}\n`);
  human.write(`${all.length - failed} passed, ${failed} failed\n`);
  if (invalid.length) return EXIT.config;
  return failed ? EXIT.recordsFailed : EXIT.ok;
}

function printFile(out: MappingTestOptions['stdout'], report: FileReport, showOutput: boolean): void {
  for (const p of report.problems) out.write(formatProblem(p) + '\n');
  for (const { case: c, result } of report.ran) {
    out.write(`${result.passed ? 'ok  ' : 'FAIL'} ${report.file}:${c.at.line}  ${c.name}\n`);
    for (const m of result.mismatches) {
      const at = c.positionOf(m.pointer);
      out.write(`${INDENT}${report.file}:${at.line}:${at.column}: ${m.message}\n`);
    }
    if (showOutput) out.write(describeOutput(result.output, INDENT) + '\n');
  }
}

/** The mapped record(s) in full, as the sink would receive them. */
export function describeOutput(output: CaseOutput, indent = ''): string {
  if (output.kind === 'filtered') return `${indent}output: filtered out`;
  if (output.kind === 'error') return `${indent}output: error [${output.code}] ${output.message}`;
  const lines = output.records.map((r) => {
    const json = JSON.stringify(r.data, null, 2).replace(/\n/g, `\n${indent}`);
    return `${indent}output: ${r.object} ${r.sourceId} (${r.action}) ${json}`;
  });
  for (const id of output.skipped) lines.push(`${indent}output: ${id} skipped (_action: skip)`);
  return lines.length ? lines.join('\n') : `${indent}output: no record`;
}

function junitSuite(report: FileReport, plan: Plan, showOutput: boolean): JUnitSuite {
  if (report.problems.some((p) => p.severity === 'error')) return invalidSuite(report.file, plan.name, report.problems, report.timestamp);
  return {
    name: report.file,
    file: report.file,
    timestamp: report.timestamp,
    seconds: report.seconds,
    properties: { pipeline: plan.name, pipeline_file: plan.file },
    cases: report.ran.map(({ case: c, result, seconds }): JUnitCase => {
      const failures = result.mismatches.map((m) => {
        const at = c.positionOf(m.pointer);
        return `${report.file}:${at.line}:${at.column}: ${m.message}`;
      });
      return {
        name: c.name,
        classname: `${plan.name}.${c.stream}`,
        file: report.file,
        line: c.at.line,
        seconds,
        ...(result.passed ? {} : { failure: { message: result.problems[0] ?? 'failed', type: 'mapping_mismatch', text: failures.join('\n') } }),
        ...(showOutput ? { systemOut: describeOutput(result.output) } : {}),
      };
    }),
  };
}

function invalidSuite(file: string, classname: string, problems: readonly ConfigProblem[], timestamp: string): JUnitSuite {
  const errors = problems.filter((p) => p.severity === 'error');
  return {
    name: file,
    file,
    timestamp,
    seconds: 0,
    cases: [
      {
        name: `${file} is invalid`,
        classname,
        file,
        ...(errors[0] ? { line: errors[0].line } : {}),
        seconds: 0,
        error: { message: errors[0] ? formatProblem(errors[0]) : 'invalid', type: errors[0]?.code ?? 'invalid', text: errors.map(formatProblem).join('\n') },
      },
    ],
  };
}

function writeJunit(options: MappingTestOptions, suites: JUnitSuite[]): void {
  const xml = junitXml(suites, 'ledgersync test');
  if (options.out === undefined) {
    options.stdout.write(xml);
    return;
  }
  try {
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, xml);
  } catch (error) {
    throw new LedgersyncError('file_unwritable', 'config', `cannot write the JUnit report to ${options.out}: ${writeFailure(error)}`);
  }
}

/** Why a file could not be written, as a person reads it (not `EISDIR: illegal operation on a directory, open …`). */
function writeFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EISDIR') return 'it is a directory; give a file path such as reports/mappings.xml';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'a folder on its path is a file';
  if (code === 'ENOSPC') return 'the disk is full';
  return (error as Error).message;
}
