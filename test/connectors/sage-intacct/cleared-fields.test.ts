/**
 * A field removed in Chargebee is cleared in Intacct. Intacct keeps the value of an element an update
 * leaves out; the SDK's IaXmlWriter.writeElement writes "" as an empty element ("if value == "" we
 * are writing it"), which clears the field. The sink writes a mapped null so on updates
 * (CustomerUpdate, InvoiceUpdate), leaves it out on creates (nothing to clear), and never writes a
 * field the mapping does not name; a mapped "" stays nothing to write (an option left empty). The
 * example maps null for the contact and address fields Chargebee no longer holds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBody, updateBody } from '../../../connectors/sage-intacct/documents.js';
import { buildXml } from '../../../connectors/sage-intacct/xml.js';
import { elementOrderProblem } from '../../fakes/intacct/element-order.js';
import type { XmlValue } from '../../fakes/intacct/xml.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { intacctSpecs } from './helpers.js';

const specs = intacctSpecs();

const customer = {
  CUSTOMERID: 'cus_1',
  NAME: 'Ann Lee',
  DISPLAYCONTACT: {
    PRINTAS: 'Ann Lee',
    COMPANYNAME: null,
    FIRSTNAME: 'Ann',
    EMAIL1: null,
    PHONE1: null,
    MAILADDRESS: { ADDRESS1: '1 Main St', ADDRESS2: null, CITY: null, COUNTRYCODE: 'US' },
    // An option left empty: nothing to write, on an update too.
    LASTNAME: '',
  },
};

describe('Intacct documents: a mapped null', () => {
  it('is an empty element in the customer update, nested address included, and fields the mapping does not name are not sent', () => {
    const fn = updateBody(specs['CUSTOMER']!, 'CUSTOMER', customer, '1001');
    const display = (fn.body['CUSTOMER'] as any).DISPLAYCONTACT;
    expect(display).toEqual({
      PRINTAS: 'Ann Lee',
      COMPANYNAME: '',
      FIRSTNAME: 'Ann',
      PHONE1: '',
      EMAIL1: '',
      MAILADDRESS: { ADDRESS1: '1 Main St', ADDRESS2: '', CITY: '', COUNTRYCODE: 'US' },
    });
    expect(elementOrderProblem('update', fn.body as XmlValue)).toBeUndefined();
    expect(buildXml(fn.body)).toContain('<EMAIL1></EMAIL1>');
  });

  it('is an empty <ponumber> in update_invoice, in the SDK order', () => {
    const fn = updateBody(
      specs['ARINVOICE']!,
      'ARINVOICE',
      { customerid: 'C1', invoiceno: 'INV-1', ponumber: null, description: 'Invoice INV-1', invoiceitems: [{ glaccountno: '4000', amount: '5' }] },
      '1042',
      1,
    );
    expect(Object.keys(fn.body)).toEqual(['customerid', 'ponumber', 'description', 'updateinvoiceitems']);
    expect(fn.body['ponumber']).toBe('');
    expect(elementOrderProblem('update_invoice', { '@key': '1042', ...fn.body } as XmlValue)).toBeUndefined();
  });

  it('is left out of a create, and an address with nothing in it is not written', () => {
    const created = createBody(specs['CUSTOMER']!, 'CUSTOMER', {
      ...customer,
      DISPLAYCONTACT: { ...customer.DISPLAYCONTACT, MAILADDRESS: { ADDRESS1: null, ADDRESS2: '' } },
    });
    expect((created.body['CUSTOMER'] as any).DISPLAYCONTACT).toEqual({ PRINTAS: 'Ann Lee', FIRSTNAME: 'Ann' });
    const invoice = createBody(specs['ARINVOICE']!, 'ARINVOICE', {
      customerid: 'C1',
      datecreated: '2024-03-01',
      datedue: '2024-03-31',
      invoiceno: 'INV-1',
      ponumber: null,
      invoiceitems: [{ glaccountno: '4000', amount: '5', locationid: '' }],
    });
    expect(invoice.body['ponumber']).toBeUndefined();
    expect(Object.keys((invoice.body['invoiceitems'] as any).lineitem[0])).toEqual(['glaccountno', 'amount']);
  });

  it('has no empty form for a date or an amount, and an empty text is nothing to write: both left out of an update too', () => {
    const fn = updateBody(specs['ARINVOICE']!, 'ARINVOICE', { customerid: 'C1', invoiceno: 'INV-1', datedue: null, description: '' }, '1042', 0);
    expect(fn.body).toEqual({ customerid: 'C1' });
  });
});

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const calls = (from: number) =>
  s!.intacct.state.requests
    .slice(from)
    .flatMap((r) => r.calls ?? [])
    .filter((c) => !['getAPISession', 'readByQuery', 'readMore'].includes(c.element));

describe('chargebee-to-intacct: fields removed in Chargebee', () => {
  it('clears the removed email, phone, company and address line of the Intacct customer, keeps what the mapping does not name, and writes nothing on an idle run', async () => {
    s = await startSandbox({ cb: { customers: 12, seed: 11 } as never });
    expect((await s.run()).streams['customers']!.failed).toBe(0);
    const cb = s.cb.state.all('customers').find((c: any) => c.email && c.phone && c.company && c.billing_address?.line2 && !c.deleted) as any;
    expect(cb, 'a customer with an email, a phone, a company and an address line 2').toBeDefined();
    const held = s.intacct.state.customers.get(cb.id)!;
    expect(held.mailAddress?.['ADDRESS2']).toBe(cb.billing_address.line2);
    // Entered in Intacct by hand: the mapping names neither, so no update touches them.
    held.contact['EMAIL2'] = 'ap@example.com';
    held.contact['URL1'] = 'https://example.com';

    const { line2: _removed, ...address } = cb.billing_address;
    s.cb.state.touch('customers', cb.id, { email: undefined, phone: undefined, company: undefined, billing_address: address } as never);
    const sentBefore = s.intacct.state.requests.length;
    expect((await s.run()).streams['customers']).toMatchObject({ updated: 1, failed: 0 });

    const update = calls(sentBefore).find((c) => c.element === 'update') as any;
    expect(Object.keys(update.body.CUSTOMER.DISPLAYCONTACT)).not.toContain('EMAIL2');
    const after = s.intacct.state.customers.get(cb.id)!;
    expect(after.contact).toMatchObject({ EMAIL1: '', PHONE1: '', COMPANYNAME: '', EMAIL2: 'ap@example.com', URL1: 'https://example.com' });
    expect(after.mailAddress).toMatchObject({ ADDRESS1: cb.billing_address.line1, ADDRESS2: '' });
    expect(after.NAME).toBe(`${cb.first_name} ${cb.last_name}`.trim());

    const idleFrom = s.intacct.state.requests.length;
    const idle = await s.run();
    expect(idle.streams['customers']).toMatchObject({ created: 0, updated: 0, failed: 0 });
    expect(calls(idleFrom), 'an idle run writes nothing').toEqual([]);
  }, 60_000);

  it('with ponumber mapped to null when Chargebee has none, clears the PO number of an open invoice removed in Chargebee; an invoice created without one sends no <ponumber>', async () => {
    s = await startSandbox({ cb: { customers: 12, seed: 11 } as never });
    // Opted into (see the README): the example maps no ponumber, so that adopting it re-sends no paid invoice.
    s.edit([['"ponumber": $truncate(po_number, 30),', '"ponumber": po_number ? $truncate(po_number, 30) : null,']]);
    const invoices = s.cb.state.all('invoices') as any[];
    const open = invoices.find((i) => ['payment_due', 'not_paid'].includes(i.status) && !i.deleted && i.po_number && i.currency_code === 'USD');
    expect(open, 'an open USD invoice with a PO number').toBeDefined();
    expect((await s.run()).streams['invoices']!.failed).toBe(0);
    const creates = calls(0).filter((c) => c.element === 'create_invoice') as any[];
    const withoutPo = invoices.find((i) => !i.po_number && creates.some((c) => c.body.invoiceno === i.id));
    expect(withoutPo, 'an invoice posted without a PO number').toBeDefined();
    expect(Object.keys(creates.find((c) => c.body.invoiceno === withoutPo.id).body)).not.toContain('ponumber');
    const posted = [...s.intacct.state.arDocuments.values()].find((d) => d.RECORDID === open.id)!;
    expect(posted.PONUMBER).toBe(open.po_number);

    s.cb.state.touch('invoices', open.id, { po_number: undefined } as never);
    expect((await s.run()).streams['invoices']).toMatchObject({ updated: 1, failed: 0 });
    expect(s.intacct.state.arDocuments.get(posted.RECORDNO)!.PONUMBER).toBe('');

    const idleFrom = s.intacct.state.requests.length;
    await s.run();
    expect(calls(idleFrom), 'an idle run writes nothing').toEqual([]);
  }, 60_000);
});
