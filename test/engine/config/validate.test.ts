import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expandGlob } from '../../../engine/config/glob.js';
import { formatProblems, validateFiles } from '../../../engine/config/validate.js';
import { installedConnectors } from '../../../app/registry.js';

/** A temporary tree of empty files. */
function tree(files: readonly string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'ledgersync-glob-'));
  for (const file of files) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), '');
  }
  return root;
}

describe('globs', () => {
  const files = [
    'p/a.yaml',
    'p/b.yml',
    'p/x/c.yaml',
    'p/x/y/d.yaml',
    'p/.hidden/e.yaml',
    'p/f1.yaml',
    'p/f22.yaml',
    'node_modules/m/n.yaml',
    'p/node_modules/o.yaml',
  ];

  it('expands **, *, ?, [] and {} below the pattern, sorted', () => {
    const root = tree(files);
    expect(expandGlob('p/**/*.yaml', root)).toEqual(['p/a.yaml', 'p/f1.yaml', 'p/f22.yaml', 'p/x/c.yaml', 'p/x/y/d.yaml']);
    expect(expandGlob('p/*.yaml', root)).toEqual(['p/a.yaml', 'p/f1.yaml', 'p/f22.yaml']);
    expect(expandGlob('p/f?.yaml', root)).toEqual(['p/f1.yaml']);
    expect(expandGlob('p/[ab].*', root)).toEqual(['p/a.yaml', 'p/b.yml']);
    expect(expandGlob('p/*.{yaml,yml}', root)).toEqual(['p/a.yaml', 'p/b.yml', 'p/f1.yaml', 'p/f22.yaml']);
    expect(expandGlob('p/x/*', root)).toEqual(['p/x/c.yaml']);
    expect(expandGlob('nothing/**/*.yaml', root)).toEqual([]);
    expect(expandGlob(join(root, 'p', '*.yml'), '/')).toEqual([join(root, 'p', 'b.yml')]);
  });

  it('enters hidden folders only when the pattern spells the dot, and never node_modules', () => {
    const root = tree(files);
    expect(expandGlob('**/*.yaml', root)).not.toContain('p/.hidden/e.yaml');
    expect(expandGlob('p/.hidden/*.yaml', root)).toEqual(['p/.hidden/e.yaml']);
    expect(expandGlob('p/.*/*.yaml', root)).toEqual(['p/.hidden/e.yaml']);
    expect(expandGlob('**/*.yaml', root).filter((f) => f.includes('node_modules'))).toEqual([]);
  });

  it('leaves out what an exclusion matches', () => {
    const root = tree(files);
    expect(expandGlob('p/**/*.yaml', root, ['p/x/**'])).toEqual(['p/a.yaml', 'p/f1.yaml', 'p/f22.yaml']);
    expect(expandGlob('p/**/*.yaml', root, ['**/f*.yaml', 'p/a.yaml'])).toEqual(['p/x/c.yaml', 'p/x/y/d.yaml']);
  });

  it('follows symbolic links, lists each real file once, and a link loop ends', () => {
    const root = tree(['p/a.yaml', 'shared/s.yaml']);
    symlinkSync(join(root, 'shared', 's.yaml'), join(root, 'p', 'linked.yaml'));
    symlinkSync(join(root, 'p'), join(root, 'p', 'loop'));
    expect(expandGlob('p/**/*.yaml', root)).toEqual(['p/a.yaml', 'p/linked.yaml']);
  });
});

