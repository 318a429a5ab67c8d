/**
 * The `ledgersync` commands. Thin: each is a call into engine/ with the connector registry it is
 * given, and the commands the registry's connectors contribute are added as they declare them.
 */
import { Command } from 'commander';
import { EXIT } from '../engine/exit-codes.js';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { addValidateCommand } from './validate-command.js';
import { addRunCommand } from './run-command.js';
import { addStatusCommand } from './status-command.js';
import { addResetCommand } from './reset-command.js';
import { addTestCommand } from './test-command.js';
import { addInitCommand } from './init-command.js';
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
import { logFormatOption, type LogFormat } from './logging.js';
import { addCommandLogging } from './command-logging.js';
import { EXAMPLES, EXIT_CODES, installedVersion, refuseUnknownCommands } from './help.js';

export { summaryJson } from './run-command.js';

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

  addValidateCommand(program, connectors, logFormat);
  addRunCommand(program, connectors, logFormat);
  addStatusCommand(program, connectors, logFormat);
  addResetCommand(program, connectors, logFormat);
  addTestCommand(program, connectors, logFormat);
  addInitCommand(program);
  addPlanCommand(program, connectors, logFormat);
  addShowCommand(program, connectors);
  addCheckCommand(program, connectors, logFormat);
  addServeCommand(program, connectors, logFormat);
  addAuditCommands(program, connectors, logFormat);
  addUnlockCommand(program, connectors, logFormat);
  addStateCommands(program);
  addQueueCommands(program, connectors);
  addReportCommand(program, connectors);
  addConnectorCommands(program, connectors, logFormat);
  return program;
}
