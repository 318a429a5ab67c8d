/**
 * `ledgersync check`: before go-live, prove both sets of credentials work and that every account,
 * item, tax code, payment method, location or company the pipeline names exists and is active in
 * the customer's ledger. The source is opened as a run opens it (credentials, and for Chargebee the
 * site's Product Catalog version against the streams); the references are found in the pipeline
 * (engine/config/references.ts) and put to the sink's read-only `check()`. Nothing is written,
 * except a refresh token the target rotated while authenticating (stored at once, as a run does).
 */
import { ConfigError, asLedgersyncError, errorSummary, type ConfigProblem, type ErrorSummary, type LedgersyncError } from '../errors.js';
import { EXIT, exitCodeFor, type ExitCode } from '../exit-codes.js';
import { createLogger, type Logger } from '../log.js';
import { loadPipeline } from '../config/load.js';
import type { Plan } from '../config/plan.js';
import { pipelineReferences, type Reference, type ReferenceOrigin } from '../config/references.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { ReferenceAnswer, ReferenceQuery } from '../connector/types.js';
import { closeHttpAgent } from '../http/connection.js';
import { assertTokensCanBeKept } from './credentials.js';
import { withState } from './lifecycle.js';
import { createConnectors, readRequest, sinkContext } from './runner.js';

export interface CheckOptions {
  connectors: ConnectorRegistry;
  pipelinePath: string;
  statePath: string;
  /** Default `process.env`. */
  env?: Record<string, string | undefined>;
  log?: Logger;
  signal?: AbortSignal;
}

/** One side's connection: authenticated, refused, or not checked (a failure before it). */
export interface ConnectionCheck {
  connector: string;
  status: 'ok' | 'failed' | 'not_checked';
  detail?: string;
  error?: ErrorSummary;
}

export interface CheckedReference extends Reference, Omit<ReferenceAnswer, 'value'> {}

export interface CheckReport {
  status: 'ok' | 'problems' | 'failed' | 'invalid';
  exitCode: ExitCode;
  pipeline: string;
  source?: ConnectionCheck;
  sink?: ConnectionCheck;
  references: CheckedReference[];
  notes: string[];
  error?: ErrorSummary;
  problems?: ConfigProblem[];
}

function stopped(pipeline: string, error: LedgersyncError, problems?: ConfigProblem[]): CheckReport {
  return {
    status: 'invalid',
    exitCode: exitCodeFor({ error }),
    pipeline,
    references: [],
    notes: [],
    error: errorSummary(error),
    ...(problems?.length ? { problems } : {}),
  };
}

/** Every reference the pipeline makes, with those the sink connector reads from lookup tables itself. */
function referencesOf(plan: Plan, registry: ConnectorRegistry): Reference[] {
  const module = registry.modules[plan.sink.config.connector];
  const connectorReferences = module?.connectorReferences?.({ extensions: plan.extensions, lookups: plan.lookups, connection: plan.sink.config }) ?? [];
  return pipelineReferences(plan, { connectorReferences });
}

