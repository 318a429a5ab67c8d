/**
 * CommonJS packages are loaded with `require`, not `import`. An ESM import of a CommonJS file makes
 * Node scan the whole file for its export names before running it: that scan was most of jsonata's
 * 33 ms and fast-xml-parser's 35 ms, on every start of every command. `require` costs 8 and 7 ms.
 */
import { createRequire } from 'node:module';

export const requireCjs = createRequire(import.meta.url);
