/**
 * `ledgersync validate <files...> [--format text|json] [--explain]`: YAML, schema, references and
 * JSONata of pipeline files (engine/config/validate.ts); exit 0 when clean, 2 on any error.
 */
import { type Command, Option } from 'commander';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { EXIT } from '../engine/exit-codes.js';
import { commandOutput, type LogFormat } from './logging.js';

export function addValidateCommand(program: Command, connectors: ConnectorRegistry, logFormat: () => LogFormat): void {
  program
    .command('validate')
    .description('check pipeline files: YAML, schema, references and JSONata; exit 0 when clean, 2 on any error')
    .argument('<files...>', 'pipeline files or globs (quote globs: "pipelines/**/*.yaml")')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--explain', 'also say, per JSONata expression, whether it runs compiled or interpreted (and why)', false)
    .action(async (files: string[], opts: { format: 'text' | 'json'; explain: boolean }) => {
      const { formatExpressionReports, formatProblems, validateFiles, validateTimeoutMs } = await import('../engine/config/validate.js');
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
}
