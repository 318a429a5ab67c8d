/** `ledgersync init`: a new customer's pipeline that validates, tests that pass, and the CI workflow once. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitRoot, initCustomer } from '../../app/init.js';
import { INIT_TARGETS } from '../../app/init-targets.js';
import { loadPipeline } from '../../engine/config/load.js';
import { validateFiles, formatProblems } from '../../engine/config/validate.js';
import { testMappings } from '../../engine/run/mapping-suite.js';
import { runMappingCase } from '../../engine/run/mapping-test.js';
import { tempDir } from '../e2e/helpers.js';
import { installedConnectors } from '../../app/registry.js';

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
let work: ReturnType<typeof tempDir>;
let repo: string;

beforeEach(() => {
  work = tempDir('ledgersync-init-');
  repo = join(work.dir, 'consulting');
  mkdirSync(join(repo, '.git'), { recursive: true });
});
afterEach(() => work.cleanup());

async function mappingTests(pipeline: string, cases: string): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = { write: (text: string) => (out += text) };
  const code = await testMappings({ connectorsDir: installedConnectors.descriptorsDir, pipeline, files: [cases], env: {}, stdout: sink, stderr: sink });
  return { code, out };
}

describe.each(Object.keys(INIT_TARGETS))('init --target %s', (target) => {
  it('scaffolds a pipeline named after the customer that validates, and a cases file whose one case passes', async () => {
    const result = initCustomer({ customer: 'acme', target, cwd: repo });
    const pipeline = join(repo, 'pipelines/acme/acme.yaml');
    const cases = join(repo, 'pipelines/acme/acme.cases.yaml');
    expect(result.files.map((f) => [f.path, f.action])).toEqual([
      [pipeline, 'created'],
      [cases, 'created'],
      [join(repo, '.github/workflows/ledgersync.yml'), 'created'],
    ]);

    const validated = await validateFiles(['pipelines/**/*.{yaml,yml}'], { connectorsDir: installedConnectors.descriptorsDir, env: {}, cwd: repo });
    expect(formatProblems(validated.problems, 'text')).toBe('');
    expect(validated.files).toHaveLength(2);

    const text = readFileSync(pipeline, 'utf8');
    expect(parse(text).name).toBe('acme');
    expect(text).toMatch(/^# yaml-language-server: \$schema=\.\.\/\.\.\/node_modules\/ledgersync\/schemas\/pipeline\.schema\.json\n/);
    expect(text).toContain('# TODO(acme): `name` scopes everything ledgersync keeps for this pipeline in its state file');
    // The example's run commands now name the new file; only the line saying where it came from names the example.
    expect(text.split('\n').filter((line) => line.includes('pipelines/examples/'))).toEqual([
      `# acme: made by \`ledgersync init\` (ledgersync ${version}) from pipelines/examples/${INIT_TARGETS[target as keyof typeof INIT_TARGETS]}.yaml.`,
    ]);

    const { code, out } = await mappingTests(pipeline, cases);
    expect(code, out).toBe(0);
    expect(out).toMatch(/^1 passed, 0 failed$/m);
    expect(readFileSync(cases, 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=\.\.\/\.\.\/node_modules\/ledgersync\/schemas\/mapping-cases\.schema\.json\n/,
    );
  });

  it("empties every lookup table that held the example's ids, marked TODO, the ids kept as comments", () => {
    initCustomer({ customer: 'acme', target, cwd: repo });
    const text = readFileSync(join(repo, 'pipelines/acme/acme.yaml'), 'utf8');
    const lookups = parse(text).lookups as Record<string, { values: object; default?: unknown }>;
    for (const [name, table] of Object.entries(lookups)) {
      expect(table.values, name).toEqual({});
      if ('default' in table) expect(table.default, `${name} keeps only an empty default`).toBe('');
    }
    const todos = text.match(/# TODO\(acme\): fill in\./g) ?? [];
    expect(todos).toHaveLength(Object.keys(lookups).length);
  });
});

