/**
 * The package as a consultant gets it: `npm pack`, installed into a scratch git repository, then
 * `npx ledgersync init`, `validate` and `test` there, the `$schema` lines resolving inside
 * node_modules/ledgersync, and every step of the CI workflow init wrote run as GitHub would (bash).
 * Independent of the package's `files` list except for what init itself needs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { INIT_TARGETS } from '../../app/init-targets.js';
import { ROOT, tempDir } from './helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));

// npm's own lifecycle variables (set when this runs under `npm test`) must not leak into the scratch repository's npm.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(package|lifecycle)_/.test(k)));

function run(command: string, args: string[], cwd: string, extra: Record<string, string> = {}) {
  const started = Date.now();
  const result = spawnSync(command, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, seconds: (Date.now() - started) / 1000 };
}

/** The file a `# yaml-language-server: $schema=…` first line points at. */
function schemaOf(file: string): string {
  const reference = /^# yaml-language-server: \$schema=(\S+)/.exec(readFileSync(file, 'utf8'))?.[1];
  expect(reference, `${file} has a $schema line`).toBeDefined();
  return resolve(dirname(file), reference!);
}

describe.skipIf(!built)('the npm package', () => {
  it('installs into a consultant repository where init, validate, test and the CI workflow work', () => {
    const work = tempDir('ledgersync-pack-');
    try {
      const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work.dir], ROOT);
      expect(pack.code, pack.stderr).toBe(0);
      const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
      const paths = packed!.files.map((f) => f.path);
      for (const example of Object.values(INIT_TARGETS)) {
        expect(paths).toContain(`pipelines/examples/${example}.yaml`);
        expect(paths).toContain(`pipelines/examples/${example}.cases.yaml`);
      }
      for (const schema of ['pipeline', 'mapping-cases']) expect(paths).toContain(`schemas/${schema}.schema.json`);
      expect(paths.some((p) => p.startsWith('test/'))).toBe(false);

      const repo = join(work.dir, 'acme-consulting');
      mkdirSync(repo);
      expect(run('git', ['init', '-q'], repo).code).toBe(0);
      // --ignore-scripts: better-sqlite3 would compile for minutes, and nothing here opens a state file.
      const install = run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', join(work.dir, packed!.filename)], repo);
      expect(install.code, install.stderr).toBe(0);

      const init = run('npx', ['--no', 'ledgersync', 'init', 'acme', '--target', 'quickbooks-online'], repo);
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain('created     pipelines/acme/acme.yaml');
      const validate = run('npx', ['--no', 'ledgersync', 'validate', 'pipelines/**/*.{yaml,yml}'], repo);
      expect(validate.code, validate.stdout).toBe(0);
      expect(validate.stderr).toContain('2 file(s) checked, 0 error(s)');
      const test = run('npx', ['--no', 'ledgersync', 'test', 'pipelines/acme/acme.yaml', 'pipelines/acme/acme.cases.yaml'], repo);
      expect(test.code, test.stdout).toBe(0);

      const installed = join(repo, 'node_modules', 'ledgersync', 'schemas');
      expect(schemaOf(join(repo, 'pipelines/acme/acme.yaml'))).toBe(join(installed, 'pipeline.schema.json'));
      expect(schemaOf(join(repo, 'pipelines/acme/acme.cases.yaml'))).toBe(join(installed, 'mapping-cases.schema.json'));
      expect(existsSync(join(installed, 'pipeline.schema.json')) && existsSync(join(installed, 'mapping-cases.schema.json'))).toBe(true);

      // The workflow's steps, as GitHub runs them: bash, from the repository root, with the job's env.
      const job = parse(readFileSync(join(repo, '.github/workflows/ledgersync.yml'), 'utf8')).jobs.check as {
        env: Record<string, string>;
        steps: Array<{ name?: string; run?: string }>;
      };
      const steps = job.steps.filter((s) => s.run !== undefined);
      expect(steps.map((s) => s.name)).toEqual(['Install ledgersync ${{ env.LEDGERSYNC_VERSION }}', 'Validate pipelines and mapping cases', 'Mapping tests']);
      const outputs = steps.map((step) => {
        const result = run('bash', ['-e', '-c', step.run!], repo, job.env);
        expect(result.code, `${step.name}\n${result.stdout}\n${result.stderr}`).toBe(0);
        return result.stdout + result.stderr;
      });
      expect(outputs[1]).toContain('2 file(s) checked, 0 error(s)');
      expect(outputs[2]).toContain('ok   pipelines/acme/acme.cases.yaml:');
      expect(outputs[2]).toContain('1 cases file(s) run');

      // A repository whose lock file pins another ledgersync than the workflow fails the install step, saying so.
      const mismatch = run('bash', ['-e', '-c', steps[0]!.run!], repo, { LEDGERSYNC_VERSION: '0.0.0-other' });
      expect(mismatch.code).toBe(1);
      expect(mismatch.stdout).toContain('but this workflow pins 0.0.0-other');
    } finally {
      work.cleanup();
    }
  }, 180_000);
});
