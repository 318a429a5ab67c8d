/** The durable webhook queue: de-duplication for good, order, retries, recovery after a stop. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';

const dirs: string[] = [];
function tempState(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ls-queue-'));
  dirs.push(dir);
  return join(dir, 'state.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const P = 'queue-test';

describe('webhook queue', () => {
  it('stores an event once, counts later deliveries, and remembers the id after it is done', () => {
    const path = tempState();
    const store = StateStore.open(path);
    expect(store.webhooks.enqueue(P, 'ev_1', 'invoice_generated', 1000)).toBe('queued');
    expect(store.webhooks.enqueue(P, 'ev_1', 'invoice_generated', 1001)).toBe('duplicate');
    store.webhooks.markProcessing(P, ['ev_1'], 'run-1');
    store.webhooks.finish(P, 'ev_1', 'done', { records: [] }, 2000);
    store.close();
    // A new process, much later: still a duplicate.
    const reopened = StateStore.open(path);
    expect(reopened.webhooks.enqueue(P, 'ev_1', undefined, 9_999_999)).toBe('duplicate');
    expect(reopened.webhooks.get(P, 'ev_1')).toMatchObject({ status: 'done', deliveries: 3, attempts: 1, receivedAt: 1000, finishedAt: 2000, runId: 'run-1' });
    expect(reopened.webhooks.due(P, 9_999_999, 10)).toEqual([]);
    // The same id for another pipeline is another event.
    expect(reopened.webhooks.enqueue('other', 'ev_1', undefined, 3000)).toBe('queued');
    reopened.close();
  });

  it('hands out due events oldest first, holds back those waiting for a retry, and recovers interrupted ones', () => {
    const store = StateStore.open(tempState());
    store.webhooks.enqueue(P, 'ev_b', undefined, 2000);
    store.webhooks.enqueue(P, 'ev_a', undefined, 1000);
    store.webhooks.enqueue(P, 'ev_c', undefined, 3000);
    expect(store.webhooks.due(P, 2500, 10).map((e) => e.eventId)).toEqual(['ev_a', 'ev_b']);
    expect(store.webhooks.due(P, 5000, 2).map((e) => e.eventId)).toEqual(['ev_a', 'ev_b']);
    store.webhooks.markProcessing(P, ['ev_a', 'ev_b'], 'run-1');
    store.webhooks.retryLater(P, 'ev_a', 'run-1', { code: 'connection_failed', message: 'down' }, 60_000);
    // A drain that no longer holds an event (its lease lost, another run took it over) puts nothing back.
    store.webhooks.retryLater(P, 'ev_b', 'run-0', { code: 'run_lease_lost', message: 'late' }, 60_000);
    expect(store.webhooks.get(P, 'ev_b')!.status).toBe('processing');
    expect(store.webhooks.due(P, 5000, 10).map((e) => e.eventId)).toEqual(['ev_c']);
    expect(store.webhooks.nextAttemptAt(P)).toBe(3000);
    expect(store.webhooks.counts(P)).toEqual({ queued: 2, processing: 1, done: 0, dropped: 0, retrying: 1 });
    expect(store.webhooks.recover(P)).toBe(1);
    expect(store.webhooks.due(P, 60_000, 10).map((e) => [e.eventId, e.attempts])).toEqual([
      ['ev_a', 1],
      ['ev_b', 1],
      ['ev_c', 0],
    ]);
    expect(store.webhooks.get(P, 'ev_a')!.error).toEqual({ code: 'connection_failed', message: 'down' });
    store.close();
  });
});
