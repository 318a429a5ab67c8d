/** Where the package's `connectors/` and `schemas/` folders are, from sources or from `dist/`. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  // dist/ has no package.json, so the first folder up that has one is the package itself.
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`ledgersync: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  cached = dir;
  return dir;
}

export function defaultConnectorsDir(): string {
  return join(packageRoot(), 'connectors');
}

export function schemasDir(): string {
  return join(packageRoot(), 'schemas');
}
