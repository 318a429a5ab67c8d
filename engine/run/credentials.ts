/**
 * Credentials are never spent by a command that cannot keep them. A connection whose descriptor
 * declares an OAuth refresh-token grant gets a new refresh token from the vendor on use (Intuit
 * rotates it and invalidates the old one), and ledgersync must store it, encrypted with
 * LEDGERSYNC_SECRET_KEY, in the state file. So before the first call to any token endpoint: the key
 * is set, it decrypts what the state already holds for that connection, and the state is writable.
 * A command that would fail there stops with a configuration error (exit 2) and the customer stays
 * connected.
 */
import type { Plan } from '../config/plan.js';
import type { ConnectorDescriptor } from '../connector/descriptor.js';
import { LedgersyncError } from '../errors.js';
import type { StateStore } from '../state/store.js';

/** Whether a connector's auth hands out tokens that must be stored when they rotate. */
export function keepsRotatedTokens(descriptor: ConnectorDescriptor): boolean {
  return descriptor.auth?.type === 'oauth2_refresh_token';
}

/**
 * Throws `secret_key_missing`, `secret_undecryptable` or `state_unreadable` (all exit 2) when a
 * connection of the plan would receive a token the state could not keep. Touches no network.
 */
export function assertTokensCanBeKept(plan: Plan, state: StateStore, secretKey: string | undefined): void {
  for (const role of ['source', 'sink'] as const) {
    const { descriptor, config } = plan[role];
    if (!keepsRotatedTokens(descriptor)) continue;
    const who = `${descriptor.title} (${role})`;
    if (!secretKey || secretKey.length < 16) {
      throw new LedgersyncError(
        'secret_key_missing',
        'config',
        `LEDGERSYNC_SECRET_KEY is not set (or shorter than 16 characters): ${who} rotates its refresh token when it is used, and the new token could not be stored, which would disconnect the company; nothing was sent to its token endpoint`,
        {
          fix: 'export LEDGERSYNC_SECRET_KEY (the value this state file was written with; for a new state file, a long random value such as `openssl rand -hex 32`) and keep it with the state file',
          details: { connector: descriptor.name, role },
        },
      );
    }
    try {
      state.verifySecrets(plan.name, config.connector, secretKey);
    } catch (error) {
      if (!(error instanceof LedgersyncError) || error.code !== 'secret_undecryptable') throw error;
      throw new LedgersyncError(
        'secret_undecryptable',
        'config',
        `the tokens of ${who} kept in ${state.path} cannot be decrypted with this LEDGERSYNC_SECRET_KEY; nothing was sent to its token endpoint`,
        {
          fix: 'set LEDGERSYNC_SECRET_KEY to the value the state file was written with; if it is lost, reconnect the company and start from its new refresh token',
          details: { connector: descriptor.name, role },
          cause: error,
        },
      );
    }
    state.assertWritable();
  }
}
