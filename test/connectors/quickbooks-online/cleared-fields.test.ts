/**
 * Values removed in Chargebee after a document was posted to QuickBooks Online. QBO updates are
 * sparse (a field left out keeps its value), so the example mapping sends a removed value empty:
 * "" for text and address lines, TotalTax 0 for a document without tax. Creates leave the empty
 * fields out; fields the mapping never names stay as QBO holds them; an unchanged record is not
 * sent again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { holdsAll } from '../../../connectors/quickbooks-online/compare.js';
import { isCleared, withoutClearedFields } from '../../../connectors/quickbooks-online/cleared-fields.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import type { RecordedRequest } from '../../fakes/qbo/index.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const customerOf = (sandbox: Sandbox, id: string) => sandbox.qbo.state.entities('Customer').find((c) => c['Notes'] === id) as Record<string, any>;
const invoiceOf = (sandbox: Sandbox, id: string) => sandbox.qbo.state.entities('Invoice').find((i) => i['DocNumber'] === id) as Record<string, any>;

/** The entity bodies of the creates sent, single or batched. */
function createdBodies(requests: RecordedRequest[], entity: string): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  for (const request of requests) {
    const body = request.body as Record<string, any> | undefined;
    if (!body || request.method !== 'POST') continue;
    if (Array.isArray(body['BatchItemRequest'])) {
      for (const item of body['BatchItemRequest']) if (item.operation === 'create' && item[entity]) bodies.push(item[entity]);
    } else if (request.path.endsWith(`/${entity.toLowerCase()}`) && body['Id'] === undefined) {
      bodies.push(body);
    }
  }
  return bodies;
}

function emptyTextIn(value: unknown, path = ''): string[] {
  if (value === '') return [path];
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => emptyTextIn(v, `${path}.${k}`));
}

describe('QBO: values removed in Chargebee are removed in QuickBooks', () => {
  it('a customer loses the email, phone, company, names, VAT number and billing address removed in Chargebee; Mobile set by hand stays; an idle run then writes nothing', async () => {
    s = await startSandbox({ customers: 40, seed: 11 } as never);
    expect((await s.run()).exitCode).toBe(0);
    const customer = s.cb.state
      .all('customers')
      .find((c: any) => c.email && c.phone && c.company && c.vat_number && c.first_name && c.billing_address?.line1 && !c.deleted) as any;
    expect(customer, 'a seeded customer with every field').toBeDefined();
    const held = customerOf(s, customer.id);
    expect(held['PrimaryEmailAddr']).toEqual({ Address: customer.email });
    expect(held['PrimaryTaxIdentifier']).toBe(customer.vat_number);
    // A bookkeeper sets the customer's Mobile in QBO, which the mapping never names.
    (s.qbo.state.company as any).table('Customer').get(held['Id']).Mobile = { FreeFormNumber: '+1 555 0000' };

    s.cb.state.touch('customers', customer.id, {
      email: undefined,
      phone: undefined,
      company: undefined,
      last_name: undefined,
      vat_number: undefined,
      vat_number_prefix: undefined,
      billing_address: undefined,
    } as never);
    const run = await s.run();
    expect(run.streams['customers']).toMatchObject({ updated: 1, failed: 0 });

    const after = customerOf(s, customer.id);
    expect(after['DisplayName']).toBe(customer.first_name);
    expect(after['GivenName']).toBe(customer.first_name);
    for (const field of ['PrimaryEmailAddr', 'PrimaryPhone', 'CompanyName', 'FamilyName', 'PrimaryTaxIdentifier', 'BillAddr'])
      expect(after[field], `${field} still ${JSON.stringify(after[field])}`).toBeUndefined();
    expect(after['Mobile']).toEqual({ FreeFormNumber: '+1 555 0000' });

    const writes = s.qbo.state.writes.length;
    const idle = await s.run();
    expect(idle.exitCode).toBe(0);
    expect(s.qbo.state.writes.length, 'an idle run writes nothing').toBe(writes);
  }, 60_000);

  it('an invoice loses the PO number removed in Chargebee; its billing email and addresses stay as QuickBooks holds them', async () => {
    s = await startSandbox({ customers: 12, seed: 11 } as never);
    s.edit([['custom_field_id_for_po: ""', 'custom_field_id_for_po: "1"']]);
    const invoice = s.cb.state.all('invoices').find((i: any) => i.status === 'payment_due' && !i.deleted && i.billing_address) as any;
    expect(invoice).toBeDefined();
    s.cb.state.touch('invoices', invoice.id, {
      po_number: 'PO-12345',
      billing_address: { ...invoice.billing_address, email: 'ap@old-customer.example' },
      shipping_address: { ...invoice.billing_address, line1: '9 Dock Rd' },
    } as never);
    expect((await s.run()).streams['invoices']!.failed).toBe(0);
    const before = invoiceOf(s, invoice.id);
    expect(before['BillEmail']).toEqual({ Address: 'ap@old-customer.example' });
    expect(before['CustomField'][0].StringValue).toBe('PO-12345');
    expect(before['ShipAddr'].Line2).toBe('9 Dock Rd');

    s.cb.state.touch('invoices', invoice.id, { po_number: undefined, billing_address: undefined, shipping_address: undefined } as never);
    const run = await s.run();
    expect(run.streams['invoices']).toMatchObject({ updated: 1, failed: 0 });

    const after = invoiceOf(s, invoice.id);
    // Left out of the update: QuickBooks fills an invoice's address and email from its customer, which an empty value would clear.
    expect(after['BillEmail']).toEqual(before['BillEmail']);
    expect(after['ShipAddr']).toEqual(before['ShipAddr']);
    expect(after['CustomField']).toEqual([{ DefinitionId: '1', Name: 'PO Number', Type: 'StringType' }]);
  }, 60_000);

  it('an invoice posted while pending and re-rated without tax loses its tax: QBO TotalAmt is Chargebee total', async () => {
    s = await startSandbox({ customers: 60, seed: 11 } as never);
    const invoice = s.cb.state
      .all('invoices')
      .find((i: any) => !i.deleted && i.status !== 'voided' && i.price_type !== 'tax_inclusive' && i.taxes?.length && !i.linked_payments?.length) as any;
    expect(invoice, 'a taxed invoice with no payment').toBeDefined();
    s.cb.state.touch('invoices', invoice.id, { status: 'pending' } as never);
    expect((await s.run()).streams['invoices']!.failed).toBe(0);
    expect(Math.round(Number(invoiceOf(s, invoice.id)['TotalAmt']) * 100)).toBe(invoice.total);

    const untaxed = invoice.sub_total + (invoice.round_off_amount ?? 0) - (invoice.discounts ?? []).reduce((a: number, d: any) => a + d.amount, 0);
    s.cb.state.touch('invoices', invoice.id, {
      status: 'payment_due',
      line_items: invoice.line_items.map((l: any) => ({ ...l, is_taxed: false, tax_amount: 0, tax_rate: 0 })),
      line_item_taxes: [],
      taxes: [],
      tax: 0,
      total: untaxed,
      amount_due: untaxed,
    } as never);
    const run = await s.run();
    expect(run.streams['invoices']).toMatchObject({ updated: 1, failed: 0 });
    const after = invoiceOf(s, invoice.id);
    expect(after['TxnTaxDetail']).toEqual({ TotalTax: 0 });
    expect(Math.round(Number(after['TotalAmt']) * 100)).toBe(untaxed);
    expect(Math.round(Number(after['Balance']) * 100)).toBe(untaxed);
  }, 60_000);

  it('creates send no empty field: a new customer or invoice without an email, phone or address is created without one', async () => {
    s = await startSandbox({ customers: 12, seed: 11 } as never);
    const bare = s.cb.state.all('customers').find((c: any) => !c.deleted && !c.phone) as any;
    expect(bare, 'a seeded customer without a phone').toBeDefined();
    s.cb.state.touch('customers', bare.id, { email: undefined, billing_address: undefined } as never);
    expect((await s.run()).exitCode).toBe(0);

    const customers = createdBodies(s.qbo.state.requests, 'Customer');
    const invoices = createdBodies(s.qbo.state.requests, 'Invoice');
    expect(customers.length).toBeGreaterThan(0);
    expect(invoices.length).toBeGreaterThan(0);
    for (const body of [...customers, ...invoices]) expect(emptyTextIn(body), JSON.stringify(body)).toEqual([]);
    const sent = customers.find((c) => c['Notes'] === bare.id)!;
    expect(sent).toBeDefined();
    for (const field of ['PrimaryEmailAddr', 'PrimaryPhone', 'BillAddr']) expect(sent).not.toHaveProperty(field);
    // Untaxed documents are created with TotalTax 0, as QBO holds them.
    expect(invoices.some((i) => JSON.stringify(i['TxnTaxDetail']) === '{"TotalTax":0}')).toBe(true);
  }, 60_000);
});