describe('validateFiles', () => {
  it('checks every matching file and reports a pattern that matches nothing', async () => {
    const result = await validateFiles(['test/fixtures/pipelines/broken/unknown-*.yaml', 'test/fixtures/pipelines/none/**/*.yaml', 'missing.yaml'], {
      env: {},
      connectorsDir: installedConnectors.descriptorsDir,
    });
    expect(result.files).toEqual([
      'test/fixtures/pipelines/broken/unknown-connector.yaml',
      'test/fixtures/pipelines/broken/unknown-endpoint.yaml',
      'test/fixtures/pipelines/broken/unknown-function.yaml',
      'test/fixtures/pipelines/broken/unknown-lookup.yaml',
      'test/fixtures/pipelines/broken/unknown-option.yaml',
      'test/fixtures/pipelines/broken/unknown-property.yaml',
    ]);
    expect(result.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.code}`)).toEqual([
      'test/fixtures/pipelines/none/**/*.yaml:1:1 no_match',
      'missing.yaml:1:1 file_unreadable',
      'test/fixtures/pipelines/broken/unknown-connector.yaml:4:14 unknown_connector',
      'test/fixtures/pipelines/broken/unknown-endpoint.yaml:12:15 unknown_endpoint',
      'test/fixtures/pipelines/broken/unknown-function.yaml:16:16 unknown_function',
      'test/fixtures/pipelines/broken/unknown-lookup.yaml:21:26 unknown_lookup',
      'test/fixtures/pipelines/broken/unknown-option.yaml:19:23 unknown_option',
      'test/fixtures/pipelines/broken/unknown-property.yaml:12:5 schema_unknown_property',
    ]);
  });

  it('does not need the secrets a run needs', async () => {
    const result = await validateFiles(['test/fixtures/pipelines/valid/*.yaml'], { env: {}, connectorsDir: 'test/fixtures/connectors' });
    expect(result).toEqual({ files: ['test/fixtures/pipelines/valid/full.yaml'], problems: [], expressions: expect.any(Array) });
  });

  it('excludes !patterns from the globs, keeps files named outright, and says when exclusions leave a glob empty', async () => {
    const root = tree([]);
    const full = readFileSync('test/fixtures/pipelines/valid/full.yaml', 'utf8');
    for (const [i, file] of ['a/one.yaml', 'a/two.yaml', 'a/drafts/three.yaml', 'b/four.yaml', 'c/[x] five.yaml'].entries()) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      // Each its own pipeline name, as every customer's pipeline has.
      writeFileSync(join(root, file), full.replace(/^name: .*$/m, `name: pipeline-${i}`));
    }
    const check = (patterns: string[]) => validateFiles(patterns, { env: {}, cwd: root, connectorsDir: join(process.cwd(), 'test/fixtures/connectors') });

    const some = await check(['a/**/*.yaml', '!**/drafts/**', '!a/two.yaml', 'a/two.yaml', 'c/[x] five.yaml']);
    expect({ files: some.files, problems: some.problems }).toEqual({ files: ['a/one.yaml', 'a/two.yaml', 'c/[x] five.yaml'], problems: [] });

    const emptied = await check(['b/*.yaml', '!b/**', 'a/one.yaml']);
    expect(emptied.files).toEqual(['a/one.yaml']);
    expect(emptied.problems.map((p) => [p.file, p.code, p.message])).toEqual([
      ['b/*.yaml', 'no_match', "every file matching 'b/*.yaml' is excluded by '!b/**'"],
    ]);

    const onlyExclusions = await check(['!a/**']);
    expect(onlyExclusions.files).toEqual([]);
    expect(onlyExclusions.problems.map((p) => p.code)).toEqual(['no_match']);
    expect(onlyExclusions.problems[0]!.message).toMatch(/only exclusions were given/);
  });

  it("refuses a second file with a pipeline name already checked: a copied pipeline would share the other's state", async () => {
    const root = tree([]);
    for (const customer of ['acme', 'beta']) {
      mkdirSync(join(root, 'pipelines', customer), { recursive: true });
      copyFileSync('test/fixtures/pipelines/valid/full.yaml', join(root, 'pipelines', customer, `${customer}.yaml`));
    }
    const result = await validateFiles(['pipelines/**/*.yaml'], { env: {}, cwd: root, connectorsDir: join(process.cwd(), 'test/fixtures/connectors') });
    const nameLine =
      readFileSync('test/fixtures/pipelines/valid/full.yaml', 'utf8')
        .split('\n')
        .findIndex((l) => l.startsWith('name:')) + 1;
    expect(result.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.code} ${p.severity}`)).toEqual([
      `pipelines/beta/beta.yaml:${nameLine}:7 duplicate_pipeline_name error`,
    ]);
    expect(result.problems[0]!.message).toBe(
      `name 'full-example' is already the name of pipelines/acme/acme.yaml:${nameLine}: the two pipelines would share one state (cursors, ledger, run lock), so this one would start from the other's cursors and skip its own history; give each pipeline its own name`,
    );
  });

  it('warns about a cases file it could not check against a pipeline: none beside it, or one with errors', async () => {
    const root = tree([]);
    const cases = 'cases:\n  - name: one\n    stream: voided_invoice\n    input: { id: c1 }\n    expect: { id: c1 }\n';
    writeFileSync(join(root, 'alone.cases.yaml'), cases);
    writeFileSync(join(root, 'broken.cases.yaml'), cases);
    writeFileSync(join(root, 'broken.yaml'), 'version: 1\n');
    const result = await validateFiles(['alone.cases.yaml', 'broken.cases.yaml'], {
      env: {},
      cwd: root,
      connectorsDir: join(process.cwd(), 'test/fixtures/connectors'),
    });
    expect(result.problems.map((p) => [relative(root, p.file), p.code, p.severity, p.message])).toEqual([
      [
        'alone.cases.yaml',
        'cases_unchecked',
        'warning',
        'not checked against a pipeline: there is no alone.yaml beside it (ledgersync test <pipeline> alone.cases.yaml checks it against one)',
      ],
      [
        'broken.cases.yaml',
        'cases_unchecked',
        'warning',
        'not checked against broken.yaml, which has errors: its streams, options and tables are checked once it is valid',
      ],
    ]);
  });

  it('resolves patterns against cwd when given', async () => {
    const result = await validateFiles(['broken/wrong-type.yaml'], {
      env: {},
      cwd: 'test/fixtures/pipelines',
      connectorsDir: installedConnectors.descriptorsDir,
    });
    expect(result.files).toEqual(['broken/wrong-type.yaml']);
    expect(result.problems.map((p) => [p.line, p.column, p.code])).toEqual([[14, 17, 'schema_type']]);
  });
});

