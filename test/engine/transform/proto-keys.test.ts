/**
 * Keys such as `__proto__` and `constructor` in source data are data: the engine keeps them through
 * JSON parsing, null normalisation, the mapping (compiled and interpreted), the content hash and the
 * sink, where an assignment would have replaced an object's prototype and silently dropped them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { contentHash } from '../../../engine/transform/hash.js';
import { withoutNullProperties } from '../../../engine/transform/normalize.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { chargebeeEnv, readJsonl, tempDir } from '../../e2e/helpers.js';

const PIPELINE = `version: 1
name: proto-keys
source:
  connector: chargebee
  site: \${CHARGEBEE_SITE}
  api_key: \${CHARGEBEE_API_KEY}
  base_url: \${CHARGEBEE_BASE_URL:-}
sink:
  connector: jsonl
  dir: \${LEDGERSYNC_OUT}
streams:
  - name: customers
    endpoint: customers
    filter: "$substring(id, 0, 6) = 'proto_'"
    target: { object: customers_raw, key: id }
    mapping:
      expression: $
  - name: customer_fields
    endpoint: customers
    filter: "$substring(id, 0, 6) = 'proto_'"
    target: { object: customers_fields, key: id }
    mapping:
      fields:
        id: id
        meta: meta_data
        proto: meta_data.__proto__
`;

/** What a vendor's JSON may hold: parsed, so `__proto__` is an own key, not a prototype. */
const metaData = () => JSON.parse('{"__proto__": {"tier": "gold", "empty": null}, "constructor": "acme", "plain": 1}') as Record<string, unknown>;

let fake: FakeChargebee;
let work: ReturnType<typeof tempDir>;
beforeEach(async () => {
  fake = await startFakeChargebee({ customers: 12 });
  work = tempDir('ledgersync-proto-');
  writeFileSync(join(work.dir, 'pipeline.yaml'), PIPELINE);
  fake.state.create('customers', { id: 'proto_1', first_name: 'Pro', last_name: 'To', meta_data: metaData() });
});
afterEach(async () => {
  await fake.close();
  work.cleanup();
});

describe('__proto__-like keys in source data', () => {
  it('normalisation and the content hash keep them as data', () => {
    const record = JSON.parse('{"id": "x", "meta": {"__proto__": {"a": null, "b": 2}}}') as Record<string, unknown>;
    const normalised = withoutNullProperties(record) as { meta: Record<string, unknown> };
    expect(Object.keys(normalised.meta)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(normalised.meta, '__proto__')?.value).toEqual({ b: 2 });
    expect(Object.getPrototypeOf(normalised.meta)).toBe(Object.prototype);
    expect(contentHash(record)).not.toBe(contentHash(JSON.parse('{"id": "x", "meta": {}}')));
  });

  for (const engine of ['compiled', 'interpreter'] as const) {
    it(`reach the sink through the mapping (${engine}), and a change inside them is written again`, async () => {
      const out = join(work.dir, 'out');
      const env = { ...chargebeeEnv(fake, out), LEDGERSYNC_JSONATA: engine };
      const run = () =>
        runPipeline({
          connectors: installedConnectors,
          pipelinePath: join(work.dir, 'pipeline.yaml'),
          statePath: join(work.dir, 'state.db'),
          env,
          log: silentLogger,
        });
      const first = await run();
      expect(first.exitCode, JSON.stringify(first.error)).toBe(0);
      const raw = readJsonl(join(out, 'customers_raw.jsonl')).find((r) => r['id'] === 'proto_1')!;
      const meta = raw['meta_data'] as Record<string, unknown>;
      expect(Object.keys(meta).sort()).toEqual(['__proto__', 'constructor', 'plain']);
      expect(Object.getOwnPropertyDescriptor(meta, '__proto__')?.value).toEqual({ tier: 'gold' });
      const fields = readJsonl(join(out, 'customers_fields.jsonl')).find((r) => r['id'] === 'proto_1')!;
      expect(Object.getOwnPropertyDescriptor(fields['meta'] as object, '__proto__')?.value).toEqual({ tier: 'gold' });
      expect(fields['proto']).toEqual({ tier: 'gold' });

      expect((await run()).streams['customers']).toMatchObject({ written: 0 });
      const changed = metaData();
      Object.defineProperty(changed, '__proto__', { value: { tier: 'platinum' }, enumerable: true, writable: true, configurable: true });
      fake.state.touch('customers', 'proto_1', { meta_data: changed });
      expect((await run()).streams['customers']).toMatchObject({ written: 1 });
      const rows = readJsonl(join(out, 'customers_raw.jsonl')).filter((r) => r['id'] === 'proto_1');
      expect(Object.getOwnPropertyDescriptor(rows.at(-1)!['meta_data'] as object, '__proto__')?.value).toEqual({ tier: 'platinum' });
    });
  }
});
