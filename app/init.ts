/**
 * `ledgersync init <customer> --target <connector>`: a new customer's pipeline and mapping tests
 * made from the matching example of the installed package, and, once per repository, the CI
 * workflow that validates and tests every pipeline on each change. Nothing is overwritten
 * without `--force`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { LedgersyncError } from '../engine/errors.js';
import { packageRoot } from '../engine/package-root.js';
import { closest } from '../engine/config/suggest.js';
import { loadConnector } from '../engine/config/descriptors.js';
import { keepsRotatedTokens } from '../engine/run/credentials.js';
import { parse } from 'yaml';
import { WORKFLOW_PATH, ciWorkflow, pinnedVersion } from './ci-workflow.js';
import { scaffoldCases, scaffoldPipeline } from './scaffold.js';
import { INIT_TARGETS, type InitTarget } from './init-targets.js';

/** Target connector → the example pipeline (in the package's `pipelines/examples/`) a customer starts from. */

/** What people call the targets, for "did you mean". */
const TARGET_ALIASES: Record<string, InitTarget> = {
  qbo: 'quickbooks-online',
  intacct: 'sage-intacct',
  'dual-entry': 'dualentry',
  json: 'jsonl',
  acu: 'acumatica',
  metrics: 'sql',
  postgres: 'sql',
  sqlite: 'sql',
};

export interface InitOptions {
  customer: string;
  target: string;
  /** Folder that holds (or will hold) `pipelines/`. Default: the working directory. */
  dir?: string;
  /** Overwrite files that exist. Default false. */
  force?: boolean;
  /** Default: `process.cwd()`. */
  cwd?: string;
}

export interface WrittenFile {
  /** Absolute path. */
  path: string;
  action: 'created' | 'overwritten' | 'kept' | 'skipped';
  note: string;
}

export interface InitResult {
  files: WrittenFile[];
  pipeline: string;
  cases: string;
  /** `${VAR}`s without a default: what must be set before `run`. */
  variables: string[];
}

const CUSTOMER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function initCustomer(options: InitOptions): InitResult {
  const cwd = options.cwd ?? process.cwd();
  const { customer } = options;
  checkCustomerName(customer);
  const target = knownTarget(options.target);
  const pkg = packageRoot();
  const version = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string }).version;
  const example = exampleOf(pkg, target);
  const layout = customerLayout(resolve(cwd, options.dir ?? '.'), customer, cwd);
  if (!options.force) refuseExisting(layout, `${customer}-${target}`, cwd);

  const pipelineText = readFileSync(example.pipeline, 'utf8');
  // Commands in the files' comments run from the repository root (as CI does).
  const commandsFrom = layout.pipelinesInRepository ? layout.root : cwd;
  const names = {
    customer,
    example: `pipelines/examples/${example.name}.yaml`,
    pipelineFile: posix(relative(commandsFrom, layout.pipeline)),
    casesFile: posix(relative(commandsFrom, layout.cases)),
    pipelineSchema: schemaReference(layout.folder, layout.root, pkg, schemaOfExample(pipelineText)),
    casesSchema: schemaReference(layout.folder, layout.root, pkg, 'schemas/mapping-cases.schema.json'),
    version,
  };
  const scaffolded = scaffoldPipeline(pipelineText, names);
  const cases = scaffoldCases(readFileSync(example.cases, 'utf8'), names);
  const files = [
    writeFile(layout.pipeline, scaffolded, `from ${names.example} (ledgersync ${version})`, cwd),
    writeFile(layout.cases, cases.text, `1 case: ${cases.caseName}`, cwd),
    workflowFile(layout, version, options.force ?? false, cwd),
  ];
  return { files, pipeline: layout.pipeline, cases: layout.cases, variables: requiredVariables(scaffolded, join(pkg, 'connectors')) };
}

function checkCustomerName(customer: string): void {
  if (CUSTOMER_NAME.test(customer)) return;
  throw new LedgersyncError(
    'invalid_customer',
    'config',
    `customer name ${JSON.stringify(customer)} must be letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit): it names the folder and the pipeline, e.g. acme-corp`,
  );
}

