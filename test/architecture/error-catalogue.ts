/**
 * The error-code catalogues of the whole code base (engine, domain, every connector), and the
 * README table rendered from them.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ErrorCatalogue, ErrorCodeEntry } from '../../engine/error-codes.js';
import { engineErrorCodes } from '../../engine/error-codes.js';
import type { ErrorKind } from '../../engine/errors.js';
import { exitByKind } from '../../engine/exit-codes.js';
import { domainErrorCodes } from '../../domain/error-codes.js';

export interface OwnedCatalogue {
  /** `engine`, `domain` or the connector's folder name. */
  owner: string;
  /** Where it is declared, relative to the repository. */
  file: string;
  catalogue: ErrorCatalogue;
}

export async function allCatalogues(root: string): Promise<OwnedCatalogue[]> {
  const connectors = readdirSync(join(root, 'connectors'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, 'connectors', e.name, 'error-codes.ts')))
    .map((e) => e.name)
    .sort();
  const owned: OwnedCatalogue[] = [
    { owner: 'engine', file: 'engine/error-codes.ts', catalogue: engineErrorCodes },
    { owner: 'domain', file: 'domain/error-codes.ts', catalogue: domainErrorCodes },
  ];
  for (const name of connectors) {
    const file = `connectors/${name}/error-codes.ts`;
    const exports = Object.values((await import(pathToFileURL(join(root, file)).href)) as Record<string, unknown>);
    const catalogues = exports.filter((value): value is ErrorCatalogue => typeof value === 'object' && value !== null && 'codes' in value);
    if (catalogues.length !== 1) throw new Error(`${file} must export exactly one catalogue, found ${catalogues.length}`);
    owned.push({ owner: name, file, catalogue: catalogues[0]! });
  }
  return owned;
}

export const kindsOf = (entry: ErrorCodeEntry): readonly ErrorKind[] => (typeof entry.kind === 'string' ? [entry.kind] : entry.kind);

/** The exit column: the catalogue's own exit, else each kind's; a record error is dead-lettered, so the run ends with 1. */
function exitText(entry: ErrorCodeEntry): string {
  if ('exit' in entry && typeof entry.exit === 'number') return String(entry.exit);
  const exits = [...new Set(kindsOf(entry).map((kind) => (kind === 'record' ? '1' : String(exitByKind[kind]))))].sort();
  return exits.join(' or ');
}

const row = (cells: string[]) => `| ${cells.join(' | ')} |`;

/** The table between the README's `error-codes` markers. */
export function renderErrorTable(catalogues: readonly OwnedCatalogue[]): string {
  const lines = [row(['code', 'raised by', 'kind', 'exit', 'meaning']), row(['---', '---', '---', '---', '---'])];
  for (const { owner, catalogue } of catalogues) {
    for (const [code, entry] of Object.entries(catalogue.codes)) {
      lines.push(row([`\`${code}\``, owner, kindsOf(entry).join(', '), exitText(entry), entry.meaning]));
    }
    for (const [prefix, family] of Object.entries(catalogue.families ?? {})) {
      const code = `\`${prefix}<${family.suffix === 'number' ? 'status' : 'vendor code'}>\``;
      lines.push(row([code, owner, kindsOf(family).join(', '), exitText(family), `${family.meaning} (e.g. \`${family.example}\`)`]));
    }
  }
  return lines.join('\n');
}
