import { resolve } from 'node:path';

export const DEFAULT_STATE = '.ledgersync/state.db';

/** `--state`, else LEDGERSYNC_STATE, else `.ledgersync/state.db` in the working directory. */
export function statePath(option: string | undefined): string {
  return resolve(option ?? process.env['LEDGERSYNC_STATE'] ?? DEFAULT_STATE);
}
