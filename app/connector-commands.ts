/**
 * The CLI side of connectors' own commands: each command a registered connector declares becomes
 * `ledgersync <name> <pipeline> [its options] [--state PATH] [--json]`, run by the engine under the
 * pipeline's run lock and printed the way the command formats itself.
 */
import { onStopSignal } from './stop-signals.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { formatProblem } from '../engine/errors.js';
import type { CommandSummary, CommandValues, ConnectorCommand } from '../engine/connector/command.js';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { withSnakeCaseKeys } from '../engine/json-keys.js';
import { statePath } from './state-path.js';
import { commandOutput, type LogFormat } from './logging.js';

/** Adds every registered connector's commands; a name already taken is a programming error, refused at start-up. */
export function addConnectorCommands(program: Command, connectors: ConnectorRegistry, logFormat: () => LogFormat = () => 'text'): void {
  for (const [connector, module] of Object.entries(connectors.modules)) {
    for (const command of module.commands ?? []) {
      if (program.commands.some((c) => c.name() === command.name)) {
        throw new Error(`connector ${connector} declares a command '${command.name}', but ledgersync already has one of that name`);
      }
      addCommand(program, connectors, connector, command, logFormat);
    }
  }
}

/** commander's key for an option: `--dry-run` → `dryRun`. */
const optionKey = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function addCommand(program: Command, connectors: ConnectorRegistry, connector: string, command: ConnectorCommand, logFormat: () => LogFormat): void {
  const cli = program
    .command(command.name)
    .description(command.description)
    .argument('<pipeline>', command.pipelineDescription ?? 'pipeline YAML file');
  for (const option of command.options) {
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(option.name)) {
      throw new Error(`connector ${connector}: option '${option.name}' of command '${command.name}' must be lower-case words joined by '-'`);
    }
    if (option.type === 'flag') cli.option(`--${option.name}`, option.description, false);
    else if (option.required) cli.requiredOption(`--${option.name} <${option.name}>`, option.description);
    else cli.option(`--${option.name} <${option.name}>`, option.description);
  }
  cli
    .option('--state <path>', 'state database')
    .option('--json', 'print one JSON summary on stdout', false)
    .action(async (pipeline: string, opts: Record<string, unknown>) => {
      const values: CommandValues = Object.fromEntries(
        command.options.map((o) => {
          const value = opts[optionKey(o.name)];
          return [o.name, typeof value === 'string' || typeof value === 'boolean' ? value : undefined];
        }),
      );
      const json = opts['json'] === true;
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('interrupted'));
      onStopSignal(stop);
      const { runConnectorCommand } = await import('../engine/run/command.js');
      const summary = await runConnectorCommand({
        connectors,
        connector,
        command,
        pipelinePath: resolve(pipeline),
        statePath: statePath(typeof opts['state'] === 'string' ? opts['state'] : undefined),
        values,
        log: commandOutput({ format: logFormat(), command: command.name, quiet: json }).log,
        signal: controller.signal,
      });
      process.stdout.write(json ? JSON.stringify(summaryJson(summary)) + '\n' : formatSummary(command, summary));
      process.exitCode = summary.exitCode;
    });
}

/** The `--json` summary: snake_case keys, and `run_id: null` for a command that never got a run (as `run --json`). */
function summaryJson(summary: CommandSummary<object>): unknown {
  return withSnakeCaseKeys({ ...summary, runId: summary.runId || null });
}

function formatSummary(command: ConnectorCommand, summary: CommandSummary<object>): string {
  const { lines, last } = command.format(summary);
  const problems = (summary.problems ?? []).map(formatProblem);
  const error = summary.error && !summary.problems?.length ? [`error: ${summary.error.message}${summary.error.fix ? `\nfix: ${summary.error.fix}` : ''}`] : [];
  return [...problems, ...lines, ...error, last].map((line) => line + '\n').join('');
}
