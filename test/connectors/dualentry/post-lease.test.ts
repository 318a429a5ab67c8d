/**
 * `ledgersync post` (DualEntry) whose lock `unlock --force` released mid-way: its next journal does
 * not go out (run_lease_lost, exit 3), and a repost the operator starts meanwhile makes the one
 * reversal and the one correction, not two. Every write a sink makes on its own checks the lease,
 * as the writer's batches do.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { postRig, REVREC_PIPELINE_NAME } from './revrec-harness.js';

const NAME = REVREC_PIPELINE_NAME;
let chargebee: FakeChargebee;
const dir = mkdtempSync(join(tmpdir(), 'ledgersync-post-lease-'));
beforeAll(async () => {
  chargebee = await startFakeChargebee({ customers: 12, seed: 7 });
});
afterAll(async () => {
  await chargebee.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ledgersync post when its lock is released by hand', () => {
  it('unlock --force during a repost: the post stops before its next journal (run_lease_lost, exit 3), nothing doubled', async () => {
    const r = await postRig(chargebee, dir, 'unlock');
    try {
      expect((await r.run()).exitCode).toBe(0);
      const month = r.ledger.state.entries.find((e) => e.items.some((i) => i.account_number === 4000))!.date.slice(0, 7);
      const remapped = join(dir, 'unlock-remapped.yaml');
      writeFileSync(remapped, readFileSync(r.pipeline, 'utf8').replace('      SAAS: "4000"\n', '      SAAS: "4020"\n'));
      r.proxy.inject({ method: 'POST', path: /journal-entries/, fault: { kind: 'trickle', pieces: 10, delayMs: 300 } });
      const postsBefore = r.ledger.state.requests.filter((q) => q.method === 'POST').length;
      const posting = r.post(month, true, remapped);
      const t0 = Date.now();
      while (r.ledger.state.requests.filter((q) => q.method === 'POST').length === postsBefore && Date.now() - t0 < 20_000)
        await new Promise((res) => setTimeout(res, 20));
      const state = StateStore.open(r.statePath);
      const holder = state.lockHolder(NAME)!;
      expect(state.releaseLock(NAME, holder.runId, 'unlocked')).toBe(true);
      state.close();
      const postsAtUnlock = r.ledger.state.requests.filter((q) => q.method === 'POST').length;
      const done = await posting;
      const postsAfter = r.ledger.state.requests.filter((q) => q.method === 'POST').length;
      expect(done.error?.code).toBe('run_lease_lost');
      expect(done.exitCode).toBe(3);
      expect(postsAfter - postsAtUnlock).toBe(0);
    } finally {
      await r.close();
    }
  });

  it('unlock --force during a repost, then the operator reposts again while the first still runs: one reversal, one correction', async () => {
    const r = await postRig(chargebee, dir, 'unlock2');
    try {
      expect((await r.run()).exitCode).toBe(0);
      const month = r.ledger.state.entries.find((e) => e.items.some((i) => i.account_number === 4000))!.date.slice(0, 7);
      const before = r.ledger.state.entries.filter((e) => e.date.startsWith(month)).length;
      const remapped = join(dir, 'unlock2-remapped.yaml');
      writeFileSync(remapped, readFileSync(r.pipeline, 'utf8').replace('      SAAS: "4000"\n', '      SAAS: "4020"\n'));
      r.proxy.inject({ method: 'POST', path: /journal-entries/, fault: { kind: 'trickle', pieces: 10, delayMs: 300 } });
      const postsBefore = r.ledger.state.requests.filter((q) => q.method === 'POST').length;
      const a = r.post(month, true, remapped);
      const t0 = Date.now();
      while (r.ledger.state.requests.filter((q) => q.method === 'POST').length === postsBefore && Date.now() - t0 < 20_000)
        await new Promise((res) => setTimeout(res, 20));
      const state = StateStore.open(r.statePath);
      expect(state.releaseLock(NAME, state.lockHolder(NAME)!.runId, 'unlocked')).toBe(true);
      state.close();
      const again = await r.post(month, true, remapped);
      expect(again.exitCode).toBe(0);
      const doneA = await a;
      expect(doneA.error?.code).toBe('run_lease_lost');
      const entries = r.ledger.state.entries.filter((e) => e.date.startsWith(month));
      const currencies = new Set(entries.slice(0, before).map((e) => e.currency_iso_4217_code)).size;
      expect(entries.length).toBe(before + 2 * currencies);
    } finally {
      await r.close();
    }
  });
});
