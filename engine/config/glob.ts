/**
 * File globs for `ledgersync validate`, matched by tinyglobby (picomatch syntax: `**`, `*`, `?`,
 * `[abc]`, `{a,b}`). Deliberate choices, documented in the README under `validate`:
 * - `*` and `**` do not enter hidden files or folders (a name starting with a dot), as in a shell;
 *   a pattern that spells the dot does (`.ci/*.yaml`);
 * - `node_modules` is never searched;
 * - symbolic links are followed; a file reached by several paths (a link, a link loop) is listed
 *   once, under the first of its paths in sorted order;
 * - `!pattern` arguments exclude what they match from every glob of the same command.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';

const NEVER_SEARCHED = ['**/node_modules/**'];

/** True for an argument that excludes (`!pattern`) rather than names files. */
export function isExclusion(pattern: string): boolean {
  return pattern.startsWith('!');
}

export function hasGlob(pattern: string): boolean {
  return isDynamicPattern(pattern);
}

/**
 * Files matching `pattern` (relative to `cwd` unless absolute) and none of `exclude` (patterns
 * without their `!`, relative to the same `cwd`), sorted; relative patterns give paths relative to
 * `cwd`, absolute ones absolute paths.
 */
export function expandGlob(pattern: string, cwd = process.cwd(), exclude: readonly string[] = []): string[] {
  const normalized = pattern.split(sep).join('/');
  const found = globSync(normalized, {
    cwd,
    absolute: isAbsolute(normalized),
    dot: false,
    expandDirectories: false,
    followSymbolicLinks: true,
    onlyFiles: true,
    ignore: [...NEVER_SEARCHED, ...exclude.map((e) => e.split(sep).join('/'))],
  }).sort();
  const seen = new Set<string>();
  return found.filter((file) => {
    let real: string;
    try {
      real = realpathSync(resolve(cwd, file));
    } catch {
      // Gone since the walk: keep it, and loading it reports the file as unreadable.
      return true;
    }
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
}
