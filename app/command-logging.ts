/**
 * The lines every command gets in JSON logs: commander's own errors as log lines, and one
 * `finished` line per command with its exit code and duration, so a scheduler's log says how each
 * command ended without parsing stdout.
 */
import type { Command } from 'commander';
import { createLogger } from '../engine/log.js';
import { requestedLogFormat, type LogFormat } from './logging.js';

export function addCommandLogging(program: Command, logFormat: () => LogFormat): void {
  const early = requestedLogFormat(process.argv, process.env);
  if (early === 'json') {
    const log = createLogger({ json: true, write: (line) => process.stderr.write(line + '\n') }, 'ledgersync');
    program.configureOutput({ writeErr: (text) => log.error(text.trimEnd()) });
  }
  program.hook('preAction', (_program, action) => {
    running = { name: action.name(), startedAt: Date.now() };
  });
  program.hook('postAction', () => {
    if (logFormat() === 'json') logFinished();
  });
}

/** The command whose action is running: an error it throws is logged under its scope (cli.ts). */
let running: { name: string; startedAt: number } | undefined;

/** The log scope of what is running: `ledgersync:<command>`, or `ledgersync` before any command's action started. */
export function commandScope(): string {
  return running ? `ledgersync:${running.name}` : 'ledgersync';
}

/** The running command's `finished` line, once, with the exit code it ends with: after its action, or after the error that stopped it. */
export function logFinished(): void {
  if (!running) return;
  const { name, startedAt } = running;
  running = undefined;
  const exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0;
  createLogger({ json: true, write: (line) => process.stderr.write(line + '\n') }, `ledgersync:${name}`).info(`${name} finished, exit ${exitCode}`, {
    command: name,
    exit_code: exitCode,
    duration_ms: Date.now() - startedAt,
  });
}
