/**
 * `npm start -- <target>` needs no credentials and no network, whatever the user has exported for
 * their own company: a `${VAR}` of the example pipeline is the sandbox's or unset, never the user's.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';
import { pipelineVariables, isolatedPipelineEnv } from '../../app/pipeline-env.js';

const sandbox = join(ROOT, 'dist/app/sandbox.js');

function runSandbox(args: string[], extraEnv: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [sandbox, ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function exampleVariables(file: string): Set<string> {
  const path = join(ROOT, 'pipelines/examples', file);
  return pipelineVariables(readFileSync(path, 'utf8'), path);
}

describe('the sandbox run environment', () => {
  it("takes the pipeline's variables from its `${VAR}` references, optional ones included", () => {
    const metrics = exampleVariables('chargebee-to-metrics.yaml');
    for (const name of ['CHARGEBEE_SITE', 'CHARGEBEE_BASE_URL', 'METRICS_DB_PATH', 'METRICS_DATABASE_URL', 'METRICS_DATABASE_SCHEMA'])
      expect(metrics).toContain(name);
    expect(exampleVariables('chargebee-to-intacct.yaml')).toContain('INTACCT_ENTITY_ID');
    expect(exampleVariables('chargebee-to-acumatica.yaml')).toContain('ACUMATICA_ENDPOINT_VERSION');
  });

  it('drops the user’s value of every variable the pipeline reads, keeps what the process needs, and the sandbox’s values win', () => {
    const user = {
      PATH: '/usr/bin',
      HOME: '/home/consultant',
      TMPDIR: '/tmp',
      LEDGERSYNC_LOG_LEVEL: 'debug',
      LEDGERSYNC_SECRET_KEY: 'the-users-own-secret-key-0123456789',
      METRICS_DATABASE_URL: 'postgres://reporting:secret@db.example.com/production_metrics',
      METRICS_DATABASE_SCHEMA: 'finance',
      METRICS_DB_PATH: '/home/consultant/real.db',
      CHARGEBEE_SITE: 'the-users-live-site',
    };
    const env = isolatedPipelineEnv(user, exampleVariables('chargebee-to-metrics.yaml'), {
      CHARGEBEE_SITE: 'acme-test',
      METRICS_DB_PATH: '/tmp/sandbox/metrics.db',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/consultant',
      TMPDIR: '/tmp',
      LEDGERSYNC_LOG_LEVEL: 'debug',
      LEDGERSYNC_SECRET_KEY: 'the-users-own-secret-key-0123456789',
      CHARGEBEE_SITE: 'acme-test',
      METRICS_DB_PATH: '/tmp/sandbox/metrics.db',
    });
  });
});

describe.skipIf(!existsSync(sandbox))("npm start ignores the user's vendor variables", () => {
  it('metrics with METRICS_DATABASE_URL and METRICS_DATABASE_SCHEMA exported syncs into its SQLite file and prints the report', async () => {
    const run = await runSandbox(['metrics'], {
      METRICS_DATABASE_URL: 'postgres://reporting:secret@127.0.0.1:9/production_metrics',
      METRICS_DATABASE_SCHEMA: 'finance',
    });
    expect(run.code, run.stderr + run.stdout.slice(-2000)).toBe(0);
    expect(run.stdout).toMatch(/first run: success \(exit 0\)/);
    expect(run.stdout).toMatch(/^MRR in USD at each month end$/m);
    expect(run.stdout + run.stderr).not.toMatch(/production_metrics|PostgreSQL/);
  }, 180_000);

  it('intacct with INTACCT_ENTITY_ID exported syncs into the fake company', async () => {
    const run = await runSandbox(['intacct'], { INTACCT_ENTITY_ID: 'E100' });
    expect(run.code, run.stderr + run.stdout.slice(-2000)).toBe(0);
    expect(run.stdout).toMatch(/first run: success \(exit 0\)/);
  }, 180_000);

  it('acumatica with ACUMATICA_ENDPOINT_VERSION exported syncs into the fake tenant', async () => {
    const run = await runSandbox(['acumatica'], { ACUMATICA_ENDPOINT_VERSION: '23.200.001' });
    expect(run.code, run.stderr + run.stdout.slice(-2000)).toBe(0);
    expect(run.stdout).toMatch(/first run: success \(exit 0\)/);
  }, 180_000);
});

describe.skipIf(!existsSync(sandbox))('npm start -- metrics after a failed run', () => {
  it('skips the report and ends with the error, its fix and the documented exit code, not a stack trace', async () => {
    // An engine switch the sandbox keeps from the process (it is no `${VAR}` of the pipeline), set wrong.
    const run = await runSandbox(['metrics'], { LEDGERSYNC_JSONATA: 'bogus' });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^error: .*LEDGERSYNC_JSONATA must be 'compiled' \(the default\) or 'interpreter'/m);
    expect(run.stdout).toMatch(/the report is skipped: the run did not succeed/);
    expect(run.stderr).not.toMatch(/sandbox failed|\n\s+at /);
  }, 180_000);
});
