import { describe, expect, it } from 'vitest';
import type { Source, SourceRecord, StreamReadRequest } from '../../../engine/connector/types.js';
import { silentLogger } from '../../../engine/log.js';
import type { FakeChargebee } from '../../fakes/chargebee/index.js';
import { chargebeeSourceFixture } from './source-harness.js';

const request = (endpoint: string): StreamReadRequest => ({ stream: endpoint, endpoint, checkpoint: undefined, lookbackSeconds: 60, params: {} });
const ctx = { log: silentLogger, signal: new AbortController().signal, now: () => Date.now() / 1000 };

const chargebee = chargebeeSourceFixture(['invoices', 'credit_notes']);

/** An invoice (or credit note) of the seeded site given `count` line items. */
function withLines(f: FakeChargebee, resource: 'invoices' | 'credit_notes', count: number): { id: string; lines: unknown[] } {
  const document = f.state.all(resource).find((d) => Array.isArray(d['line_items']) && (d['line_items'] as unknown[]).length > 0)!;
  const template = (document['line_items'] as unknown as Array<Record<string, unknown>>)[0]!;
  const lines = Array.from({ length: count }, (_, i) => ({ ...template, id: `li_many_${i}` }));
  f.state.touch(resource, document.id, { line_items: lines } as never);
  return { id: document.id, lines };
}

async function readAll(source: Source, endpoint: string): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  for await (const page of source.read(request(endpoint), ctx)) records.push(...page.records);
  return records;
}

