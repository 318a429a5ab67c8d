/** A plan loaded in a worker crosses to the main thread without its closures, and is compiled back to the same plan. */
import { describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { portablePlan, revivePlan } from '../../../engine/config/portable-plan.js';
import { mapRecord } from '../../../engine/transform/mapper.js';
import { createBindings } from '../../../engine/transform/bindings.js';
import { ROOT } from '../../e2e/helpers.js';

const env = { CHARGEBEE_SITE: 'acme-test', CHARGEBEE_API_KEY: 'k', QBO_REALM_ID: '1', QBO_CLIENT_ID: 'c', QBO_CLIENT_SECRET: 's', QBO_REFRESH_TOKEN: 'r' };

describe('portable plans', () => {
  it('survive a structured clone and compile back: same expressions, same engines, same records', async () => {
    const file = `${ROOT}/pipelines/examples/chargebee-to-quickbooks.yaml`;
    const { plan } = await loadPipeline(file, { env, mode: 'run', connectorsDir: installedConnectors.descriptorsDir });
    if (!plan) throw new Error('the example does not load');
    const revived = await revivePlan(structuredClone(await portablePlan(plan)));
    expect(Object.isFrozen(revived)).toBe(true);
    expect(revived.streams.map((s) => s.name)).toEqual(plan.streams.map((s) => s.name));
    const record = {
      id: 'cus_1',
      deleted: false,
      data: { id: 'cus_1', first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com', created_at: 1700000000 },
    };
    for (const [i, stream] of plan.streams.entries()) {
      const again = revived.streams[i]!;
      const expressions = (s: typeof stream) => [
        ...(s.filter ? [s.filter] : []),
        ...(s.mapping.kind === 'expression' ? [s.mapping.expression] : s.mapping.fields.map((f) => f.expression)),
      ];
      expect(expressions(again).map(({ source, path, position, engine }) => ({ source, path, position, engine }))).toEqual(
        expressions(stream).map(({ source, path, position, engine }) => ({ source, path, position, engine })),
      );
      expect(expressions(again).map((e) => e.evaluateSync !== undefined)).toEqual(expressions(stream).map((e) => e.evaluateSync !== undefined));
    }
    const bindings = (p: typeof plan) => createBindings({ options: p.options, lookups: p.lookups, timezone: p.timezone, resolveTarget: () => undefined });
    const customers = (p: typeof plan) => p.streams.find((s) => s.name === 'customers')!;
    expect(await mapRecord(customers(revived), record, bindings(revived))).toEqual(await mapRecord(customers(plan), record, bindings(plan)));
  });

  it('stops compiling when the signal aborts', async () => {
    const file = `${ROOT}/pipelines/examples/chargebee-to-quickbooks.yaml`;
    const { plan } = await loadPipeline(file, { env, mode: 'run', connectorsDir: installedConnectors.descriptorsDir });
    const controller = new AbortController();
    controller.abort(new Error('interrupted'));
    await expect(revivePlan(await portablePlan(plan!), controller.signal)).rejects.toThrow('interrupted');
  });
});
