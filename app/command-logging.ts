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
  const started = new Map<Command, number>();
  program.hook('preAction', (_program, action) => {
    started.set(action, Date.now());
  });
  program.hook('postAction', (_program, action) => {
    if (logFormat() !== 'json') return;
    const exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0;
    const log = createLogger({ json: true, write: (line) => process.stderr.write(line + '\n') }, `ledgersync:${action.name()}`);
    log.info(`${action.name()} finished, exit ${exitCode}`, {
      command: action.name(),
      exit_code: exitCode,
      duration_ms: Date.now() - (started.get(action) ?? Date.now()),
    });
  });
}
