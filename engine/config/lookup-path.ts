/**
 * What a consultant most likely meant by a lookup `file:` that is not there: paths are relative to
 * the pipeline's folder, written with `/`, and compared with their case on Linux (CI), where a path
 * that works on a Windows or macOS laptop may not.
 */
import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/** A sentence naming the file that exists and how to write it, or '' when nothing close exists. */
export function missingFileHint(written: string, pipelineDir: string, cwd = process.cwd()): string {
  const slashed = written.replace(/\\/g, '/');
  if (slashed !== written && existsSync(resolve(pipelineDir, slashed))) {
    return `; write it with '/': ${slashed} (a path with '\\' works on Windows only)`;
  }
  const cased = sameIgnoringCase(pipelineDir, slashed);
  if (cased !== undefined) return `; the file is ${cased}: names differ by case, which Linux (and CI) does not ignore`;
  if (!isAbsolute(slashed) && existsSync(resolve(cwd, slashed))) {
    const fromPipeline = relative(pipelineDir, resolve(cwd, slashed)).split(sep).join('/');
    return `; it is relative to the pipeline's folder, not the working directory: write ${fromPipeline}`;
  }
  return '';
}

/** The path under `dir` that `path` names when letter case is ignored, as it really is spelt. */
function sameIgnoringCase(dir: string, path: string): string | undefined {
  if (isAbsolute(path)) return undefined;
  let at = dir;
  const spelt: string[] = [];
  for (const part of path.split('/').filter((p) => p !== '' && p !== '.')) {
    if (part === '..') {
      at = join(at, '..');
      spelt.push('..');
      continue;
    }
    let entries: string[];
    try {
      entries = readdirSync(at);
    } catch {
      return undefined;
    }
    const match = entries.find((e) => e === part) ?? entries.find((e) => e.toLowerCase() === part.toLowerCase());
    if (match === undefined) return undefined;
    spelt.push(match);
    at = join(at, match);
  }
  const found = spelt.join('/');
  return found !== path && existsSync(at) ? found : undefined;
}