/** The target as given when it is one init knows; else an error naming the one meant. */
function knownTarget(given: string): InitTarget {
  if (Object.hasOwn(INIT_TARGETS, given)) return given as InitTarget;
  const targets = Object.keys(INIT_TARGETS);
  const suggestion = TARGET_ALIASES[given.toLowerCase()] ?? targets.find((t) => t.startsWith(given)) ?? closest(given, targets);
  throw new LedgersyncError(
    'unknown_target',
    'config',
    `unknown target '${given}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}: choose one of ${targets.join(', ')}`,
  );
}

/** The target's example pipeline and its cases file in the installed package. */
function exampleOf(pkg: string, target: InitTarget): { name: string; pipeline: string; cases: string } {
  const name = INIT_TARGETS[target];
  const pipeline = join(pkg, 'pipelines', 'examples', `${name}.yaml`);
  const cases = join(pkg, 'pipelines', 'examples', `${name}.cases.yaml`);
  for (const file of [pipeline, cases]) {
    if (!existsSync(file)) throw new LedgersyncError('example_missing', 'system', `the ledgersync package has no ${file}: reinstall ledgersync`);
  }
  return { name, pipeline, cases };
}

/** Where init writes: the customer's folder and files, and the repository's CI workflow. */
interface CustomerLayout {
  /** The folder that holds `pipelines/`. */
  base: string;
  folder: string;
  pipeline: string;
  cases: string;
  /** The git repository's root, else the working directory. */
  root: string;
  workflow: string;
  /** Only `pipelines/` inside a git repository gets a workflow. */
  pipelinesInRepository: boolean;
  /** `pipelines/` relative to the repository's root, as the workflow names it. */
  pipelinesDir: string;
}

function customerLayout(base: string, customer: string, cwd: string): CustomerLayout {
  const folder = join(base, 'pipelines', customer);
  const root = gitRoot(base) ?? cwd;
  return {
    base,
    folder,
    pipeline: join(folder, `${customer}.yaml`),
    cases: join(folder, `${customer}.cases.yaml`),
    root,
    workflow: join(root, WORKFLOW_PATH),
    pipelinesInRepository: isInside(join(base, 'pipelines'), root),
    pipelinesDir: posix(relative(root, join(base, 'pipelines'))),
  };
}

function refuseExisting(layout: CustomerLayout, otherName: string, cwd: string): void {
  const existing = [layout.pipeline, layout.cases].filter((f) => existsSync(f));
  if (!existing.length) return;
  const named = existing.map((f) => display(f, cwd));
  throw new LedgersyncError(
    'files_exist',
    'config',
    `${named.join(' and ')} already exist${existing.length === 1 ? 's' : ''}: nothing was written (--force overwrites; for a second pipeline of the same customer, use another name, e.g. ${otherName})`,
  );
}

function writeFile(path: string, text: string, note: string, cwd: string): WrittenFile {
  const action = existsSync(path) ? 'overwritten' : 'created';
  write(path, text, cwd);
  return { path, action, note };
}

/** The repository's CI workflow: written once, kept (with what it lacks) unless forced, skipped outside a repository. */
function workflowFile(layout: CustomerLayout, version: string, force: boolean, cwd: string): WrittenFile {
  const { workflow, pipelinesDir } = layout;
  if (!layout.pipelinesInRepository) {
    return {
      path: workflow,
      action: 'skipped',
      note: `${display(layout.base, cwd)} is not inside a git repository: run init from the repository's root to get the CI workflow`,
    };
  }
  if (existsSync(workflow) && !force) {
    const text = readFileSync(workflow, 'utf8');
    const pinned = pinnedVersion(text);
    // Edits by hand, never --force: it would rewrite the workflow for this folder alone (dropping the
    // folders it checks now) and overwrite this customer's pipeline and cases files as well.
    const notes = [
      ...(pinned !== undefined && pinned !== version
        ? [`it pins ledgersync ${pinned}, this is ${version}: set its LEDGERSYNC_VERSION when the repository moves to ${version}`]
        : []),
      ...(text.includes(`'${pipelinesDir}/**'`)
        ? []
        : [`it does not check ${pipelinesDir}/: add '${pipelinesDir}/**' to its paths and to its validate and test globs`]),
    ];
    return { path: workflow, action: 'kept', note: notes.length ? notes.join('; ') : 'already there (one per repository)' };
  }
  return writeFile(workflow, ciWorkflow({ version, pipelinesDir }), `validate and test on every change, ledgersync ${version}`, cwd);
}

