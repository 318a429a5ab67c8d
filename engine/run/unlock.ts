/**
 * `ledgersync unlock`: releases a pipeline's run lock by hand once its lease has expired (its holder
 * stopped renewing it) or its holder is a process of this host that is gone; `--force` releases a
 * live one, naming its holder, which then stops before its next write (`run_lease_lost`).
 */
import { existsSync } from 'node:fs';
import { logFailure } from '../errors.js';
import { silentLogger } from '../log.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { isPostgresUrl, printableLocation } from '../state/driver.js';
import { lockVacancy, type LockVacancy, type RunLockHolder } from '../state/store.js';
import { describeHolder, runLockedError, withState } from './lifecycle.js';
import { isoOrNull, loadForState, vacancyReason, type StateCommandOptions } from './status.js';

export interface UnlockOptions extends StateCommandOptions {
  /** Release a lock whose lease is still live. Default false. */
  force?: boolean;
  /** Print one JSON object instead of a sentence. Default false. */
  json?: boolean;
}

/** What `unlock` did, as `--json` prints it. */
export interface UnlockReport {
  pipeline: string;
  outcome: 'not_locked' | 'released' | 'refused';
  /** Why the lock could be released: its lease expired, its process is gone, or --force. */
  reason?: LockVacancy | 'forced';
  holder?: RunLockHolder;
}

export async function unlockPipeline(options: UnlockOptions): Promise<ExitCode> {
  const plan = await loadForState(options);
  if (!plan) return EXIT.config;
  const name = plan.name;
  const { out, statePath } = options;
  const report = (result: UnlockReport, text: string, code: ExitCode): ExitCode => {
    out.write(options.json ? JSON.stringify(reportJson(result)) + '\n' : text + '\n');
    return code;
  };
  if (!isPostgresUrl(statePath) && !existsSync(statePath)) {
    return report({ pipeline: name, outcome: 'not_locked' }, `pipeline ${name}: no state at ${statePath}, nothing to unlock`, EXIT.ok);
  }
  return withState(statePath, (state) => {
    const holder = state.lockHolder(name);
    if (!holder) return report({ pipeline: name, outcome: 'not_locked' }, `pipeline ${name} is not locked (state ${printableLocation(statePath)})`, EXIT.ok);
    const vacancy = lockVacancy(holder, state.clockSeconds());
    const described = describeHolder(holder);
    if (!vacancy && !options.force) {
      logFailure(options.log ?? silentLogger, runLockedError(name, holder));
      return report(
        { pipeline: name, outcome: 'refused', holder },
        `pipeline ${name} is locked by a live lease (${described}); not released. Wait for that run to finish or for its lease to expire; if you know its process is gone (its host or container was destroyed), ledgersync unlock --force releases it now`,
        EXIT.locked,
      );
    }
    const reason = vacancy ?? 'forced';
    if (!state.releaseLock(name, holder.runId, reason === 'forced' ? 'unlocked' : 'crashed')) {
      return report({ pipeline: name, outcome: 'not_locked' }, `pipeline ${name} is not locked (run ${holder.runId} released it meanwhile)`, EXIT.ok);
    }
    const why =
      reason === 'forced' ? 'forced while its lease was live: if that process is still running, it stops before its next write' : vacancyReason(reason);
    return report({ pipeline: name, outcome: 'released', reason, holder }, `pipeline ${name}: released the lock of ${described} (${why})`, EXIT.ok);
  });
}

/** `--json`: snake_case keys and ISO-8601 times, as every JSON output. */
function reportJson(report: UnlockReport): Record<string, unknown> {
  const { holder, ...rest } = report;
  if (!holder) return rest;
  return {
    ...rest,
    holder: {
      run_id: holder.runId,
      pid: holder.pid,
      hostname: holder.hostname,
      since: isoOrNull(holder.since),
      lease_expires_at: isoOrNull(holder.expiresAt),
      lease_renewed_at: isoOrNull(holder.heartbeatAt),
    },
  };
}
