/**
 * Credentials are never spent by a command that cannot keep them. A connection whose descriptor
 * declares an OAuth refresh-token grant gets a new refresh token from the vendor on use (Intuit
 * rotates it and invalidates the old one), and ledgersync must store it, encrypted with
 * LEDGERSYNC_SECRET_KEY, in the state file. So before the first call to any token endpoint: the key
 * is set, it decrypts what the state already holds for that connection, and the state is writable.
 * A command that would fail there stops with a configuration error (exit 2) and the customer stays
 * connected.
 *
 * A lost key has a way out: beside the secrets the state keeps the digest of the configured refresh
 * token they descend from. Secrets that cannot be decrypted and descend from another token than the
 * one configured now belong to a connection the customer has since reconnected; they are discarded,
 * with a warning, and the run starts from the configured token. Under the configured token they
 * descend from, they are kept and the run refused: the key is more likely wrong than lost, and the
 * newest refresh token may exist only in them.
 */
import { createHash } from 'node:crypto';
import type { Plan } from '../config/plan.js';
import type { ConnectionConfig } from '../connector/types.js';
import type { ConnectorDescriptor } from '../connector/descriptor.js';
import { oauth2CredentialsOf } from '../connector/open-connection.js';
import { LedgersyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StateStore } from '../state/store.js';

/** Whether a connector's auth hands out tokens that must be stored when they rotate. */
export function keepsRotatedTokens(descriptor: ConnectorDescriptor): boolean {
  return descriptor.auth?.type === 'oauth2_refresh_token';
}

/** The digest of the refresh token the connection is configured with, undefined when none is; never the token. */
function configuredTokenDigest(descriptor: ConnectorDescriptor, config: ConnectionConfig): string | undefined {
  const token = oauth2CredentialsOf({ descriptor, connection: config }).refreshToken;
  return token ? createHash('sha256').update(token).digest('hex') : undefined;
}

/** Where the pipeline file sets the refresh token: `sink.refresh_token`, from the descriptor's template. */
function refreshTokenSetting(descriptor: ConnectorDescriptor, role: 'source' | 'sink'): string {
  const auth = descriptor.auth;
  const property = auth?.type === 'oauth2_refresh_token' ? /^\{(\w+)\}$/.exec(auth.refresh_token.trim())?.[1] : undefined;
  return `${role}.${property ?? 'refresh_token'}`;
}

/**
 * Throws `secret_key_missing`, `secret_undecryptable` or `state_unreadable` (all exit 2) when a
 * connection of the plan would receive a token the state could not keep. Touches no network.
 * Discards undecryptable secrets that descend from another refresh token than the configured one,
 * saying so on `log`.
 */
export function assertTokensCanBeKept(plan: Plan, state: StateStore, secretKey: string | undefined, log: Logger): void {
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
    const scope = config.connector;
    const configured = configuredTokenDigest(descriptor, config);
    try {
      state.verifySecrets(plan.name, scope, secretKey);
    } catch (error) {
      if (!(error instanceof LedgersyncError) || error.code !== 'secret_undecryptable') throw error;
      const origin = state.secretsOrigin(plan.name, scope);
      if (configured === undefined || origin === undefined || origin === configured) {
        throw undecryptable({ plan, state, who, descriptor, role, originKnown: origin !== undefined, cause: error });
      }
      state.assertWritable();
      const discarded = state.forgetSecrets(plan.name, scope);
      log.warn(
        `the ${discarded} secret(s) of ${who} kept in ${state.path} cannot be decrypted with this LEDGERSYNC_SECRET_KEY and descend from another refresh token than the one configured now (the company was reconnected): they were discarded, and this run starts from the configured refresh token`,
        { code: 'secret_undecryptable', connector: descriptor.name, role, discarded },
      );
    }
    state.assertWritable();
    if (configured !== undefined && state.secretsOrigin(plan.name, scope) !== configured) state.recordSecretsOrigin(plan.name, scope, configured);
  }
}

function undecryptable(input: {
  plan: Plan;
  state: StateStore;
  who: string;
  descriptor: ConnectorDescriptor;
  role: 'source' | 'sink';
  originKnown: boolean;
  cause: LedgersyncError;
}): LedgersyncError {
  const { plan, state, who, descriptor, role, originKnown, cause } = input;
  const setting = refreshTokenSetting(descriptor, role);
  const reconnect = originKnown
    ? `put that token in ${setting} (its variable) and run again: these tokens descend from the refresh token configured now, so they are kept until another one is configured, then discarded`
    : `these tokens were stored by an earlier ledgersync, which did not record the refresh token they descend from: forget them with \`ledgersync reset ${plan.file} --forget-tokens\`, put the new token in ${setting} (its variable) and run again`;
  return new LedgersyncError(
    'secret_undecryptable',
    'config',
    `the tokens of ${who} kept in ${state.path} cannot be decrypted with this LEDGERSYNC_SECRET_KEY; nothing was sent to its token endpoint`,
    {
      fix: `set LEDGERSYNC_SECRET_KEY to the value the state file was written with; if it is lost, reconnect the company and start from its new refresh token: ${reconnect}`,
      details: { connector: descriptor.name, role },
      cause,
    },
  );
}
