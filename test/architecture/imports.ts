/**
 * Every module specifier a TypeScript or JavaScript file names: static imports (type-only too),
 * `export … from`, `import x = require()`, dynamic `import()`, `import('…')` types and `require()`.
 * Parsed with the TypeScript compiler, so specifiers in comments or strings do not count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface ImportSite {
  /** The specifier as written; `<computed>` when a dynamic import or require is not a string literal. */
  specifier: string;
  line: number;
}

export function importsOf(fileName: string, text: string): ImportSite[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  const sites: ImportSite[] = [];
  const add = (node: ts.Node, specifier: ts.Node | undefined) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    sites.push({ specifier: specifier && ts.isStringLiteralLike(specifier) ? specifier.text : '<computed>', line });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) add(node, node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** Source files (TypeScript and JavaScript, tests included) under `dir`, as paths relative to `root`. */
export function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(m?ts|m?js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(relative(root, full).split(sep).join('/'));
    }
  };
  walk(join(root, dir));
  return out.sort();
}

/** Where a relative specifier of `file` points, relative to `root` (`../errors.js` from engine/run → `engine/errors.js`); undefined for a package. */
export function resolveSpecifier(root: string, file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return relative(root, resolve(root, dirname(file), specifier))
    .split(sep)
    .join('/');
}

export interface LayerRule {
  /** Files this rule applies to: a folder prefix such as `engine/`. */
  from: string;
  /** Folder prefixes they must not import from. */
  forbidden: readonly string[];
  /** Files of `from` exempt from the rule, with the reason. */
  except?: Readonly<Record<string, string>>;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

export function violations(
  root: string,
  files: readonly string[],
  rules: readonly LayerRule[],
  read = (f: string) => readFileSync(join(root, f), 'utf8'),
): Violation[] {
  const found: Violation[] = [];
  for (const file of files) {
    const applying = rules.filter((r) => file.startsWith(r.from) && !r.except?.[file]);
    if (!applying.length) continue;
    for (const site of importsOf(file, read(file))) {
      if (site.specifier === '<computed>') {
        found.push({ file, line: site.line, specifier: site.specifier, reason: 'a computed import cannot be checked' });
        continue;
      }
      const target = resolveSpecifier(root, file, site.specifier);
      if (target === undefined) continue;
      for (const rule of applying) {
        const layer = rule.forbidden.find((f) => target.startsWith(f) || `${target}/` === f);
        if (layer) found.push({ file, line: site.line, specifier: site.specifier, reason: `${rule.from} must not import from ${layer}` });
      }
    }
  }
  return found;
}