describe('cleared fields', () => {
  it('a field sent empty is one QBO holds absent, so a landed write is recognised', () => {
    const sent = {
      DisplayName: 'Ann',
      CompanyName: '',
      PrimaryEmailAddr: { Address: '' },
      BillAddr: { Line1: '', City: '' },
      TxnTaxDetail: { TotalTax: '0.00' },
    };
    expect(holdsAll({ DisplayName: 'Ann', TxnTaxDetail: { TotalTax: 0 } }, sent)).toBe(true);
    expect(holdsAll({ DisplayName: 'Ann', BillAddr: { Id: '7' }, TxnTaxDetail: { TotalTax: 0 } }, sent)).toBe(true);
    expect(holdsAll({ DisplayName: 'Ann', PrimaryEmailAddr: { Address: 'ann@x.example' }, TxnTaxDetail: { TotalTax: 0 } }, sent)).toBe(false);
    expect(holdsAll({ DisplayName: 'Ann', CompanyName: 'Acme', TxnTaxDetail: { TotalTax: 0 } }, sent)).toBe(false);
    // TotalTax 0 is a value, not a cleared field: a held tax differs.
    expect(holdsAll({ DisplayName: 'Ann', TxnTaxDetail: { TotalTax: 4 } }, sent)).toBe(false);
  });

  it('a create leaves cleared fields out, and keeps zeros, empty objects and every line', () => {
    expect(isCleared('')).toBe(true);
    expect(isCleared({ Address: '' })).toBe(true);
    expect(isCleared({})).toBe(false);
    expect(isCleared({ TotalTax: 0 })).toBe(false);
    const body = {
      DisplayName: 'Ann',
      CompanyName: '',
      PrimaryEmailAddr: { Address: '' },
      BillAddr: { Line1: '1 Main St', Line2: '' },
      TxnTaxDetail: { TotalTax: '0.00' },
      CustomField: [{ DefinitionId: '1', StringValue: '' }],
      Line: [{ Description: '', Amount: '1.00', SubTotalLineDetail: {} }],
    };
    expect(withoutClearedFields(body)).toEqual({
      DisplayName: 'Ann',
      BillAddr: { Line1: '1 Main St' },
      TxnTaxDetail: { TotalTax: '0.00' },
      CustomField: [{ DefinitionId: '1' }],
      Line: [{ Amount: '1.00', SubTotalLineDetail: {} }],
    });
  });
});
