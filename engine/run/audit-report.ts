/**
 * `ledgersync audit`: reads a pipeline's audit trail (every write attempt, what was sent, what the
 * target answered) and, with `--verify`, checks its hash chain end to end.
 */
import { noStateAt } from '../state/driver.js';
import { LedgersyncError, formatProblem } from '../errors.js';
import { EXIT, exitCodeFor, type ExitCode } from '../exit-codes.js';
import { loadPipeline } from '../config/load.js';
import { isCalendarDateTime } from '../config/time.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import { snakeCaseKey, withSnakeCaseKeys } from '../json-keys.js';
import type { AuditEntry, AuditVerification } from '../state/audit-trail.js';
import { withState } from './lifecycle.js';

export interface AuditOptions {
  connectors: ConnectorRegistry;
  pipelinePath: string;
  statePath: string;
  /** Only the attempts for this source record (and its parts). */
  sourceId?: string;
  /** Only attempts started on or after this date (`YYYY-MM-DD`, UTC) or instant (ISO 8601 with a zone). */
  since?: string;
  verify: boolean;
  json: boolean;
  out: NodeJS.WritableStream;
}

/** `2026-03-01` (midnight UTC) or an ISO instant with `Z` or an offset → ISO in UTC; undefined when it is neither. */
export function parseSince(text: string): string | undefined {
  // A day or an hour the calendar does not have (2026-02-30, 24:00) rolls over in Date; refuse it instead.
  if (!isCalendarDateTime(text)) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text)
    ? new Date(`${text}T00:00:00.000Z`)
    : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)
      ? new Date(text)
      : undefined;
  if (!date || Number.isNaN(date.getTime())) return undefined;
  return date.toISOString();
}

function oneLine(entry: AuditEntry): string {
  const answer = entry.answer ?? {};
  const error = answer['error'] as { code?: string; message?: string } | undefined;
  const status = answer['http_status'] !== undefined ? ` HTTP ${String(answer['http_status'])}` : '';
  const target = entry.targetId ? ` ${entry.targetId}` : '';
  const said = error ? `: ${error.code ?? ''} ${error.message ?? ''}`.trimEnd() : '';
  const version = entry.sourceVersion ? ` v${entry.sourceVersion}` : '';
  return [
    `${entry.seq === null ? '(open)' : `#${entry.seq}`}  ${entry.startedAt}  ${entry.stream} ${entry.sourceId}${version}`,
    `${entry.action} ${entry.object} → ${entry.outcome}${target}${status}${said}`,
    `[${entry.trigger}, run ${entry.runId}, ${entry.payloadKind} payload sha256:${entry.payloadHash.slice(0, 16)}]`,
  ].join('  ');
}

function details(entry: AuditEntry): string {
  const indent = (value: unknown) => JSON.stringify(value, null, 2).replace(/\n/g, '\n      ');
  return `    payload (${entry.payloadKind}, sha256 ${entry.payloadHash}):\n      ${indent(entry.payload)}\n    answer${entry.finishedAt ? ` (${entry.finishedAt})` : ''}:\n      ${indent(entry.answer)}\n`;
}

/** Kept in `--json` as recorded and hashed: they hold the target's own field names (an error's vendor details too). */
const recordedAsIs = new Set(['payload', 'answer']);

/** One entry for `--json`: the trail's own keys in snake_case, as every `--json` output. */
function auditEntryJson(entry: AuditEntry): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).map(([key, value]) => [snakeCaseKey(key), recordedAsIs.has(key) ? value : withSnakeCaseKeys(value)]));
}

/** `--verify` for `--json`: snake_case keys; the entry at a break as `auditEntryJson` gives it. */
function verificationJson(verification: AuditVerification): Record<string, unknown> {
  const { broken, ...chain } = verification;
  if (!broken) return withSnakeCaseKeys(chain) as Record<string, unknown>;
  const { entry, ...where } = broken;
  return {
    ...(withSnakeCaseKeys(chain) as Record<string, unknown>),
    broken: { ...(withSnakeCaseKeys(where) as Record<string, unknown>), ...(entry ? { entry: auditEntryJson(entry) } : {}) },
  };
}

function verificationText(pipeline: string, v: AuditVerification): string {
  const open = v.open ? `; ${v.open} attempt(s) still open (in flight, or left by a stopped process: the next run seals them)` : '';
  if (!v.broken) {
    const head = v.head ? ` (head: entry ${v.head.seq}, sha256 ${v.head.entryHash})` : '';
    return `audit trail of ${pipeline}: ${v.entries} entr${v.entries === 1 ? 'y' : 'ies'}, chain intact${head}${open}\n`;
  }
  const where = v.broken.entry ? ` (${v.broken.entry.stream} ${v.broken.entry.sourceId}, ${v.broken.entry.startedAt})` : '';
  return `audit trail of ${pipeline}: BROKEN at entry ${v.broken.seq}${where}: ${v.broken.message}\n`;
}

export async function showAudit(options: AuditOptions): Promise<ExitCode> {
  const { out } = options;
  const since = options.since === undefined ? undefined : parseSince(options.since);
  if (options.since !== undefined && since === undefined) {
    out.write(`error: --since '${options.since}' is not a date (YYYY-MM-DD, UTC) or an ISO 8601 instant with a zone (2026-03-01T09:00:00Z)\n`);
    return EXIT.config;
  }
  const { plan, problems } = await loadPipeline(options.pipelinePath, { env: process.env, mode: 'validate', connectorsDir: options.connectors.descriptorsDir });
  if (!plan) {
    for (const p of problems) out.write(formatProblem(p) + '\n');
    return EXIT.config;
  }
  const read = (entries: AuditEntry[], verification: AuditVerification | undefined): ExitCode => {
    if (options.json) {
      const json = { pipeline: plan.name, entries: entries.map(auditEntryJson), ...(verification ? { verification: verificationJson(verification) } : {}) };
      out.write(JSON.stringify(json) + '\n');
    } else {
      if (!entries.length && !options.verify)
        out.write(`no audit entries for ${plan.name}${options.sourceId ? ` and ${options.sourceId}` : ''}${since ? ` since ${since}` : ''}\n`);
      for (const entry of entries) out.write(oneLine(entry) + '\n' + (options.sourceId !== undefined ? details(entry) : ''));
      if (verification) out.write(verificationText(plan.name, verification));
    }
    if (!verification?.broken) return EXIT.ok;
    return exitCodeFor({ error: new LedgersyncError('audit_chain_broken', 'system', verification.broken.message) });
  };
  if (noStateAt(options.statePath)) return read([], options.verify ? { entries: 0, open: 0, head: undefined } : undefined);
  return withState(options.statePath, (state) => {
    const entries =
      options.verify && options.sourceId === undefined && since === undefined
        ? []
        : state.audit.entries(plan.name, {
            ...(since !== undefined ? { since } : {}),
            ...(options.sourceId !== undefined ? { sourceId: options.sourceId } : {}),
          });
    return read(entries, options.verify ? state.audit.verify(plan.name) : undefined);
  });
}