describe('the environment variables init names', () => {
  it('include LEDGERSYNC_SECRET_KEY where a connection stores the token it rotates (QuickBooks Online), and only there', () => {
    expect(initCustomer({ customer: 'acme', target: 'quickbooks-online', cwd: repo }).variables).toEqual(
      expect.arrayContaining(['QBO_REFRESH_TOKEN', 'LEDGERSYNC_SECRET_KEY']),
    );
    expect(initCustomer({ customer: 'beta', target: 'jsonl', cwd: repo }).variables).not.toContain('LEDGERSYNC_SECRET_KEY');
  });
});

describe('the scaffolded QuickBooks pipeline', () => {
  it('dead-letters a record that needs an unfilled lookup instead of posting it to an example account', async () => {
    initCustomer({ customer: 'acme', target: 'quickbooks-online', cwd: repo });
    const text = readFileSync(join(repo, 'pipelines/acme/acme.yaml'), 'utf8');
    expect(text).toContain('    #   SAAS: "80"');
    const { plan } = await loadPipeline(join(repo, 'pipelines/acme/acme.yaml'), {
      connectorsDir: installedConnectors.descriptorsDir,
      mode: 'validate',
      env: {},
    });
    const item = { id: 'pro-USD', name: 'Pro', price: 4900, currency_code: 'USD', accounting_detail: { accounting_code: 'SAAS' } };
    const result = await runMappingCase(plan!, { name: 'item', stream: 'items', input: item, expect_error: 'lookup_missing' });
    expect(result.problems).toEqual([]);
    expect(result.output).toMatchObject({ kind: 'error', code: 'lookup_missing' });
  });
});

describe('the CI workflow', () => {
  it('is written once per repository, pinned to this version, and checks every pipeline and cases file', () => {
    initCustomer({ customer: 'acme', target: 'jsonl', cwd: repo });
    const path = join(repo, '.github/workflows/ledgersync.yml');
    const workflow = parse(readFileSync(path, 'utf8'));
    expect(workflow.on.push.paths).toContain('pipelines/**');
    expect(workflow.on.pull_request.paths).toContain('pipelines/**');
    const job = workflow.jobs.check;
    expect(job.env.LEDGERSYNC_VERSION).toBe(version);
    const runs = job.steps.map((s: { run?: string }) => s.run ?? '').join('\n');
    expect(runs).toContain(`npx --no ledgersync validate 'pipelines/**/*.{yaml,yml}'`);
    expect(runs).toContain('npx --no ledgersync test "$pipeline" "$cases"');

    writeFileSync(path, readFileSync(path, 'utf8') + '# edited by the consultant\n');
    const second = initCustomer({ customer: 'globex', target: 'sage-intacct', cwd: repo });
    expect(second.files[2]).toMatchObject({ path, action: 'kept', note: 'already there (one per repository)' });
    expect(readFileSync(path, 'utf8')).toContain('# edited by the consultant');
  });

  it('goes to the git root above --dir, checking the pipelines folder from there', () => {
    const elsewhere = join(work.dir, 'elsewhere');
    mkdirSync(elsewhere);
    initCustomer({ customer: 'acme', target: 'jsonl', dir: join(repo, 'clients'), cwd: elsewhere });
    expect(existsSync(join(repo, 'clients/pipelines/acme/acme.yaml'))).toBe(true);
    const workflow = readFileSync(join(repo, '.github/workflows/ledgersync.yml'), 'utf8');
    expect(workflow).toContain("npx --no ledgersync validate 'clients/pipelines/**/*.{yaml,yml}'");
    expect(workflow).toContain("paths: ['clients/pipelines/**'");
    expect(existsSync(join(elsewhere, '.github'))).toBe(false);
    expect(gitRoot(join(repo, 'clients/pipelines'))).toBe(repo);
  });

  it('outside a git repository goes to the working directory', () => {
    const plain = join(work.dir, 'plain');
    mkdirSync(plain);
    initCustomer({ customer: 'acme', target: 'jsonl', cwd: plain });
    expect(existsSync(join(plain, '.github/workflows/ledgersync.yml'))).toBe(true);
  });

  it('says when the workflow it keeps pins another version', () => {
    mkdirSync(join(repo, '.github/workflows'), { recursive: true });
    writeFileSync(join(repo, '.github/workflows/ledgersync.yml'), 'env:\n  LEDGERSYNC_VERSION: "0.0.1"\n# \'pipelines/**\'\n');
    const result = initCustomer({ customer: 'acme', target: 'jsonl', cwd: repo });
    expect(result.files[2]).toMatchObject({ action: 'kept' });
    expect(result.files[2]!.note).toMatch(/^it pins ledgersync 0\.0\.1, this is (\d+\.\d+\.\d+): set its LEDGERSYNC_VERSION when the repository moves to \1$/);
  });

  it('says what to add to a workflow it keeps that does not check the new folder, and never advises --force, which would overwrite', () => {
    initCustomer({ customer: 'acme', target: 'jsonl', cwd: repo });
    const result = initCustomer({ customer: 'beta', target: 'jsonl', cwd: repo, dir: 'sub' });
    const workflow = result.files.find((f) => f.path.endsWith('ledgersync.yml'))!;
    expect(workflow).toMatchObject({ action: 'kept' });
    expect(workflow.note).toBe("it does not check sub/pipelines/: add 'sub/pipelines/**' to its paths and to its validate and test globs");
    expect(workflow.note).not.toContain('--force');
  });
});

