import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

/** The package's own `connectors/` folder, from sources and from `dist/` alike. */
export function defaultConnectorsDir(): string {
  return join(packageRoot(), 'connectors');
}
