/**
 * Commands a connector adds to the CLI (`ledgersync post <pipeline> --period 2026-10`). Every
 * command takes a pipeline, `--state` and `--json`; its own options are declared as data. The
 * engine loads the pipeline, takes its run lock and hands the command what a run would hand the
 * connector (engine/run/command.ts); the app registers the commands of every installed connector.
 */
import type { Plan } from '../config/plan.js';
import type { ConfigProblem, ErrorSummary } from '../errors.js';
import type { ExitCode } from '../exit-codes.js';
import type { Logger } from '../log.js';
import type { ConnectorFactoryInput, SinkContext } from './types.js';

export interface CommandOption {
  /** Lower-case words joined by `-`: `period` is `--period <period>`. */
  name: string;
  description: string;
  /** `value` takes one (`--period <period>`); `flag` is a switch (`--repost`), false when absent. */
  type: 'value' | 'flag';
  /** For a `value`: the command does not run without it. Default false. */
  required?: boolean;
}

/** Option values by option name: a string for a given `value`, a boolean for a `flag`. */
export type CommandValues = Readonly<Record<string, string | boolean | undefined>>;

export interface CommandContext {
  /** The loaded, validated pipeline. */
  plan: Plan;
  values: CommandValues;
  /** The run recorded for this command, which holds the pipeline's run lock. */
  runId: string;
  /** What a run hands the connector's factory for the command's side of the pipeline, HTTP client factory included. */
  connectorInput: ConnectorFactoryInput;
  /** The context a run gives sink calls (ledger references, the connector's kv and secrets, the clock), under this command's run. */
  sinkContext: SinkContext;
  log: Logger;
  signal: AbortSignal;
  /** Unix seconds. */
  now(): number;
}

export interface CommandOutcome<Report> {
  /** What the command did, e.g. `posted`; an outcome with an error is recorded as a failed run. */
  status: string;
  /** The rest of the summary (`--json` prints it beside status, exit code, pipeline and run id). */
  report: Report;
  error?: ErrorSummary;
}

export type CommandSummary<Report> = {
  status: string;
  exitCode: ExitCode;
  pipeline: string;
  /** Empty when the command did not run (invalid pipeline, lock held). */
  runId: string;
  error?: ErrorSummary;
  problems?: ConfigProblem[];
} & Report;

export interface ConnectorCommand<Report extends object = object> {
  /** `ledgersync <name> <pipeline> …`; must not clash with another command. */
  name: string;
  /** One line for `--help`. */
  description: string;
  /** What the pipeline argument must be, for `--help`. Default: "pipeline YAML file". */
  pipelineDescription?: string;
  /** The side of the pipeline that must use this command's connector. */
  role: 'source' | 'sink';
  options: readonly CommandOption[];
  /** The report of a command that could not run (invalid pipeline, lock held, an error thrown), so its JSON keeps one shape. */
  emptyReport(values: CommandValues): Report;
  run(context: CommandContext): Promise<CommandOutcome<Report>>;
  /** The text a person reads: `lines` before the error (if any), `last` after it (typically the status and exit code). */
  format(summary: CommandSummary<Report>): { lines: string[]; last: string };
}