describe('validateFiles: one file never hides another', () => {
  it('reports a file that crashes the loader as its own problem and checks the others', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ledgersync-validate-'));
    // A connectors "folder" that is a file: listing it for a suggestion throws inside the loader.
    writeFileSync(join(root, 'connectors'), '');
    const result = await validateFiles(['test/fixtures/pipelines/broken/unknown-connector.yaml', 'test/fixtures/pipelines/broken/bad-yaml.yaml'], {
      env: {},
      connectorsDir: join(root, 'connectors'),
    });
    expect(result.problems.map((p) => [p.file, p.line, p.column, p.code])).toEqual([
      ['test/fixtures/pipelines/broken/unknown-connector.yaml', 1, 1, 'internal_error'],
      ['test/fixtures/pipelines/broken/bad-yaml.yaml', 14, 5, 'yaml_syntax'],
    ]);
    expect(result.problems[0]?.message).toMatch(/^checking this file failed inside ledgersync \(ENOTDIR.*\); please report it$/);
  });

  it('hands a symbolic link loop named on the command line to the loader, which says what it is', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ledgersync-validate-'));
    symlinkSync(join(root, 'loop.yaml'), join(root, 'loop.yaml'));
    const result = await validateFiles([join(root, 'loop.yaml'), 'test/fixtures/pipelines/broken/wrong-type.yaml'], {
      connectorsDir: installedConnectors.descriptorsDir,
      env: {},
    });
    expect(result.problems.map((p) => p.code)).toEqual(['file_unreadable', 'schema_type']);
    expect(result.problems[0]?.message).toContain('a symbolic link loop');
  });

  it('reports a pattern whose folder cannot be listed, and goes on', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ledgersync-validate-'));
    symlinkSync(join(root, 'loop'), join(root, 'loop'));
    const result = await validateFiles([`${root}/loop/**/*.yaml`, 'test/fixtures/pipelines/broken/wrong-type.yaml'], {
      connectorsDir: installedConnectors.descriptorsDir,
      env: {},
    });
    expect(result.problems.map((p) => p.code)).toEqual([expect.stringMatching(/^(no_match|file_unreadable)$/), 'schema_type']);
    expect(JSON.parse(formatProblems(result.problems, 'json'))).toHaveLength(2);
  });
});

describe('formatProblems', () => {
  const problems = [
    {
      code: 'schema_type',
      file: 'p.yaml',
      path: '/streams/0/batch_size',
      line: 14,
      column: 17,
      message: 'streams[0].batch_size must be an integer, not "lots"',
      severity: 'error' as const,
    },
    {
      code: 'unknown_variable',
      file: 'p.yaml',
      path: '/streams/0/filter',
      line: 20,
      column: 3,
      message: 'unknown variable $x: it is always undefined',
      severity: 'warning' as const,
    },
  ];

  it('prints file:line:col: message lines', () => {
    expect(formatProblems(problems, 'text')).toBe(
      'p.yaml:14:17: streams[0].batch_size must be an integer, not "lots"\np.yaml:20:3: warning: unknown variable $x: it is always undefined',
    );
    expect(formatProblems([], 'text')).toBe('');
  });

  it('prints a JSON array of {file, line, column, code, path, message, severity}', () => {
    const parsed = JSON.parse(formatProblems(problems, 'json')) as unknown[];
    expect(parsed).toEqual(problems.map(({ file, line, column, code, path, message, severity }) => ({ file, line, column, code, path, message, severity })));
    expect(Object.keys(parsed[0] as object)).toEqual(['file', 'line', 'column', 'code', 'path', 'message', 'severity']);
    expect(JSON.parse(formatProblems([], 'json'))).toEqual([]);
  });
});
