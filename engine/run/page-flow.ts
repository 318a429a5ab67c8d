/**
 * How a stream's pages travel from the source to the writer: the next page is requested while the
 * writer works on the current one, and small pages are joined into one write of up to the sink's
 * batch size, so the state's commits (each waiting for the disk) are paid per write, not per page.
 */
import type { SourcePage } from '../connector/types.js';

/**
 * Yields what `pages` yields, reading up to `depth` pages ahead of the consumer: the source's
 * requests go on while the writer maps and commits, so neither waits for the other. A consumer that
 * stops early leaves at most one request in flight, whose result (or failure) is dropped; the run's
 * signal, aborted when the run ends, stops whatever wait it is in.
 */
export async function* readAhead<T>(pages: AsyncIterable<T>, depth = 1): AsyncGenerator<T> {
  const iterator = pages[Symbol.asyncIterator]();
  const buffered: T[] = [];
  let ended = false;
  let exhausted = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const signalConsumer = () => {
    wake?.();
    wake = undefined;
  };
  let resume: (() => void) | undefined;
  const pump = (async () => {
    try {
      while (!stopped) {
        if (buffered.length >= depth) {
          await new Promise<void>((r) => (resume = r));
          continue;
        }
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        buffered.push(next.value);
        signalConsumer();
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      signalConsumer();
    }
  })();
  try {
    for (;;) {
      if (buffered.length) {
        const page = buffered.shift()!;
        resume?.();
        resume = undefined;
        yield page;
        continue;
      }
      if (failure) throw failure.error;
      if (ended) return;
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    stopped = true;
    resume?.();
    // Not awaited: a request in flight finishes (or is aborted with the run) on its own.
    void pump.then(() => (failure || exhausted ? undefined : iterator.return?.())).catch(() => undefined);
  }
}

/**
 * Joins consecutive pages into writes of at least `size` records (the last may be smaller), each
 * carrying the last checkpoint of the pages it holds: a checkpoint valid after page n stays valid
 * once the pages after it are written too. A page that holds a record id already in the pending
 * write starts a new one, so two versions of a record are never in one write (the writer keeps the
 * first of a page's duplicates; across pages the later version must win, and does, in the later write).
 */
export async function* joinPages(pages: AsyncIterable<SourcePage>, size: number): AsyncGenerator<SourcePage> {
  let records: SourcePage['records'] = [];
  let ids = new Set<string>();
  let checkpoint: unknown;
  let progress: SourcePage['progress'];
  const take = (): SourcePage => {
    const joined: SourcePage = { records, ...(checkpoint !== undefined ? { checkpoint } : {}), ...(progress ? { progress } : {}) };
    records = [];
    ids = new Set();
    checkpoint = undefined;
    progress = undefined;
    return joined;
  };
  for await (const page of pages) {
    if (records.length && page.records.some((r) => ids.has(r.id))) yield take();
    if (!records.length && page.records.length >= size) {
      // A page that fills a write alone passes through untouched.
      if (checkpoint !== undefined || progress) yield take();
      yield page;
      continue;
    }
    for (const record of page.records) {
      records.push(record);
      ids.add(record.id);
    }
    if (page.checkpoint !== undefined) checkpoint = page.checkpoint;
    if (page.progress) progress = page.progress;
    if (records.length >= size) yield take();
  }
  if (records.length || checkpoint !== undefined) yield take();
}
