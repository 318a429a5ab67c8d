import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listQuery } from '../../../connectors/chargebee/source.js';
import type { ConnectorDescriptor } from '../../../engine/connector/descriptor.js';
import type { SourcePage, StreamReadRequest } from '../../../engine/connector/types.js';
import { silentLogger } from '../../../engine/log.js';
import { SEED_FACTS } from '../../fakes/chargebee/index.js';
import { chargebeeSourceFixture } from './source-harness.js';

const descriptor = {
  ...parse(readFileSync(new URL('../../../connectors/chargebee/connector.yaml', import.meta.url), 'utf8')),
  dir: 'connectors/chargebee',
} as ConnectorDescriptor;
const request = (endpoint: string, checkpoint?: unknown): StreamReadRequest => ({ stream: endpoint, endpoint, checkpoint, lookbackSeconds: 60, params: {} });

const chargebee = chargebeeSourceFixture(['plans']);

const ctx = (now: number) => ({ log: silentLogger, signal: new AbortController().signal, now: () => now });

describe('Chargebee Product Catalog 1.0 listings', () => {
  it('plans and addons are listed without sort_by; subscriptions and plans ask for deleted records too', () => {
    for (const endpoint of ['plans', 'addons']) {
      const query = listQuery(descriptor.endpoints![endpoint]!, request(endpoint, { cursor: 1_700_000_000, field: 'updated_at' }));
      expect(query).toEqual({ 'updated_at[after]': 1_700_000_000 - 61, include_deleted: 'true' });
    }
    expect(listQuery(descriptor.endpoints!['subscriptions']!, request('subscriptions'))).toEqual({ 'sort_by[asc]': 'updated_at', include_deleted: 'true' });
  });

  it('a run stopped after the first 100 plans leaves no checkpoint, so the next run misses no plan', async () => {
    let clock = SEED_FACTS.bulkUpdatedAt + 3600;
    const fake = await chargebee.start({ customers: 12, catalogVersion: 'v1', now: () => clock });
    // 150 more plans, each created later but updated earlier than the last: Chargebee's default
    // order (newest created first) is then the reverse of updated_at.
    for (let i = 0; i < 150; i++) {
      clock += 1;
      fake.state.create('plans', {
        id: `bulk-${String(i).padStart(3, '0')}`,
        name: `Bulk ${i}`,
        price: 100,
        currency_code: 'USD',
        period: 1,
        period_unit: 'month',
      });
    }
    const total = fake.state.entries('plans').length;
    expect(total).toBeGreaterThan(150);
    const source = await chargebee.source(fake);
    await source.open?.(ctx(clock), [request('plans')]);

    // Interrupted run: the first page only.
    const firstRun: SourcePage[] = [];
    for await (const page of source.read(request('plans'), ctx(clock))) {
      firstRun.push(page);
      break;
    }
    expect(firstRun[0]!.records).toHaveLength(100);
    expect(firstRun[0]!.checkpoint).toBeUndefined();

    // The next run starts from no checkpoint and reads every plan; only its end carries one.
    const pages: SourcePage[] = [];
    for await (const page of source.read(request('plans'), ctx(clock + 10))) pages.push(page);
    const ids = new Set(pages.flatMap((p) => p.records.map((r) => r.id)));
    expect(ids.size).toBe(total);
    expect(pages.slice(0, -1).every((p) => p.checkpoint === undefined)).toBe(true);
    // The last plan was updated in the second Chargebee's clock read when the listing started: the
    // cursor stops a second before it (this machine's clock, 10 s ahead, is not taken).
    expect(pages.at(-1)!.checkpoint).toEqual({ cursor: clock - 1, field: 'updated_at' });
    expect(fake.requests.filter((r) => r.path.endsWith('/plans')).every((r) => !('sort_by[asc]' in r.query))).toBe(true);
  });

  it('a deleted subscription is read, flagged deleted', async () => {
    const fake = await chargebee.start({ customers: 12 });
    const victim = fake.state.all('subscriptions')[0]!;
    fake.state.delete('subscriptions', victim.id);
    const source = await chargebee.source(fake);
    const records = [];
    for await (const page of source.read(request('subscriptions'), ctx(Date.now() / 1000))) records.push(...page.records);
    expect(records.find((r) => r.id === victim.id)).toMatchObject({ deleted: true });
  });
});
