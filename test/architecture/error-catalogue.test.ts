/**
 * The error-code catalogues against the code that raises the errors and against the README:
 * every code raised is catalogued with the kinds it is raised with, every catalogued code is raised
 * somewhere, and the README's error table is exactly the catalogue's.
 *
 * After changing a catalogue, `LEDGERSYNC_WRITE_README=1 npx vitest run test/architecture/error-catalogue.test.ts`
 * rewrites the table in README.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../engine/errors.js';
import { ROOT } from '../e2e/helpers.js';
import { allCatalogues, kindsOf, renderErrorTable } from './error-catalogue.js';
import { sourceFiles } from './imports.js';

interface RaiseSite {
  where: string;
  /** A fixed code, or the literal head of a built one (`http_` of `http_${status}`). */
  code: string;
  built: boolean;
  /** Undefined when the kind is computed. */
  kind: ErrorKind | undefined;
}

const KINDS = new Set<string>(['config', 'auth', 'transient', 'record', 'system']);

/** `new LedgersyncError(code, kind, …)` and `super(code, kind, …)` in its subclasses, with literal codes. */
function raiseSites(file: string, text: string): RaiseSite[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const sites: RaiseSite[] = [];
  const visit = (node: ts.Node, inSubclass: boolean): void => {
    const subclass =
      ts.isClassDeclaration(node) || ts.isClassExpression(node)
        ? (node.heritageClauses?.some((h) => h.types.some((t) => t.expression.getText(source) === 'LedgersyncError')) ?? false)
        : inSubclass;
    const raises =
      (ts.isNewExpression(node) && node.expression.getText(source) === 'LedgersyncError') ||
      (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.SuperKeyword && subclass);
    if (raises && node.arguments && node.arguments.length >= 2) {
      const [codeArg, kindArg] = node.arguments as unknown as [ts.Expression, ts.Expression];
      const where = `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
      const kind = ts.isStringLiteralLike(kindArg) && KINDS.has(kindArg.text) ? (kindArg.text as ErrorKind) : undefined;
      if (ts.isStringLiteralLike(codeArg)) sites.push({ where, code: codeArg.text, built: false, kind });
      else if (ts.isTemplateExpression(codeArg)) sites.push({ where, code: codeArg.head.text, built: true, kind });
    }
    ts.forEachChild(node, (child) => visit(child, subclass));
  };
  visit(source, false);
  return sites;
}

const files = ['app', 'domain', 'engine', 'connectors']
  .flatMap((dir) => sourceFiles(ROOT, dir))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('error-codes.ts'));
const sites = files.flatMap((file) => raiseSites(file, readFileSync(join(ROOT, file), 'utf8')));
const catalogues = await allCatalogues(ROOT);
const codes = new Map(catalogues.flatMap(({ owner, catalogue }) => Object.entries(catalogue.codes).map(([code, entry]) => [code, { owner, entry }] as const)));
const families = new Map(
  catalogues.flatMap(({ owner, catalogue }) => Object.entries(catalogue.families ?? {}).map(([prefix, entry]) => [prefix, { owner, entry }] as const)),
);

describe('the error-code catalogues', () => {
  it('finds where errors are raised', () => {
    expect(sites.length).toBeGreaterThan(100);
    expect(sites).toContainEqual({ where: expect.stringMatching(/^engine\/transform\/bindings\.ts:/), code: 'lookup_missing', built: false, kind: 'record' });
    expect(sites).toContainEqual({ where: expect.stringMatching(/^engine\/http\/connection\.ts:/), code: 'http_', built: true, kind: undefined });
    expect(sites).toContainEqual({
      where: expect.stringMatching(/^connectors\/sage-intacct\/gateway\.ts:/),
      code: 'intacct_duplicate_control_id',
      built: false,
      kind: 'transient',
    });
  });

  it('declare each code once', () => {
    const declared = catalogues.flatMap(({ owner, catalogue }) => Object.keys(catalogue.codes).map((code) => `${code} (${owner})`));
    const seen = new Map<string, string[]>();
    for (const d of declared) seen.set(d.split(' ')[0]!, [...(seen.get(d.split(' ')[0]!) ?? []), d]);
    expect([...seen.values()].filter((owners) => owners.length > 1)).toEqual([]);
  });

  it('hold every code raised, with the kind it is raised with', () => {
    const problems: string[] = [];
    for (const site of sites) {
      const entry = site.built ? families.get(site.code)?.entry : codes.get(site.code)?.entry;
      if (!entry) problems.push(`${site.where}: ${site.built ? `family ${site.code}…` : site.code} is in no catalogue`);
      else if (site.kind && !kindsOf(entry).includes(site.kind))
        problems.push(`${site.where}: ${site.code} is raised as ${site.kind}, catalogued as ${kindsOf(entry).join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('hold no code that nothing raises', () => {
    const raised = new Set(sites.filter((s) => !s.built).map((s) => s.code));
    const built = new Set(sites.filter((s) => s.built).map((s) => s.code));
    expect([...codes.keys()].filter((code) => !raised.has(code))).toEqual([]);
    expect([...families.keys()].filter((prefix) => !built.has(prefix))).toEqual([]);
  });

  it('give each family an example of its own shape', () => {
    for (const [prefix, { entry }] of families) {
      const rest = entry.example.slice(prefix.length);
      expect(entry.example.startsWith(prefix) && (entry.suffix === 'number' ? /^\d+$/.test(rest) : /^[a-z0-9_]+$/.test(rest)), entry.example).toBe(true);
    }
  });

  it('are the README error table, code for code', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const begin = '<!-- error-codes:begin (generated from the error-codes.ts files; see test/architecture/error-catalogue.test.ts) -->\n';
    const end = '\n<!-- error-codes:end -->';
    const start = readme.indexOf(begin);
    const stop = readme.indexOf(end);
    expect(start, 'README.md has the error-codes markers').toBeGreaterThan(-1);
    const table = renderErrorTable(catalogues);
    const current = readme.slice(start + begin.length, stop);
    if (current !== table && process.env['LEDGERSYNC_WRITE_README'] === '1') {
      writeFileSync(join(ROOT, 'README.md'), readme.slice(0, start + begin.length) + table + readme.slice(stop));
      return;
    }
    const listed = new Set([...current.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]));
    const expected = [...table.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]!);
    expect(
      expected.filter((code) => !listed.has(code)),
      'codes missing from the README table (LEDGERSYNC_WRITE_README=1 rewrites it)',
    ).toEqual([]);
    expect(current, 'the README table differs from the catalogues (LEDGERSYNC_WRITE_README=1 rewrites it)').toBe(table);
  });
});
