import { resolve } from 'node:path';
import { isPostgresUrl, postgresSecrets } from '../engine/state/driver.js';
import { registerSecret } from '../engine/log.js';

export const DEFAULT_STATE = '.ledgersync/state.db';

/**
 * `--state`, else LEDGERSYNC_STATE, else `.ledgersync/state.db` in the working directory. A
 * `postgres://…` URL selects PostgreSQL and is passed on as it is; a file path is made absolute.
 */
export function statePath(option: string | undefined): string {
  const chosen = option ?? process.env['LEDGERSYNC_STATE'] ?? DEFAULT_STATE;
  if (!isPostgresUrl(chosen)) return resolve(chosen);
  for (const secret of postgresSecrets(chosen)) registerSecret(secret);
  return chosen;
}
