/** `ledgersync report` on the CLI: arguments and options into `report()` (./report.ts), the result onto stdout or a file. */
import { Argument, type Command, Option } from 'commander';
import { resolve } from 'node:path';
import { REPORT_FORMATS, REPORT_KINDS, type ReportFormat, type ReportKind } from '../domain/metrics/render/kinds.js';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { EXIT } from '../engine/exit-codes.js';
import { redact } from '../engine/log.js';
import { statePath } from './state-path.js';
import { commandOutput } from './logging.js';

export function addReportCommand(program: Command, connectors: ConnectorRegistry): void {
  program
    .command('report')
    .description(
      "subscription metrics from the database of the pipeline's sql sink, month by month: MRR and its movements (mrr), logo and revenue churn (churn), revenue retention by start month (cohorts)",
    )
    .argument('<pipeline>', 'pipeline YAML file whose sink is sql (e.g. pipelines/examples/chargebee-to-metrics.yaml)')
    .addArgument(new Argument('<report>', 'which report').choices(REPORT_KINDS))
    .option('--from <YYYY-MM>', 'first month shown (history before it still decides new vs reactivation); default: the first month with data')
    .option('--to <YYYY-MM>', "last month shown; default: the current month in the pipeline's timezone")
    .addOption(new Option('--format <format>', 'table, json, csv, or html (one self-contained page with charts)').choices(REPORT_FORMATS).default('table'))
    .option('--out <file>', 'write the report to this file instead of stdout')
    .option('--state <path>', 'state database: its dead letters and last run are reported as warnings (default as for run)')
    .action(
      async (pipeline: string, kind: ReportKind, opts: { from?: string; to?: string; format: ReportFormat; out?: string; state?: string }, cli: Command) => {
        const output = commandOutput({ format: cli.optsWithGlobals()['logFormat'] === 'json' ? 'json' : 'text', command: 'report' });
        const { report } = await import('./report.js');
        const result = await report({
          connectors,
          pipelinePath: resolve(pipeline),
          kind,
          format: opts.format,
          ...(opts.from !== undefined ? { from: opts.from } : {}),
          ...(opts.to !== undefined ? { to: opts.to } : {}),
          ...(opts.out !== undefined ? { out: opts.out } : {}),
          statePath: statePath(opts.state),
        });
        for (const warning of result.warnings) output.notes.write(redact(`warning: ${warning}`) + '\n');
        if (result.written) process.stdout.write(`${kind} report (${opts.format}) written to ${result.written}\n`);
        else process.stdout.write(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
        process.exitCode = EXIT.ok;
      },
    );
}