describe('Chargebee line items beyond one answer', () => {
  it('the fake answers a window of the lines with line_items_next_offset, and serves the rest by retrieve', async () => {
    const fake = await chargebee.start({ customers: 12, lineItemsPerAnswer: 2 });
    const { id } = withLines(fake, 'invoices', 5);
    const auth = { authorization: `Basic ${Buffer.from(`${fake.apiKey}:`).toString('base64')}` };
    const listed = (await (await fetch(`${fake.url}/invoices?limit=100&id[in]=${encodeURIComponent(JSON.stringify([id]))}`, { headers: auth })).json()) as {
      list: Array<{ invoice: Record<string, unknown> }>;
    };
    const invoice = listed.list[0]!.invoice;
    expect((invoice['line_items'] as unknown[]).length).toBe(2);
    expect(typeof invoice['line_items_next_offset']).toBe('string');
    const rest = (await (
      await fetch(`${fake.url}/invoices/${id}?line_items_limit=300&line_items_offset=${invoice['line_items_next_offset']}`, { headers: auth })
    ).json()) as { invoice: Record<string, unknown> };
    expect((rest.invoice['line_items'] as Array<{ id: string }>).map((l) => l.id)).toEqual(['li_many_2', 'li_many_3', 'li_many_4']);
    expect(rest.invoice['line_items_next_offset']).toBeUndefined();
    const refused = await fetch(`${fake.url}/invoices/${id}?line_items_limit=301`, { headers: auth });
    expect(refused.status).toBe(400);
  });

  it('a listing gives every line of a long invoice and credit note, read through their retrieve calls', async () => {
    const fake = await chargebee.start({ customers: 12, lineItemsPerAnswer: 3 });
    const invoice = withLines(fake, 'invoices', 8);
    const note = withLines(fake, 'credit_notes', 4);
    const source = await chargebee.source(fake);
    await source.open?.(ctx, [request('invoices'), request('credit_notes')]);

    const invoices = await readAll(source, 'invoices');
    const long = invoices.find((r) => r.id === invoice.id)!;
    expect((long.data['line_items'] as Array<{ id: string }>).map((l) => l.id)).toEqual(invoice.lines.map((l) => (l as { id: string }).id));
    expect(long.data['line_items_next_offset']).toBeUndefined();
    expect(invoices.every((r) => r.data['line_items_next_offset'] === undefined)).toBe(true);
    const notes = await readAll(source, 'credit_notes');
    expect((notes.find((r) => r.id === note.id)!.data['line_items'] as unknown[]).length).toBe(4);

    // The rest came in windows of the largest size Chargebee takes, 300, from the offset given.
    const retrieves = fake.requests.filter((r) => r.path.endsWith(`/invoices/${invoice.id}`));
    expect(retrieves).toHaveLength(1);
    expect(retrieves[0]!.query).toMatchObject({ line_items_limit: '300', line_items_offset: expect.any(String) });
  });

  it('a deleted long document is passed on as listed: Chargebee no longer retrieves it (404), and the run goes on', async () => {
    const fake = await chargebee.start({ customers: 12, lineItemsPerAnswer: 3 });
    const invoice = withLines(fake, 'invoices', 8);
    fake.state.delete('invoices', invoice.id);
    const source = await chargebee.source(fake);
    await source.open?.(ctx, [request('invoices')]);
    const gone = (await readAll(source, 'invoices')).find((r) => r.id === invoice.id)!;
    expect(gone.deleted).toBe(true);
    expect(fake.requests.filter((r) => r.path.endsWith(`/invoices/${invoice.id}`))).toEqual([]);
  });

  /** Runs `change` once, just before the fake handles the first retrieve of `id`. */
  function beforeRetrieveOf(fake: FakeChargebee, id: string, change: () => void): void {
    const log = fake.requests;
    const push = log.push.bind(log);
    let done = false;
    // The fake logs each request before it takes effect: a change made here lands between the listing and the retrieve.
    log.push = (...entries) => {
      if (!done && entries.some((e) => e.path.endsWith(`/invoices/${id}`))) {
        done = true;
        change();
      }
      return push(...entries);
    };
  }

  it('a document deleted between its listing and the retrieve of its lines becomes a deletion', async () => {
    const fake = await chargebee.start({ customers: 12, lineItemsPerAnswer: 3 });
    const invoice = withLines(fake, 'invoices', 8);
    beforeRetrieveOf(fake, invoice.id, () => fake.state.delete('invoices', invoice.id));
    const source = await chargebee.source(fake);
    await source.open?.(ctx, [request('invoices')]);
    const gone = (await readAll(source, 'invoices')).find((r) => r.id === invoice.id)!;
    expect([gone.deleted, gone.data['deleted']]).toEqual([true, true]);
  });

  it('a document changed between its listing and the retrieve of its lines is read again whole, at its new version', async () => {
    const fake = await chargebee.start({ customers: 12, lineItemsPerAnswer: 3 });
    const invoice = withLines(fake, 'invoices', 8);
    const newer = Array.from({ length: 5 }, (_, i) => ({ ...(invoice.lines[0] as object), id: `li_new_${i}` }));
    beforeRetrieveOf(fake, invoice.id, () => fake.state.touch('invoices', invoice.id, { line_items: newer } as never));
    const source = await chargebee.source(fake);
    await source.open?.(ctx, [request('invoices')]);
    const read = (await readAll(source, 'invoices')).find((r) => r.id === invoice.id)!;
    const current = fake.state.get('invoices', invoice.id)!;
    expect((read.data['line_items'] as Array<{ id: string }>).map((l) => l.id)).toEqual(newer.map((l) => l.id));
    expect([read.version, read.data['resource_version'], read.data['updated_at']]).toEqual([
      String(current['resource_version']),
      current['resource_version'],
      current['updated_at'],
    ]);
    expect(read.data['line_items_next_offset']).toBeUndefined();
  });

  it('records fetched by id (a webhook) are completed the same way', async () => {
    const fake = await chargebee.start({ customers: 12, lineItemsPerAnswer: 2 });
    const invoice = withLines(fake, 'invoices', 7);
    const source = await chargebee.source(fake);
    await source.open?.(ctx, [request('invoices')]);
    const [fetched] = await source.fetch!(request('invoices'), [invoice.id], ctx);
    expect((fetched!.data['line_items'] as unknown[]).length).toBe(7);
    expect(fetched!.data['line_items_next_offset']).toBeUndefined();
  });
});
