#!/usr/bin/env node
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../dist/app/cli.js', import.meta.url))) {
  // An install from a git URL is built by npm's prepare script, which `--ignore-scripts` skips.
  process.stderr.write(
    'error: ledgersync is installed without its build (dist/ is missing). Fix: install it from a tarball (npm pack) or the registry; ' +
      "a git URL is built by npm's prepare script, which --ignore-scripts (the CI workflow ledgersync init writes) skips\n",
  );
  process.exit(2);
}
await import('../dist/app/cli.js');
