/**
 * A release whose answer is lost (a gateway's 503, a reset) may or may not have happened: the sink
 * looks the document up and releases it again only while its status is still unreleased, so the
 * run goes on, exits 0, and no document is released twice, even when every other release's answer
 * is lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import type { Fault, FaultProxy } from '../../support/fault-proxy.js';
import { behindFaultProxy, startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox;
let proxy: FaultProxy;
afterEach(async () => {
  await proxy.close();
  await s.close();
});

async function behindProxy(): Promise<void> {
  s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
  proxy = await behindFaultProxy(s);
}

const releasesPerInvoice = () => {
  const count = new Map<string, number>();
  for (const w of s.acu.state.writes) if (w.operation === 'action' && w.action === 'ReleaseInvoice') count.set(w.id, (count.get(w.id) ?? 0) + 1);
  return count;
};

describe('Acumatica: a release whose answer is lost', () => {
  it.each<[string, string, Fault]>([
    ['it never reached Acumatica (503 before forwarding)', 'releases it again', { kind: 'status', status: 503, forward: false }],
    ['it did reach Acumatica (reset after forwarding)', 'finds it released', { kind: 'reset-after' }],
    ['it did reach Acumatica (502 after forwarding)', 'finds it released', { kind: 'status', status: 502 }],
  ])('%s: the run %s, exits 0, and every invoice is released exactly once', async (_, _outcome, fault) => {
    await behindProxy();
    proxy.inject({ method: 'POST', path: /\/Invoice\/ReleaseInvoice$/, skip: 1, every: 2, times: Infinity, fault });
    const run = await s.run();
    expect(proxy.injected).toBeGreaterThan(2);
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    const releases = releasesPerInvoice();
    expect(releases.size).toBeGreaterThan(1);
    expect(
      [...releases.values()].every((n) => n === 1),
      JSON.stringify([...releases]),
    ).toBe(true);
    const unreleased = s.acu.state.records('Invoice').filter((d) => releases.has(String(d['id'])) && d['Status'] === 'Balanced');
    expect(unreleased).toEqual([]);
    // The next run finds nothing to do.
    proxy.clear();
    const again = await s.run();
    expect(again.exitCode).toBe(0);
    expect(releasesPerInvoice()).toEqual(releases);
  });
});

/**
 * A started release whose status poll is answered by a gateway (502, 503, 429) or cut: the release
 * may have completed, so the document is looked up. Before this, the gateway's answer was read as
 * the release failing (`acumatica_action_failed` quoting nginx's HTML page): a released document
 * dead-lettered, exit 1. Only Acumatica's own failure answer fails the release.
 */
describe('Acumatica: a release whose status poll answer is lost', () => {
  const lettersOf = () => {
    const store = StateStore.open(s.statePath);
    try {
      return store.deadLetters('chargebee-to-acumatica', 'invoices');
    } finally {
      store.close();
    }
  };

  it.each<[string, Fault]>([
    ['502 after forwarding', { kind: 'status', status: 502 }],
    ['503 before forwarding', { kind: 'status', status: 503, forward: false }],
    ['a gateway’s 429', { kind: 'status', status: 429 }],
    ['reset after forwarding', { kind: 'reset-after' }],
  ])('%s: the document is looked up and counted released; no dead letter, exit 0, released once', async (_, fault) => {
    await behindProxy();
    proxy.inject({ method: 'GET', path: /\/Invoice\/ReleaseInvoice\/status\//, skip: 1, every: 3, times: Infinity, fault });
    const run = await s.run();
    expect(proxy.injected).toBeGreaterThan(1);
    expect(lettersOf().map((l) => [l.sourceId, l.errorCode, l.message])).toEqual([]);
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    const releases = releasesPerInvoice();
    expect(
      [...releases.values()].every((n) => n === 1),
      JSON.stringify([...releases]),
    ).toBe(true);
    expect(s.acu.state.records('Invoice').filter((d) => releases.has(String(d['id'])) && d['Status'] === 'Balanced')).toEqual([]);
  });

  it('Acumatica’s own failure on the poll is the release failing: a dead letter with its message, the document unreleased', async () => {
    await behindProxy();
    s.acu.faults.failNextAction('The period 032026 is closed in General Ledger.');
    const run = await s.run();
    const failed = lettersOf().filter((l) => l.errorCode === 'acumatica_action_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.message).toMatch(/ReleaseInvoice failed: The period 032026 is closed in General Ledger\.$/);
    expect(run.exitCode).toBe(1);
  });
});
