/**
 * File globs for `ledgersync validate`: `**` (any folders), `*` and `?` within a name, `[abc]`,
 * `{a,b}`. Node 20 has no fs.glob, so this walks the tree from the pattern's fixed prefix.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

export function hasGlob(pattern: string): boolean {
  return /[*?[\]{}]/.test(pattern);
}

/** Files matching `pattern` (relative to `cwd` unless absolute), as `pattern` spells them, sorted. */
export function expandGlob(pattern: string, cwd = process.cwd()): string[] {
  const normalized = pattern.split(sep).join('/');
  const segments = normalized.split('/');
  const fixed: string[] = [];
  while (segments.length > 1 && !hasGlob(segments[0] as string)) fixed.push(segments.shift() as string);
  const prefix = fixed.join('/');
  const baseDir = resolve(cwd, prefix === '' && normalized.startsWith('/') ? '/' : prefix || '.');
  if (!existsSync(baseDir) || !statSync(baseDir).isDirectory()) return [];
  const matcher = globToRegExp(segments.join('/'));
  const found: string[] = [];
  walk(baseDir, '', (relative) => {
    if (matcher.test(relative)) found.push(prefix ? `${prefix}/${relative}` : relative);
  });
  return found.sort();
}

function walk(dir: string, relative: string, visit: (relative: string) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Hidden folders and dependencies are never pipelines.
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) walk(join(dir, entry.name), rel, visit);
    else if (entry.isFile()) visit(rel);
  }
}

export function globToRegExp(glob: string): RegExp {
  let out = '';
  let i = 0;
  let braces = 0;
  while (i < glob.length) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more folders; a trailing `**` matches anything below.
      if (glob[i + 2] === '/') {
        out += '(?:[^/]+/)*';
        i += 3;
      } else {
        out += '.*';
        i += 2;
      }
      continue;
    }
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) out += '\\[';
      else {
        const body = glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = close;
      }
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^$()|\\]/g, '\\$&');
    i++;
  }
  return new RegExp(`^${out}$`);
}
