/**
 * `ledgersync reset <pipeline> --forget-tokens`: the way out of a lost LEDGERSYNC_SECRET_KEY when the
 * state does not say which refresh token its secrets descend from (they were stored by an earlier
 * ledgersync). Under the run lock, forgets the secrets of the pipeline's connectors that cannot be
 * decrypted with the current key (all of them when it is unset); secrets that decrypt are kept,
 * since they may hold the only copy of the newest refresh token.
 */
import { LedgersyncError, logFailure } from '../errors.js';
import { silentLogger } from '../log.js';
import { EXIT, exitCodeFor, type ExitCode } from '../exit-codes.js';
import { noStateAt, printableLocation } from '../state/driver.js';
import type { StateStore } from '../state/store.js';
import { withRunLock } from './lifecycle.js';
import { loadForState, type StateCommandOptions } from './status.js';

function decrypts(state: StateStore, pipeline: string, scope: string, secretKey: string | undefined): boolean {
  if (!secretKey) return false;
  try {
    state.verifySecrets(pipeline, scope, secretKey);
    return true;
  } catch (error) {
    if (error instanceof LedgersyncError && error.code === 'secret_undecryptable') return false;
    throw error;
  }
}

export async function forgetStoredTokens(options: StateCommandOptions & { secretKey: string | undefined }): Promise<ExitCode> {
  const { statePath, out, secretKey } = options;
  const plan = await loadForState(options);
  if (!plan) return EXIT.config;
  const name = plan.name;
  if (noStateAt(statePath)) {
    out.write(`pipeline ${name}: no state at ${printableLocation(statePath)}, no token to forget\n`);
    return EXIT.ok;
  }
  const scopes = [...new Set([plan.source.config.connector, plan.sink.config.connector])];
  const done = await withRunLock(statePath, name, async ({ state }) => {
    const forgotten: Record<string, number> = {};
    const kept: string[] = [];
    for (const scope of scopes) {
      if (decrypts(state, name, scope, secretKey)) kept.push(scope);
      else forgotten[scope] = state.forgetSecrets(name, scope);
    }
    return { result: { forgotten, kept }, outcome: { status: 'reset', exitCode: EXIT.ok, counts: { forgotten_tokens: forgotten } } };
  });
  if ('locked' in done) {
    logFailure(options.log ?? silentLogger, done.locked);
    out.write(`pipeline ${name} is running (run ${done.heldBy.runId}); forgetting its tokens refused\n`);
    return exitCodeFor({ error: done.locked });
  }
  const { forgotten, kept } = done.result;
  for (const [scope, count] of Object.entries(forgotten)) {
    if (count > 0)
      out.write(
        `pipeline ${name}: forgot the ${count} stored secret(s) of ${scope}${secretKey ? ', which cannot be decrypted with this LEDGERSYNC_SECRET_KEY' : ' (LEDGERSYNC_SECRET_KEY is not set)'}; the next run starts from the refresh token in the pipeline file\n`,
      );
  }
  for (const scope of kept) {
    out.write(
      `pipeline ${name}: the stored secrets of ${scope} decrypt with this LEDGERSYNC_SECRET_KEY and are kept (they may hold the newest refresh token)\n`,
    );
  }
  if (Object.values(forgotten).every((count) => count === 0) && !kept.length) out.write(`pipeline ${name}: no stored token to forget\n`);
  return EXIT.ok;
}
