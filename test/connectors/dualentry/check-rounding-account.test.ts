/**
 * `ledgersync check` verifies `sink.rounding_account`: every 3-decimal-currency journal posts a
 * line to it, so a number DualEntry does not hold is reported at its line in the pipeline, not at
 * the first KWD journal's posting.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { checkPipeline, problemLines } from '../../../engine/run/preflight.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { revrecEnv, revrecPipelineCopy } from './revrec-harness.js';

let chargebee: FakeChargebee;
let ledger: FakeDualEntry;
let dir: string;

beforeAll(async () => {
  chargebee = await startFakeChargebee({ customers: 12, seed: 7 });
  ledger = await startFakeDualEntry();
  dir = mkdtempSync(join(tmpdir(), 'de-check-rounding-'));
});
afterAll(async () => {
  await chargebee.close();
  await ledger.close();
});

/** The pipeline copy, with the example's own ROUNDING lookup value moved off 7990 so only the sink names it. */
function pipelineWithoutRoundingLookup(name: string): string {
  return revrecPipelineCopy(dir, name, (t) => t.replace('      ROUNDING: "7990"\n', '      ROUNDING: "4010"\n'));
}

const check = (pipelinePath: string, env: Record<string, string>) =>
  checkPipeline({ connectors: installedConnectors, pipelinePath, statePath: join(dir, `${Math.random()}.db`), env, log: silentLogger });

describe('ledgersync check on DualEntry: sink.rounding_account', () => {
  it('a rounding account DualEntry does not hold is missing, named at the sink.rounding_account line (exit 2)', async () => {
    const pipelinePath = pipelineWithoutRoundingLookup('missing.yaml');
    expect(ledger.state.accounts.some((a) => String(a.number) === '7999')).toBe(false);
    const report = await check(pipelinePath, { ...revrecEnv(chargebee, ledger), DUALENTRY_ROUNDING_ACCOUNT: '7999' });

    expect(report.sink?.status).toBe('ok');
    const reference = report.references.find((r) => r.value === '7999');
    expect(reference).toMatchObject({ kind: 'Account', status: 'missing' });
    const line =
      readFileSync(pipelinePath, 'utf8')
        .split('\n')
        .findIndex((l) => l.startsWith('  rounding_account:')) + 1;
    expect(reference!.origins).toEqual([expect.objectContaining({ where: 'sink.rounding_account', line })]);
    expect(problemLines(reference!)[0]).toMatch(new RegExp(`missing\\.yaml:${line}: sink\\.rounding_account = "7999": `));
    expect(report.exitCode).toBe(2);
  });

  it('a rounding account DualEntry holds is checked and ok (exit 0)', async () => {
    const report = await check(pipelineWithoutRoundingLookup('ok.yaml'), { ...revrecEnv(chargebee, ledger), DUALENTRY_ROUNDING_ACCOUNT: '7990' });
    expect(report.references.find((r) => r.value === '7990')).toMatchObject({ kind: 'Account', status: 'ok' });
    expect(report.exitCode).toBe(0);
  });

  it('an empty rounding account (none) is not a reference', async () => {
    const report = await check(pipelineWithoutRoundingLookup('none.yaml'), revrecEnv(chargebee, ledger));
    expect(report.references.some((r) => r.origins.some((o) => o.where === 'sink.rounding_account'))).toBe(false);
    expect(report.exitCode).toBe(0);
  });
});