function write(path: string, text: string, cwd: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'a part of the path is a file, not a folder' : (error as Error).message;
    throw new LedgersyncError('file_unwritable', 'config', `cannot write ${display(path, cwd)}: ${reason}`);
  }
}

/** The nearest folder at or above `from` that holds `.git` (a folder, or a file in a worktree). */
export function gitRoot(from: string): string | undefined {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The schema the example's first line names, as a path inside the package (`schemas/….schema.json`). */
function schemaOfExample(text: string): string {
  const reference = /^# yaml-language-server: \$schema=(\S+)/.exec(text)?.[1];
  const path = reference ? posix(join('pipelines', 'examples', reference)) : '';
  return path.startsWith('schemas/') ? path : 'schemas/pipeline.schema.json';
}

/**
 * `$schema` for a file in `folder`: the copy installed in the repository's `node_modules/ledgersync`
 * (stable across upgrades), else the running package's when it lies inside the repository (a
 * checkout of ledgersync itself), else where `npm install ledgersync` will put it.
 */
function schemaReference(folder: string, root: string, pkg: string, schema: string): string {
  const installed = join(root, 'node_modules', 'ledgersync');
  const base = existsSync(join(installed, schema)) || !isInside(pkg, root) ? installed : pkg;
  return posix(relative(folder, join(base, schema)));
}

function requiredVariables(text: string, connectorsDir: string): string[] {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.trimStart().startsWith('#')) continue;
    for (const m of line.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) names.add(m[1]!);
  }
  // A connection whose refresh token rotates (QuickBooks Online) stores it encrypted: run refuses to start without the key.
  const pipeline = parse(text) as { source?: { connector?: unknown }; sink?: { connector?: unknown } };
  const connectors = [pipeline.source?.connector, pipeline.sink?.connector].filter((c): c is string => typeof c === 'string');
  if (
    connectors.some((name) => {
      const descriptor = loadConnector(connectorsDir, name)?.descriptor;
      return descriptor !== undefined && keepsRotatedTokens(descriptor);
    })
  ) {
    names.add('LEDGERSYNC_SECRET_KEY');
  }
  return [...names];
}

function isInside(path: string, dir: string): boolean {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

function display(path: string, cwd: string): string {
  const r = relative(cwd, path);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : path;
}

function posix(path: string): string {
  return path.split(sep).join('/');
}

/** What init did and what to do next, for a person. */
export function formatInitResult(result: InitResult, cwd: string): string {
  const rows = result.files.map((f) => [f.action, display(f.path, cwd), f.note] as const);
  const width = Math.max(...rows.map((r) => r[1].length));
  const pipeline = display(result.pipeline, cwd);
  const cases = display(result.cases, cwd);
  const customer = /([^/\\]+)\.yaml$/.exec(pipeline)?.[1] ?? '';
  return [
    ...rows.map(([action, path, note]) => `${action.padEnd(11)} ${path.padEnd(width)}  ${note}`),
    '',
    'next:',
    `  1. set each TODO(${customer}) in ${pipeline}: the lookup tables, the options, where the state file lives`,
    `  2. npx ledgersync validate ${pipeline} ${cases}`,
    `  3. npx ledgersync test ${pipeline} ${cases}`,
    `  4. set ${result.variables.join(', ')} (and what the header of ${pipeline} names), then: npx ledgersync run ${pipeline}`,
    '',
  ].join('\n');
}
