/**
 * Part of `npm run build`: reads ISO's currency list (XML) once and writes it as JSON to
 * dist/iso-4217.json, with the hash of the XML it came from, so a run loads it instead of parsing
 * the XML (domain/money/currencies.ts). An XML updated after the build is parsed at run time as before.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileIsoList, compiledIsoListPath, isoListPath } from '../domain/money/currencies.js';

export function writeCompiledIsoList(path = compiledIsoListPath()): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, compileIsoList(readFileSync(isoListPath(), 'utf8')) + '\n');
  return path;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeCompiledIsoList();
}
