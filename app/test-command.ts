/**
 * `ledgersync test <pipeline> <cases...> [--format text|junit] [--out FILE] [--show-output]`: the
 * mapping unit tests users run in their own CI (engine/run/mapping-suite.ts).
 */
import { type Command, Option } from 'commander';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { commandOutput, type LogFormat } from './logging.js';

export function addTestCommand(program: Command, connectors: ConnectorRegistry, logFormat: () => LogFormat): void {
  program
    .command('test')
    .description(
      'run mapping unit tests: source records and what the pipeline must map them to; exit 0 all passed, 1 a case failed, 2 invalid pipeline or cases file',
    )
    .argument('<pipeline>', 'pipeline YAML file')
    .argument(
      '<cases...>',
      'cases files (schemas/mapping-cases.schema.json: cases of {name, stream, input, refs?, options?, lookups?, expect | expect_error | expect_action | expect_absent})',
    )
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'junit']).default('text'))
    .option('--out <file>', 'write the JUnit report to this file (with --format junit; the text report then goes to stdout)')
    .option('--show-output', "print each case's whole mapped record(s)", false)
    .action(async (pipeline: string, files: string[], opts: { format: 'text' | 'junit'; out?: string; showOutput: boolean }) => {
      const { testMappings } = await import('../engine/run/mapping-suite.js');
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
}
