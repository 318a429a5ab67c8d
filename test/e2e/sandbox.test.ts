import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const sandbox = join(ROOT, 'dist/app/sandbox.js');

describe.skipIf(!existsSync(sandbox))('npm start (the sandbox main job)', () => {
  it('syncs Chargebee into QuickBooks Online by default, prints what landed, and the idle second run writes nothing', () => {
    const run = spawnSync(process.execPath, [sandbox], { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: { PATH: process.env['PATH'] } });
    expect(run.status, run.stderr + run.stdout.slice(-2000)).toBe(0);
    expect(run.stdout).toMatch(/first run: success \(exit 0\); what landed in QuickBooks Online/);
    expect(run.stdout).toMatch(/^\s+invoices\s+\d+\s+[1-9]\d*\s/m);
    expect(run.stdout).toMatch(/second run, nothing changed in Chargebee: success, 0 records written/);
    // Its site fits one minute of Intuit's limits: the demo does not sit out a rate-limit window.
    expect(run.stdout).not.toMatch(/waiting \d+ s/);
    // Nothing is left behind in the temporary folder.
    const work = /^sandbox: work folder (\S+) \(removed at the end/m.exec(run.stdout)?.[1];
    expect(work).toBeDefined();
    expect(existsSync(work!)).toBe(false);
  }, 200_000);

  it('npm start -- acumatica syncs into the fake Acumatica tenant, signs out, and the idle second run writes nothing', () => {
    const run = spawnSync(process.execPath, [sandbox, 'acumatica'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: { PATH: process.env['PATH'] } });
    expect(run.status, run.stderr + run.stdout.slice(-2000)).toBe(0);
    expect(run.stdout).toMatch(/first run: success \(exit 0\); what landed in Acumatica/);
    expect(run.stdout).toMatch(/^\s+payments\s+\d+\s+[1-9]\d*\s/m);
    expect(run.stdout).toMatch(/API seats still held: 0/);
    expect(run.stdout).toMatch(/second run, nothing changed in Chargebee: success, 0 records written/);
  }, 200_000);
});

describe.skipIf(!existsSync(sandbox))('npm start -- metrics', () => {
  it('syncs Chargebee into a SQLite metrics database twice, then prints the MRR report', () => {
    const run = spawnSync(process.execPath, [sandbox, 'metrics'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: { PATH: process.env['PATH'] } });
    expect(run.status, run.stderr + run.stdout.slice(-2000)).toBe(0);
    expect(run.stdout).toMatch(/first run: success \(exit 0\); what landed in a SQLite metrics database/);
    expect(run.stdout).toMatch(/second run, nothing changed in Chargebee: success, 0 records written/);
    expect(run.stdout).toMatch(/^MRR in USD at each month end$/m);
    expect(run.stdout).toMatch(/^2024-06 +[\d,]+\.\d\d +\d+ /m);
  }, 200_000);
});
