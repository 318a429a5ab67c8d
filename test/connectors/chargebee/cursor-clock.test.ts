import { describe, expect, it } from 'vitest';
import type { SourceRecord, StreamReadRequest } from '../../../engine/connector/types.js';
import { silentLogger } from '../../../engine/log.js';
import { chargebeeSourceFixture } from './source-harness.js';

const chargebee = chargebeeSourceFixture(['credit_notes']);

describe("an unsorted stream's final cursor and this machine's clock", () => {
  it("is capped by Chargebee's clock when this machine's runs ahead: a record updated mid-listing is read next time", async () => {
    const fake = await chargebee.start({ customers: 12 });
    const template = fake.state.all('credit_notes')[0]!;
    const t = Math.max(...fake.state.all('credit_notes').map((n) => n['updated_at'] as number)) + 1000;
    fake.state.setClock(t - 500);
    for (let i = 0; i < 120; i++) fake.state.create('credit_notes', { ...template, id: `CN-clock-${i}`, date: (template['date'] as number) + i + 1 } as never);
    fake.state.setClock(t);
    const notes = fake.state.all('credit_notes').sort((a, b) => (a['date'] as number) - (b['date'] as number));
    expect(notes.length).toBeGreaterThan(100); // two pages at Chargebee's 100 a page
    const first = notes[0]!.id; // listed on the first page (by date, ascending)
    const last = notes.at(-1)!.id; // listed on the last page

    // Between the first and the second page: the first page's note changes at t+100, the last page's at t+400.
    const push = fake.requests.push.bind(fake.requests);
    let changed = false;
    fake.requests.push = (...entries) => {
      if (!changed && entries.some((e) => e.path.endsWith('/credit_notes') && e.query['offset'] !== undefined)) {
        changed = true;
        fake.state.setClock(t + 100);
        fake.state.touch('credit_notes', first, { customer_notes: 'edited mid-listing' } as never);
        fake.state.setClock(t + 400);
        fake.state.touch('credit_notes', last, { customer_notes: 'edited mid-listing' } as never);
      }
      return push(...entries);
    };

    const source = await chargebee.source(fake);
    // This machine's clock runs ten minutes ahead of Chargebee's.
    const ctx = { log: silentLogger, signal: new AbortController().signal, now: () => t + 600 };
    const request = (checkpoint: unknown): StreamReadRequest => ({
      stream: 'credit_notes',
      endpoint: 'credit_notes',
      checkpoint,
      lookbackSeconds: 120,
      params: {},
    });
    await source.open?.(ctx, [request(undefined)]);
    let checkpoint: unknown;
    for await (const page of source.read(request(undefined), ctx)) if (page.checkpoint !== undefined) checkpoint = page.checkpoint;
    expect(changed).toBe(true);
    expect((checkpoint as { cursor: number }).cursor).toBeLessThan(t);

    fake.state.setClock(t + 700);
    const next: SourceRecord[] = [];
    for await (const page of source.read(request(checkpoint), ctx)) next.push(...page.records);
    expect(next.find((r) => r.id === first)?.data['customer_notes']).toBe('edited mid-listing');
  });
});
