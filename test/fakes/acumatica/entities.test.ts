/** PUT / GET / DELETE on the fake tenant: validation, upsert by keys, segmented keys, numbering, exact amounts. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAcumatica, startFakeAcumatica } from './index.js';
import { AcumaticaTestClient, unwrap } from './test-client.js';

let fake: FakeAcumatica;
let client: AcumaticaTestClient;

beforeEach(async () => {
  fake = await startFakeAcumatica();
  client = new AcumaticaTestClient(fake);
  await client.login();
});
afterEach(async () => fake.close());

const customer = (id: string, extra: Record<string, unknown> = {}) => ({ CustomerID: id, CustomerName: `Name of ${id}`, ...extra });

describe('request bodies are checked against the OpenAPI contract', () => {
  it('answers 400 with a Web API model state for unwrapped values, unknown fields and wrong types, and saves nothing', async () => {
    const unwrapped = await client.api('PUT', 'Customer', { CustomerID: 'cus_1', CustomerName: { value: 'A' } });
    expect(unwrapped.status).toBe(400);
    expect(unwrapped.json).toEqual({
      message: 'The request is invalid.',
      modelState: { 'entity.CustomerID': ["Error converting value \"cus_1\" to type 'PX.Api.ContractBased.Models.StringValue'. Path 'CustomerID'."] },
    });
    const unknown = await client.api('PUT', 'Invoice', { Customer: { value: 'X' }, Details: [{ Amount: { value: 1 }, Colour: { value: 'red' } }] });
    expect(unknown.status).toBe(400);
    expect(Object.keys(unknown.json.modelState)).toEqual(['entity.Details[0].Colour']);
    const wrongType = await client.api('PUT', 'Payment', { PaymentAmount: { value: '10.00' } });
    expect(Object.keys(wrongType.json.modelState)).toEqual(['entity.PaymentAmount.value']);
    const notJson = await client.api('PUT', 'Customer', '{"CustomerID": ');
    expect(notJson.status).toBe(400);
    expect(fake.state.writes).toEqual([]);
  });

  it('refuses a body that is not JSON by media type (415), as Web API does', async () => {
    const response = await client.raw('PUT', `${fake.endpointUrl()}/Customer`, { body: '{}', contentType: 'text/plain' });
    expect(response.status).toBe(415);
    expect(response.json.exceptionType).toBe('System.Net.Http.UnsupportedMediaTypeException');
  });
});

describe('customers and segmented keys', () => {
  it('stores CustomerID upper case and finds it by the lower-case key, in the URL and in $filter', async () => {
    const created = await client.put('Customer', customer('cus_Abc-1', { Email: 'a@example.com', CurrencyID: 'JPY' }));
    expect(created.status).toBe(200);
    expect(created.json.CustomerID).toEqual({ value: 'CUS_ABC-1' });
    expect(created.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.json._links.self).toBe(`/entity/Default/24.200.001/Customer/${created.json.id}`);
    expect(created.json.LastModifiedDateTime.value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);

    expect((await client.api('GET', 'Customer/cus_abc-1')).json.CustomerID.value).toBe('CUS_ABC-1');
    expect((await client.api('GET', `Customer/${created.json.id}`)).json.CustomerName.value).toBe('Name of cus_Abc-1');
    const filtered = await client.api('GET', `Customer?$filter=${encodeURIComponent("CustomerID eq 'cus_abc-1'")}`);
    expect(filtered.json.map((c: any) => c.CustomerID.value)).toEqual(['CUS_ABC-1']);

    // The same key in another case is the same record: an update, not a duplicate.
    const again = await client.put('Customer', customer('CUS_abc-1', { CustomerName: 'Renamed' }));
    expect(again.json.id).toBe(created.json.id);
    expect(fake.state.records('Customer')).toHaveLength(1);
    expect(fake.state.record('Customer', 'cus_abc-1')).toMatchObject({ CustomerName: 'Renamed', Email: 'a@example.com', CurrencyID: 'JPY', Status: 'Active' });
    expect(fake.state.writes.map((w) => w.operation)).toEqual(['insert', 'update']);
  });

  it('answers "No entity satisfies the condition." (500) for a key that does not exist', async () => {
    const missing = await client.api('GET', 'Customer/NOPE');
    expect(missing.status).toBe(500);
    expect(missing.json).toEqual({
      message: 'An error has occurred.',
      exceptionMessage: 'No entity satisfies the condition.',
      exceptionType: 'PX.Api.ContractBased.NoEntitySatisfiesTheConditionException',
    });
  });

  it('answers 422 with the entity and an error on each refused field', async () => {
    const tooLong = await client.put('Customer', customer('C'.repeat(31), { CurrencyID: 'XXX' }));
    expect(tooLong.status).toBe(422);
    expect(tooLong.json.CustomerID.error).toMatch(/longer than the 30 characters/);
    expect(tooLong.json.CurrencyID).toEqual({ value: 'XXX', error: "Currency 'XXX' cannot be found in the system." });
    expect(tooLong.json.error).toBe("Inserting 'Customer' record raised at least one error. Please review the errors.");
    const noName = await client.put('Customer', { CustomerID: 'C1' });
    expect(noName.json.CustomerName).toEqual({ error: "'Account Name' cannot be empty." });
    expect(fake.state.records('Customer')).toEqual([]);
  });

  it('keeps the billing contact the main contact until BillingContactOverride is set; Email is the billing email', async () => {
    const main = { Email: 'main@example.com', Address: { City: 'Berlin' } };
    const sameAsMain = await client.put(
      'Customer',
      customer('C1', { MainContact: main, BillingContact: { Email: 'billing@example.com', Phone1: '123' } }),
      '?$expand=BillingContact/Address',
    );
    expect(unwrap(sameAsMain.json.BillingContact)).toMatchObject({ Email: 'main@example.com', Phone1: '123', Address: { City: 'Berlin' } });
    expect(sameAsMain.json.Email.value).toBe('main@example.com');
    expect(fake.state.record('Customer', 'C1')!['MainContact']).toMatchObject({ Email: 'main@example.com', Phone1: '123' });
    // Email alone writes the one contact there is.
    const emailOnly = await client.put('Customer', customer('C1', { Email: 'new@example.com' }), '?$expand=MainContact');
    expect(emailOnly.json.MainContact.Email.value).toBe('new@example.com');
    const overridden = await client.put(
      'Customer',
      customer('C1', { BillingContactOverride: true, BillingContact: { Email: 'billing@example.com' } }),
      '?$expand=BillingContact,MainContact',
    );
    expect(overridden.json.BillingContact.Email.value).toBe('billing@example.com');
    expect(overridden.json.MainContact.Email.value).toBe('new@example.com');
    expect(overridden.json.Email.value).toBe('billing@example.com');
    const filtered = await client.api('GET', `Customer?$filter=${encodeURIComponent("BillingContact/Email eq 'BILLING@example.com'")}`);
    expect(filtered.json).toHaveLength(1);
  });

  it('honours If-None-Match: * (insert only) and If-Match: * (update only) with 412', async () => {
    expect((await client.put('Customer', customer('C1'), '', { 'if-match': '*' })).status).toBe(412);
    expect((await client.put('Customer', customer('C1'), '', { 'if-none-match': '*' })).status).toBe(200);
    const duplicate = await client.put('Customer', customer('c1'), '', { 'if-none-match': '*' });
    expect(duplicate.status).toBe(412);
    expect(duplicate.json.exceptionType).toBe('PX.Api.ContractBased.PreconditionFailedException');
    expect((await client.put('Customer', customer('C1', { CustomerName: 'B' }), '', { 'if-match': '*' })).status).toBe(200);
  });
});

describe('AR invoices', () => {
  beforeEach(async () => {
    await client.put('Customer', customer('USD1'));
    await client.put('Customer', customer('JPY1', { CurrencyID: 'JPY' }));
    await client.put('Customer', customer('KWD1', { CurrencyID: 'KWD' }));
  });

  it('numbers documents itself, defaults type, dates, period and hold, and totals the lines exactly', async () => {
    const first = await client.put('Invoice', {
      Customer: 'usd1',
      Date: '2026-03-15',
      CustomerOrder: 'inv_001',
      Details: [
        { Amount: 0.1, TransactionDescription: 'a' },
        { Amount: 0.2, Account: '40100' },
        { Qty: 3, UnitPrice: 19.99 },
      ],
    });
    expect(first.status).toBe(200);
    const doc = unwrap(first.json);
    expect(doc).toMatchObject({
      Type: 'Invoice',
      ReferenceNbr: 'AR000001',
      Customer: 'USD1',
      Date: '2026-03-15T00:00:00+00:00',
      DueDate: '2026-03-15T00:00:00+00:00',
      PostPeriod: '032026',
      Hold: true,
      Status: 'On Hold',
      Amount: 60.27,
      Balance: 60.27,
      CustomerOrder: 'inv_001',
    });
    expect(doc['Details'].map((line: any) => [line.LineNbr, line.Account, line.Subaccount, line.Branch, line.Amount])).toEqual([
      [1, '40000', '000000', 'MAIN', 0.1],
      [2, '40100', '000000', 'MAIN', 0.2],
      [3, '40000', '000000', 'MAIN', 59.97],
    ]);
    const second = await client.put('Invoice', { Type: 'Credit Memo', Customer: 'USD1', Details: [{ Amount: 5 }] });
    expect(second.json.ReferenceNbr.value).toBe('AR000002');
    // Details are not returned unless expanded (or sent).
    expect((await client.api('GET', 'Invoice/Invoice/AR000001')).json.Details).toBeUndefined();
    expect((await client.api('GET', 'Invoice/Invoice/AR000001?$expand=Details')).json.Details).toHaveLength(3);
    expect((await client.api('GET', 'Invoice/invoice|ar000001')).json.ReferenceNbr.value).toBe('AR000001');
    expect(fake.state.roundings).toEqual([]);
  });

  it('takes a PostPeriod as MMYYYY and refuses anything else', async () => {
    expect((await client.put('Invoice', { Customer: 'USD1', PostPeriod: '122025', Details: [{ Amount: 1 }] })).json.PostPeriod.value).toBe('122025');
    expect((await client.put('Invoice', { Customer: 'USD1', PostPeriod: '2025-12', Details: [{ Amount: 1 }] })).json.PostPeriod.error).toMatch(/MMYYYY/);
  });

  it('keeps JPY and KWD amounts exact and rounds (and reports) what the currency cannot hold', async () => {
    const jpy = await client.put('Invoice', { Customer: 'JPY1', Details: [{ Amount: 1234 }, { Amount: 5000 }] });
    expect(jpy.json.Amount.value).toBe(6234);
    const kwd = await client.put('Invoice', { Customer: 'KWD1', Details: [{ Amount: 0.125 }, { Amount: 1.005 }] });
    expect(kwd.json.Amount.value).toBe(1.13);
    expect(fake.state.roundings).toEqual([]);
    const rounded = await client.put('Invoice', { Customer: 'JPY1', Details: [{ Amount: 1234.5 }] });
    expect(rounded.json.Amount.value).toBe(1235);
    expect(fake.state.roundings).toEqual([{ entity: 'Invoice', path: 'Details[0].Amount', sent: '1234.5', stored: '1235' }]);
  });

  it('appends detail lines sent without id, updates the line an id (or LineNbr) names, deletes with delete: true', async () => {
    const created = await client.put('Invoice', { Customer: 'USD1', Details: [{ Amount: 10 }, { Amount: 20 }] }, '?$expand=Details');
    const [firstLine, secondLine] = created.json.Details;
    const keys = { Type: 'Invoice', ReferenceNbr: created.json.ReferenceNbr.value };
    const appended = await client.put('Invoice', { ...keys, Details: [{ Amount: 10 }] });
    expect(appended.json.Amount.value).toBe(40);
    const updated = await client.put('Invoice', {
      ...keys,
      Details: [
        { id: secondLine.id, Amount: 25 },
        { LineNbr: 3, Amount: 5 },
      ],
    });
    expect(updated.json.Amount.value).toBe(40);
    const deleted = await client.put('Invoice', { ...keys, Details: [{ id: firstLine.id, delete: true }] });
    expect(deleted.json.Amount.value).toBe(30);
    expect(fake.state.record('Invoice', 'Invoice', keys.ReferenceNbr)!['Details']).toHaveLength(2);
    const badId = await client.put('Invoice', { ...keys, Details: [{ id: '00000000-0000-0000-0000-000000000000', Amount: 1 }] });
    expect(badId.status).toBe(422);
  });

  it('refuses unknown or inactive references with field errors on the line, and an unknown customer', async () => {
    const refused = await client.put('Invoice', {
      Customer: 'NOBODY',
      Details: [
        { Amount: 1, Account: '12345' },
        { Amount: 1, Account: '49900' },
        { Amount: 1, Subaccount: 'X' },
        { Amount: 1, Branch: 'NOPE' },
        { Amount: 1, TaxCategory: 'VAT' },
        {},
      ],
    });
    expect(refused.status).toBe(422);
    expect(refused.json.Customer.error).toBe("Customer 'NOBODY' cannot be found in the system.");
    const errors = refused.json.Details.map((line: any) =>
      Object.entries(line)
        .filter(([, v]: any) => v?.error)
        .map(([k, v]: any) => `${k}: ${v.error}`),
    );
    expect(errors).toEqual([
      ["Account: Account '12345' cannot be found in the system."],
      ["Account: Account '49900' is inactive."],
      ["Subaccount: Subaccount 'X' cannot be found in the system."],
      ["Branch: Branch 'NOPE' cannot be found in the system."],
      ["TaxCategory: Tax Category 'VAT' cannot be found in the system."],
      ["Amount: 'Amount' cannot be empty: send Amount, or Qty and UnitPrice."],
    ]);
    expect(fake.state.records('Invoice')).toEqual([]);
    // A refused insert does not use up a document number.
    expect((await client.put('Invoice', { Customer: 'USD1', Details: [{ Amount: 1 }] })).json.ReferenceNbr.value).toBe('AR000001');
  });

  it('refuses a reference number the tenant did not assign, also the right number under another type', async () => {
    const invented = await client.put('Invoice', { ReferenceNbr: 'INV-77', Customer: 'USD1', Details: [{ Amount: 1 }] });
    expect(invented.status).toBe(422);
    expect(invented.json.ReferenceNbr.error).toBe("Reference Nbr. 'INV-77' cannot be found in the system.");
    const created = await client.put('Invoice', { Customer: 'USD1', Details: [{ Amount: 1 }] });
    expect((await client.put('Invoice', { Type: 'Invoice', ReferenceNbr: created.json.ReferenceNbr.value, Customer: 'usd1' })).status).toBe(200);
    const retyped = await client.put('Invoice', { Type: 'Credit Memo', ReferenceNbr: created.json.ReferenceNbr.value, Customer: 'USD1' });
    expect(retyped.status).toBe(422);
    expect(retyped.json.ReferenceNbr.error).toMatch(/cannot be found/);
  });

  it('validates the control total when "Validate Document Totals on Entry" is on', async () => {
    await fake.close();
    fake = await startFakeAcumatica({ tenant: { validateDocumentTotals: true } });
    client = new AcumaticaTestClient(fake);
    await client.login();
    await client.put('Customer', customer('USD1'));
    const wrong = await client.put('Invoice', { Customer: 'USD1', Hold: false, Amount: 10, Details: [{ Amount: 9.99 }] });
    expect(wrong.json.Amount.error).toBe('Document is out of balance.');
    expect((await client.put('Invoice', { Customer: 'USD1', Hold: false, Amount: 9.99, Details: [{ Amount: 9.99 }] })).status).toBe(200);
  });

  it('keeps LastModifiedDateTime on every change and lets DELETE remove an unreleased document', async () => {
    let clock = Date.UTC(2026, 4, 1, 12, 0, 0, 250);
    await fake.close();
    fake = await startFakeAcumatica({ now: () => clock });
    client = new AcumaticaTestClient(fake);
    await client.login();
    await client.put('Customer', customer('USD1'));
    const created = await client.put('Invoice', { Customer: 'USD1', Details: [{ Amount: 1 }] });
    expect(created.json.LastModifiedDateTime.value).toBe('2026-05-01T12:00:00.250+00:00');
    expect(created.json.CreatedDateTime.value).toBe('2026-05-01T12:00:00.250+00:00');
    clock += 60_000;
    const updated = await client.put('Invoice', { Type: 'Invoice', ReferenceNbr: 'AR000001', Description: 'changed' });
    expect(updated.json.LastModifiedDateTime.value).toBe('2026-05-01T12:01:00.250+00:00');
    expect(updated.json.CreatedDateTime.value).toBe('2026-05-01T12:00:00.250+00:00');
    expect((await client.api('DELETE', 'Invoice/Invoice/AR000001')).status).toBe(204);
    expect((await client.api('GET', 'Invoice/Invoice/AR000001')).status).toBe(500);
  });
});

describe('documents entered before go-live', () => {
  it('state.seed puts a document in through the same rules, so a look-up by natural key finds it', async () => {
    fake.state.seed('Customer', { CustomerID: 'old1', CustomerName: 'Old customer' });
    const seeded = fake.state.seed('Invoice', { Customer: 'OLD1', CustomerOrder: 'inv_legacy', Hold: false, Details: [{ Amount: 99.95 }] });
    expect(seeded).toMatchObject({ ReferenceNbr: 'AR000001', Amount: 99.95, Status: 'Balanced' });
    const found = await client.api('GET', `Invoice?$filter=${encodeURIComponent("CustomerOrder eq 'inv_legacy'")}`);
    expect(found.json.map((doc: any) => doc.ReferenceNbr.value)).toEqual(['AR000001']);
    expect(() => fake.state.seed('Invoice', { Customer: 'OLD1', Colour: 'red' })).toThrow(/Colour/);
  });
});