export async function checkPipeline(options: CheckOptions): Promise<CheckReport> {
  const env = options.env ?? process.env;
  const loaded = await loadPipeline(options.pipelinePath, { env, mode: 'run', connectorsDir: options.connectors.descriptorsDir });
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (!loaded.plan || errors.length) return stopped(options.pipelinePath, new ConfigError(errors), errors);
  const plan = loaded.plan;
  const log = options.log ?? createLogger();
  const signal = options.signal ?? new AbortController().signal;
  const report: CheckReport = { status: 'ok', exitCode: EXIT.ok, pipeline: plan.name, references: [], notes: [] };
  const references = referencesOf(plan, options.connectors);
  try {
    return await withState(options.statePath, async (state) => {
      try {
        assertTokensCanBeKept(plan, state, env['LEDGERSYNC_SECRET_KEY'], log);
      } catch (error) {
        return finish(report, asLedgersyncError(error));
      }
      const { source, sink } = createConnectors(plan, options.connectors, log, signal);
      const now = () => Math.floor(Date.now() / 1000);
      report.source = { connector: plan.source.config.connector, status: 'not_checked' };
      report.sink = { connector: plan.sink.config.connector, status: 'not_checked' };
      try {
        await source.open?.(
          { log: log.child('source'), signal, now },
          plan.streams.map((s) => readRequest(plan, s, undefined)),
        );
        report.source = { connector: plan.source.config.connector, status: 'ok', detail: source.open ? 'credentials accepted' : 'nothing to check' };
      } catch (error) {
        const e = asLedgersyncError(error);
        report.source = { connector: plan.source.config.connector, status: 'failed', error: errorSummary(e) };
      } finally {
        await source.close?.();
      }
      if (!sink.check) {
        report.sink = { connector: plan.sink.config.connector, status: 'not_checked', detail: 'this sink offers no check' };
        if (references.length) report.notes.push(`the ${plan.sink.config.connector} sink cannot check references; ${references.length} value(s) not verified`);
        return finish(report);
      }
      const queries = groupByKind(references);
      const ctx = sinkContext({ plan, state, runId: 'check', log: log.child('sink'), signal, now, secretKey: env['LEDGERSYNC_SECRET_KEY'] });
      try {
        const answers = await sink.check(queries, ctx);
        report.sink = { connector: plan.sink.config.connector, status: 'ok', detail: 'credentials accepted' };
        report.references = matchAnswers(references, queries, answers);
      } catch (error) {
        const e = asLedgersyncError(error);
        report.sink = { connector: plan.sink.config.connector, status: 'failed', error: errorSummary(e) };
      }
      return finish(report);
    });
  } catch (error) {
    return finish(report, asLedgersyncError(error));
  } finally {
    await closeHttpAgent();
  }
}

function groupByKind(references: readonly Reference[]): ReferenceQuery[] {
  const byKind = new Map<string, string[]>();
  for (const r of references) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r.value]);
  return [...byKind].map(([kind, values]) => ({ kind, values }));
}

function matchAnswers(references: readonly Reference[], queries: readonly ReferenceQuery[], answers: ReferenceAnswer[][]): CheckedReference[] {
  const byKey = new Map<string, ReferenceAnswer>();
  queries.forEach((query, i) => {
    query.values.forEach((value, j) => {
      const answer = answers[i]?.[j];
      if (answer) byKey.set(`${query.kind}\u0000${value}`, answer);
    });
  });
  return references.map((r) => {
    const answer = byKey.get(`${r.kind}\u0000${r.value}`) ?? { status: 'unknown' as const, answer: 'the sink gave no answer' };
    return { ...r, status: answer.status, answer: answer.answer };
  });
}

/** The exit code: a connection that failed decides it (3 for auth and network, 2 for a wrong target), else 2 for a missing or inactive reference. */
function finish(report: CheckReport, fatal?: LedgersyncError): CheckReport {
  if (fatal) return { ...report, status: 'failed', exitCode: exitCodeFor({ error: fatal }), error: errorSummary(fatal) };
  const failures = [report.source, report.sink].filter((c): c is ConnectionCheck => c?.status === 'failed');
  if (failures.length) {
    const codes = failures.map((f) => exitCodeFor({ error: f.error }));
    const exitCode = (codes.includes(EXIT.authOrConnection) ? EXIT.authOrConnection : Math.max(...codes)) as ExitCode;
    return { ...report, status: 'failed', exitCode };
  }
  const bad = report.references.some((r) => r.status === 'missing' || r.status === 'inactive');
  return { ...report, status: bad ? 'problems' : 'ok', exitCode: bad ? EXIT.config : EXIT.ok };
}

/** `file:line: where = "value": answer (via)`, one line per place the value is written. */
export function problemLines(reference: CheckedReference): string[] {
  return reference.origins.map((o: ReferenceOrigin) => `${o.file}:${o.line}: ${o.where} = ${JSON.stringify(reference.value)}: ${reference.answer} (${o.via})`);
}
