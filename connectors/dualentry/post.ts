/**
 * `ledgersync post <pipeline> --period 2026-10 [--repost]`: posts one period's recognition journal
 * now (backfills, out-of-cycle posts), or reverses and re-posts it after a mapping fix. The engine
 * runs it under the pipeline's run lock, like a run, so a post never races a run over the same state.
 */
import type { CommandValues, ConnectorCommand } from '../../engine/connector/command.js';
import type { ConnectorFactoryInput } from '../../engine/connector/types.js';
import type { DualEntrySink, DualEntrySinkOptions } from './index.js';
import type { PostedEntrySummary } from './poster.js';

/** What `ledgersync post --json` prints besides status, exit code, pipeline and run id. */
export interface PostReport {
  period: string;
  entries: PostedEntrySummary[];
  /** DualEntry requests this command made. */
  apiCalls: number;
}

const periodOf = (values: CommandValues): string => (typeof values['period'] === 'string' ? values['period'] : '');

/** The command, given the sink factory it posts through (index.ts passes `createDualEntrySink`). */
export function postCommand(createSink: (input: ConnectorFactoryInput, options: DualEntrySinkOptions) => DualEntrySink): ConnectorCommand<PostReport> {
  return {
    name: 'post',
    description: "post one period's revenue-recognition journal now (backfill, out-of-cycle), or --repost it after a mapping fix (reversal + corrected entry)",
    pipelineDescription: 'pipeline YAML file with a revenue_recognition: block',
    role: 'sink',
    options: [
      { name: 'period', type: 'value', required: true, description: 'the period: 2026-10 for monthly, 2026-Q4 for quarterly' },
      { name: 'repost', type: 'flag', description: 'reverse the entry in effect and post a corrected one' },
    ],
    emptyReport: (values) => ({ period: periodOf(values), entries: [], apiCalls: 0 }),
    async run(context) {
      const sink = createSink(context.connectorInput, { now: context.now });
      const outcome = await sink.post(periodOf(context.values), { repost: context.values['repost'] === true }, context.sinkContext);
      return {
        status: outcome.status,
        report: { period: outcome.period, entries: outcome.entries, apiCalls: outcome.apiCalls },
        ...(outcome.error ? { error: outcome.error } : {}),
      };
    },
    format: (summary) => ({
      lines: summary.entries.map((e) => `  ${e.kind} entry ${e.number} dated ${e.date}: ${e.amount} ${e.currency}`),
      last: `period ${summary.period}: ${summary.status}, ${summary.apiCalls} DualEntry request(s), exit ${summary.exitCode}`,
    }),
  };
}
