import { describe, expect, it } from 'vitest';
import { joinPages, readAhead } from '../../../engine/run/page-flow.js';
import type { SourcePage } from '../../../engine/connector/types.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

/** A source of `count` numbered pages that remembers how far it was asked and whether it was closed. */
function countingSource(count: number, failAt?: number) {
  const seen = { requested: 0, closed: false };
  async function* pages(): AsyncGenerator<number> {
    try {
      for (let i = 1; i <= count; i++) {
        seen.requested = i;
        await tick();
        if (i === failAt) throw new Error(`page ${i} failed`);
        yield i;
      }
    } finally {
      seen.closed = true;
    }
  }
  return { pages: pages(), seen };
}

describe('readAhead', () => {
  it('yields every page in order', async () => {
    const { pages } = countingSource(20);
    expect(await collect(readAhead(pages, 3))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('reads up to its depth ahead of a consumer that is busy, and no further', async () => {
    const { pages, seen } = countingSource(20);
    const ahead = readAhead(pages, 4);
    expect((await ahead.next()).value).toBe(1);
    await new Promise((r) => setTimeout(r, 120));
    // Page 1 handed out, 4 buffered, the 6th requested only once there is room.
    expect(seen.requested).toBe(5);
    await ahead.return(undefined);
  });

  it('hands out the pages read before a failure, then the failure', async () => {
    const { pages } = countingSource(10, 4);
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const page of readAhead(pages, 8)) got.push(page);
      })(),
    ).rejects.toThrow('page 4 failed');
    expect(got).toEqual([1, 2, 3]);
  });

  it('a consumer that stops early closes the source once its request in flight is done, and a later failure is no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { pages, seen } = countingSource(10, 3);
      for await (const page of readAhead(pages, 1)) if (page === 1) break;
      await new Promise((r) => setTimeout(r, 60));
      expect(seen.closed).toBe(true);
      expect(seen.requested).toBeLessThanOrEqual(3);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

const page = (ids: string[], checkpoint?: unknown, number = 0): SourcePage => ({
  records: ids.map((id) => ({ id, deleted: false, data: { id } })),
  ...(checkpoint !== undefined ? { checkpoint } : {}),
  progress: { page: number },
});

async function* of(...pages: SourcePage[]): AsyncGenerator<SourcePage> {
  yield* pages;
}

const ids = (p: SourcePage) => p.records.map((r) => r.id);

describe('joinPages', () => {
  it('joins small pages into writes of the batch size, each with the last checkpoint of its pages', async () => {
    const joined = await collect(joinPages(of(page(['a', 'b'], 1, 1), page(['c', 'd'], 2, 2), page(['e'], 3, 3)), 4));
    expect(joined.map(ids)).toEqual([['a', 'b', 'c', 'd'], ['e']]);
    expect(joined.map((p) => p.checkpoint)).toEqual([2, 3]);
    expect(joined.map((p) => p.progress?.page)).toEqual([2, 3]);
  });

  it('keeps a checkpoint of an earlier page when a later one in the same write has none', async () => {
    const [joined] = await collect(joinPages(of(page(['a'], 'after-a'), page(['b'])), 10));
    expect(joined).toMatchObject({ checkpoint: 'after-a' });
    expect(ids(joined!)).toEqual(['a', 'b']);
  });

  it('starts a new write when a page holds a record already waiting, so the later version is written after the earlier', async () => {
    const joined = await collect(joinPages(of(page(['a', 'b'], 1), page(['c', 'a'], 2), page(['d'], 3)), 10));
    expect(joined.map(ids)).toEqual([
      ['a', 'b'],
      ['c', 'a', 'd'],
    ]);
    expect(joined.map((p) => p.checkpoint)).toEqual([1, 3]);
  });

  it('passes a page that fills a write alone as it is, after what was waiting', async () => {
    const big = page(['x', 'y', 'z'], 9);
    const joined = await collect(joinPages(of(page([], 'empty'), big), 3));
    expect(joined[0]).toMatchObject({ records: [], checkpoint: 'empty' });
    expect(joined[1]).toBe(big);
  });

  it('an empty last page that only carries the checkpoint (unsorted listings) is not lost', async () => {
    const joined = await collect(joinPages(of(page(['a']), page(['b']), page([], 'final')), 10));
    expect(joined).toHaveLength(1);
    expect(joined[0]).toMatchObject({ checkpoint: 'final' });
    expect(ids(joined[0]!)).toEqual(['a', 'b']);
  });
});