describe('what init refuses', () => {
  it('never overwrites a pipeline or cases file without --force, and writes nothing then', () => {
    initCustomer({ customer: 'acme', target: 'jsonl', cwd: repo });
    const pipeline = join(repo, 'pipelines/acme/acme.yaml');
    writeFileSync(pipeline, 'edited\n');
    expect(() => initCustomer({ customer: 'acme', target: 'quickbooks-online', cwd: repo })).toThrow(
      'pipelines/acme/acme.yaml and pipelines/acme/acme.cases.yaml already exist: nothing was written (--force overwrites; for a second pipeline of the same customer, use another name, e.g. acme-quickbooks-online)',
    );
    expect(readFileSync(pipeline, 'utf8')).toBe('edited\n');
    const forced = initCustomer({ customer: 'acme', target: 'quickbooks-online', cwd: repo, force: true });
    expect(forced.files.map((f) => f.action)).toEqual(['overwritten', 'overwritten', 'overwritten']);
    expect(parse(readFileSync(pipeline, 'utf8')).sink.connector).toBe('quickbooks-online');
  });

  it('a customer name that cannot name a folder and a pipeline, an unknown target', () => {
    expect(() => initCustomer({ customer: '../acme', target: 'jsonl', cwd: repo })).toThrow(/^customer name "..\/acme" must be letters, digits/);
    expect(() => initCustomer({ customer: 'Acme Corp', target: 'jsonl', cwd: repo })).toThrow(/e\.g\. acme-corp$/);
    expect(() => initCustomer({ customer: 'acme', target: 'quickbooks', cwd: repo })).toThrow(
      "unknown target 'quickbooks' (did you mean 'quickbooks-online'?): choose one of quickbooks-online, sage-intacct, dualentry, jsonl",
    );
    expect(existsSync(join(repo, 'pipelines'))).toBe(false);
  });

  it('a --dir that is a file: one line, no raw ENOTDIR', () => {
    writeFileSync(join(repo, 'notes.txt'), '');
    expect(() => initCustomer({ customer: 'acme', target: 'jsonl', dir: 'notes.txt', cwd: repo })).toThrow(
      'cannot write notes.txt/pipelines/acme/acme.yaml: a part of the path is a file, not a folder',
    );
  });
});
