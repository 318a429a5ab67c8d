/**
 * QuickBooks' length limits reach into the document: a customer's PrimaryPhone.FreeFormNumber holds
 * 21 characters (Intuit's .NET SDK, Fms.cs TelephoneNumber.FreeFormNumber), a line's Description
 * 4000, an invoice's CustomerMemo 1000 and BillEmail 100. The sink's `field_limits` checked top-level
 * fields only, so a Chargebee phone of up to 50 characters went out as it was: QuickBooks refused the
 * customer (2050) and every document of that customer waited behind it. `field_limits` now take
 * paths (`PrimaryPhone.FreeFormNumber`, `Line[].Description`), checked before sending with the
 * same qbo_field_too_long dead letter naming the path; the example pipeline cuts a phone to 21.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import { settingsOf } from '../../../engine/connector/descriptor.js';
import type { Sink, SinkResult } from '../../../engine/connector/types.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { factoryInput, invoiceRecord, loadDescriptor, record, sinkContext, written, type MemoryContext } from './harness.js';

const failure = (result: SinkResult | undefined) => {
  if (result?.status !== 'failed') throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return { code: result.error.code, message: result.error.message, fix: result.error.fix, details: result.error.details };
};

describe('the descriptor', () => {
  it('lists the nested limits of Intuit’s SDK metadata', () => {
    const limits = settingsOf<{ field_limits: Record<string, number> }>(loadDescriptor()).field_limits;
    expect(limits).toMatchObject({
      'PrimaryPhone.FreeFormNumber': 21,
      'Fax.FreeFormNumber': 21,
      'BillEmail.Address': 100,
      'CustomerMemo.value': 1000,
      'Line[].Description': 4000,
      DocNumber: 21,
      PaymentRefNum: 21,
    });
  });
});

describe('QuickBooks Online sink: nested field limits', () => {
  let fake: FakeQbo;
  let sink: Sink;
  let ctx: MemoryContext;

  beforeEach(async () => {
    fake = await startFakeQbo({});
    sink = connector.createSink!(factoryInput(fake));
    ctx = sinkContext();
    await sink.open!(ctx);
  });
  afterEach(async () => fake.close());

  const customer = (id: string, extra: Record<string, unknown>) => record('Customer', id, { DisplayName: `Customer ${id}`, Notes: id, ...extra });

  it('refuses a 22-character phone or fax before sending, naming the path and the fix; 21 characters go out', async () => {
    const before = fake.state.requests.filter((r) => r.method === 'POST').length;
    const [phone, fax] = await sink.write(
      [customer('cb_1', { PrimaryPhone: { FreeFormNumber: '+1 (415) 555-0100 x12' + '3' } }), customer('cb_2', { Fax: { FreeFormNumber: 'F'.repeat(22) } })],
      ctx,
    );
    expect(failure(phone)).toMatchObject({
      code: 'qbo_field_too_long',
      message: "Customer.PrimaryPhone.FreeFormNumber '+1 (415) 555-0100 x123' is 22 characters; QuickBooks allows 21",
      fix: expect.stringContaining('$truncate(…, 21)'),
      details: { field: 'PrimaryPhone.FreeFormNumber', limit: 21, length: 22 },
    });
    expect(failure(fax)).toMatchObject({ code: 'qbo_field_too_long', details: { field: 'Fax.FreeFormNumber' } });
    expect(fake.state.requests.filter((r) => r.method === 'POST').length).toBe(before);

    const [fits] = await sink.write([customer('cb_3', { PrimaryPhone: { FreeFormNumber: '+1 (415) 555-0100 x12' } })], ctx);
    written(fits);
  });

  it('counts characters, not UTF-16 units: 21 emoji are 21 characters', async () => {
    const [emoji] = await sink.write([customer('cb_5', { PrimaryPhone: { FreeFormNumber: '📞'.repeat(21) } })], ctx);
    written(emoji);
  });

  it('checks every line of an array (Line[].Description) and names the line', async () => {
    const [c, i] = await sink.write(
      [customer('cb_6', {}), record('Item', 'pro', { Name: 'Pro', Type: 'Service', IncomeAccountRef: { value: '80' }, UnitPrice: '10.00' })],
      ctx,
    );
    const base = invoiceRecord('INV-9', written(c).targetId, written(i).targetId);
    const line = (base.data['Line'] as Record<string, unknown>[])[0]!;
    const [result] = await sink.write(
      [
        {
          ...base,
          data: {
            ...base.data,
            Line: [
              { ...line, Description: 'fine' },
              { ...line, Description: 'x'.repeat(4001) },
            ],
          },
        },
      ],
      ctx,
    );
    expect(failure(result)).toMatchObject({
      code: 'qbo_field_too_long',
      message: expect.stringMatching(/^Invoice\.Line\[1\]\.Description 'x+' is 4001 characters; QuickBooks allows 4000$/),
      details: { field: 'Line[1].Description', limit: 4000, length: 4001 },
    });
  });

  it('checks an invoice’s BillEmail.Address (100) and CustomerMemo.value (1000)', async () => {
    const results = await sink.write(
      [
        record('Invoice', 'a', { DocNumber: 'A-1', BillEmail: { Address: `${'a'.repeat(93)}@acme.io` } }),
        record('Invoice', 'b', { DocNumber: 'B-1', CustomerMemo: { value: 'm'.repeat(1001) } }),
      ],
      ctx,
    );
    expect(results.map((r) => failure(r).details['field'])).toEqual(['BillEmail.Address', 'CustomerMemo.value']);
  });

  it('a key too long is told to fit its key, not to truncate it (truncating could collide)', async () => {
    const [result] = await sink.write([record('Payment', 'p', { PaymentRefNum: 'CN-2025-000045>INV-2025-000123' })], ctx);
    const { code, fix } = failure(result);
    expect(code).toBe('qbo_field_too_long');
    expect(fix).toContain('$digest');
    expect(fix).not.toContain('$truncate');
  });
});

describe('the example pipeline', () => {
  let s: Sandbox | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('cuts a Chargebee phone longer than 21 characters to 21, so the customer and its documents land', async () => {
    s = await startSandbox({ customers: 12 });
    const customer = s.cb.state.all('customers')[0]!;
    const phone = '+44 (0)20 7946 0958 ext. 4321 (AP desk)'; // 39 characters, within Chargebee's 50
    s.cb.state.touch('customers', customer.id, { phone } as never);

    const summary = await s.run();

    expect(summary.streams['customers']!.failed).toBe(0);
    const created = s.qbo.state.entities('Customer').find((c: any) => c.Notes === customer.id) as any;
    expect(created.PrimaryPhone.FreeFormNumber).toBe(phone.slice(0, 21));
    expect((summary.deadLetterCauses ?? []).filter((c) => c.code === 'qbo_field_too_long')).toEqual([]);
  }, 60_000);
});
