/**
 * A detail removed at the source is removed from Acumatica: the mapping says so with an explicit
 * null, the update sends `{"value": null}` for a field Acumatica holds, and nothing once it holds
 * nothing (no update for ever). A field the mapping never names, and a null on a create, are left
 * to Acumatica.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Contract } from '../../../connectors/acumatica/contract.js';
import { changes, wrapRecord } from '../../../connectors/acumatica/values.js';
import { exactJson as toJson } from '../../../engine/http/exact-json.js';
import { type Sandbox, startSandbox } from './e2e-harness.js';
import { live } from './expect-sync.js';

const contract = Contract.load(join(import.meta.dirname, '..', '..', '..', 'connectors', 'acumatica'));
const utc = { timezone: 'UTC' };
const compare = { caseInsensitive: new Set(['CustomerID']), keepExtraRows: new Set(['DocumentsToApply']) };
const wrappedChanges = (schema: string, mapped: Record<string, unknown>, current: Record<string, unknown>) => {
  const diff = changes(contract, schema, mapped, current, compare);
  return diff && toJson(wrapRecord(contract, schema, diff, utc));
};

describe('a field mapped to null', () => {
  const held = {
    id: 'c',
    CustomerID: 'CUS_1',
    CustomerName: 'Ann Lee',
    MainContact: { id: 'm', Email: 'ann@acme.example', Phone1: '+1 555 0100', CompanyName: 'Acme Corp', FirstName: 'Ann' },
  };

  it('is cleared with {"value": null} when Acumatica holds a value', () => {
    const mapped = { CustomerID: 'cus_1', CustomerName: 'Ann Lee', MainContact: { Email: null, Phone1: null, CompanyName: null, FirstName: 'Ann' } };
    expect(wrappedChanges('Customer', mapped, held)).toBe('{"MainContact":{"Email":{"value":null},"Phone1":{"value":null},"CompanyName":{"value":null}}}');
  });

  it('sends nothing once Acumatica holds nothing there (empty text included), so the clear is not repeated', () => {
    const cleared = { ...held, MainContact: { id: 'm', FirstName: 'Ann', Phone1: '' } };
    const mapped = { CustomerID: 'cus_1', CustomerName: 'Ann Lee', MainContact: { Email: null, Phone1: null, CompanyName: null, FirstName: 'Ann' } };
    expect(changes(contract, 'Customer', mapped, cleared, compare)).toBeUndefined();
  });

  it('differs from a field the mapping leaves out, which keeps what Acumatica holds', () => {
    expect(changes(contract, 'Customer', { CustomerID: 'cus_1', MainContact: { FirstName: 'Ann' } }, held, compare)).toBeUndefined();
  });

  it('is left out of a create, which has nothing to clear', () => {
    const created = { CustomerID: 'cus_1', CustomerName: 'Ann', MainContact: { Email: null, FirstName: 'Ann' }, BillingContact: null };
    expect(toJson(wrapRecord(contract, 'Customer', created, utc))).toBe(
      '{"CustomerID":{"value":"cus_1"},"CustomerName":{"value":"Ann"},"MainContact":{"FirstName":{"value":"Ann"}}}',
    );
  });

  it('clears only what a document mapping names: a null linked entity or detail collection leaves it as it is', () => {
    const invoice = {
      id: 'doc',
      Description: 'Chargebee invoice inv_1 PO 42',
      BillToContact: { id: 'b', Email: 'ap@acme.example' },
      Details: [{ id: 'l1', Amount: 12.5, TransactionDescription: 'Growth plan', Account: '40000' }],
    };
    expect(
      changes(contract, 'Invoice', { BillToContact: null, Details: null, Description: 'Chargebee invoice inv_1 PO 42' }, invoice, compare),
    ).toBeUndefined();
    expect(wrappedChanges('Invoice', { Details: [{ Amount: '12.50', TransactionDescription: null }] }, invoice)).toBe(
      '{"Details":[{"id":"l1","TransactionDescription":{"value":null}}]}',
    );
  });
});

describe('Acumatica: contact details removed from a Chargebee customer', () => {
  let s: Sandbox;
  afterEach(async () => {
    await s?.close();
  });

  const customerWrites = (from: number) => s.acu.state.writes.slice(from).filter((w) => w.entity === 'Customer');

  it('are cleared on the customer, and the run after finds nothing left to change', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    expect((await s.run()).exitCode).toBe(0);
    // Nulls mapped for what a customer lacks change nothing once created: the next run writes nothing.
    const idle = s.acu.state.writes.length;
    const again = await s.run();
    expect(again.streams['customers']).toMatchObject({ updated: 0, failed: 0 });
    expect(s.acu.state.writes.slice(idle)).toEqual([]);

    const customer = live(s, 'customers').find((c) => c.company && c.email && c.phone)!;
    expect(customer).toBeDefined();
    s.cb.state.touch('customers', customer.id, { company: undefined, email: undefined, phone: undefined } as never);
    const before = s.acu.state.writes.length;
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(run.streams['customers']).toMatchObject({ updated: 1, failed: 0 });
    expect(run.streams['invoices']).toMatchObject({ updated: 0, failed: 0 });
    expect(customerWrites(before)).toHaveLength(1);

    const held = s.acu.state.record('Customer', customer.id)!;
    const main = held['MainContact'] as Record<string, unknown>;
    expect(held['CustomerName']).toBe(`${customer.first_name} ${customer.last_name}`.trim());
    expect(main['Email'] ?? null).toBeNull();
    expect(main['Phone1'] ?? null).toBeNull();
    expect(main['CompanyName'] ?? null).toBeNull();
    // The billing contact (override on: Chargebee has a billing address) took the removed email too.
    expect(held['Email'] ?? null).toBeNull();
    expect((held['BillingContact'] as Record<string, unknown>)['Email'] ?? null).toBeNull();

    const after = s.acu.state.writes.length;
    const next = await s.run();
    expect(next.streams['customers']).toMatchObject({ updated: 0, failed: 0 });
    expect(customerWrites(after)).toEqual([]);
  }, 120_000);

  it('a removed billing address turns the overrides off: billing follows the main contact, whose address lines are cleared', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    expect((await s.run()).exitCode).toBe(0);
    const customer = live(s, 'customers').find((c) => c.billing_address && c.email)!;
    expect(customer).toBeDefined();
    expect(s.acu.state.record('Customer', customer.id)).toMatchObject({ BillingContactOverride: true, BillingAddressOverride: true });

    s.cb.state.touch('customers', customer.id, { billing_address: undefined } as never);
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(run.streams['customers']).toMatchObject({ updated: 1, failed: 0 });

    const held = s.acu.state.record('Customer', customer.id)!;
    expect(held).toMatchObject({ BillingContactOverride: false, BillingAddressOverride: false, Email: customer.email });
    const address = (held['MainContact'] as Record<string, unknown>)['Address'] as Record<string, unknown>;
    for (const line of ['AddressLine1', 'AddressLine2', 'City', 'State', 'PostalCode']) expect(address[line] ?? null, line).toBeNull();
    // Acumatica requires an address's country: it is kept.
    expect(address['Country']).toBe(customer.billing_address.country);
    expect((held['BillingContact'] as Record<string, unknown>)['Address']).toMatchObject({ Country: customer.billing_address.country });

    const after = s.acu.state.writes.length;
    const next = await s.run();
    expect(next.streams['customers']).toMatchObject({ updated: 0, failed: 0 });
    expect(customerWrites(after)).toEqual([]);
  }, 120_000);
});
