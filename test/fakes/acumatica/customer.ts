/**
 * Customers (AR303000). CustomerID is a segmented key (the BIZACCT dimension): stored upper case,
 * at most `customerIdLength` characters, found whatever the case. Until `BillingContactOverride`
 * (and, for the address, `BillingAddressOverride`) is true the billing contact *is* the main
 * contact, as on the form: what is sent for it lands on the main contact (unless the main contact
 * was sent with that field too). The endpoint maps the top-level `Email` to the billing contact's
 * email (BillContact.EMail in the endpoint metadata), so it follows the same rule.
 */
import { randomUUID } from 'node:crypto';
import type { PlainRecord } from './openapi.js';
import { enabledCurrency, oneOf, required, text, trimToLength } from './rules.js';
import type { EntityBehaviour, FieldErrors } from './tenant.js';

const STATUSES = ['Active', 'On Hold', 'Credit Hold', 'Inactive', 'One-Time'];

export const customerBehaviour: EntityBehaviour = {
  entity: 'Customer',
  keys: ['CustomerID'],
  upperCaseKeys: ['CustomerID'],
  prepare(record, ctx, previous, incoming) {
    const errors: FieldErrors = {};
    const id = required(record, 'CustomerID', errors);
    if (id !== undefined && [...id].length > ctx.config.customerIdLength) {
      errors['CustomerID'] = `Customer ID '${id}' is longer than the ${ctx.config.customerIdLength} characters of the BIZACCT segmented key.`;
    }
    required(record, 'CustomerName', errors);
    trimToLength(record, 'CustomerName', 255);
    trimToLength(record, 'Email', 255);
    record['Status'] = text(record, 'Status') ?? 'Active';
    oneOf(record, 'Status', STATUSES, errors);
    const customerClass = (text(record, 'CustomerClass') ?? ctx.config.customerClasses[0] ?? 'DEFAULT').toUpperCase();
    if (!ctx.config.customerClasses.includes(customerClass)) errors['CustomerClass'] = `Customer Class '${customerClass}' cannot be found in the system.`;
    record['CustomerClass'] = customerClass;
    enabledCurrency(record, 'CurrencyID', ctx, errors);
    if (!previous) record['BAccountID'] = ctx.store.nextInteger('BAccountID', 7000);
    else record['BAccountID'] = previous['BAccountID'] ?? null;
    linkBillingContact(record, incoming);
    return errors;
  },
};

const ADDRESS = 'Address';

function linkBillingContact(record: PlainRecord, incoming: PlainRecord): void {
  const sentMain = incoming['MainContact'] as PlainRecord | undefined;
  const sentBilling = incoming['BillingContact'] as PlainRecord | undefined;
  const sentEmail = incoming['Email'];
  const main: PlainRecord = (record['MainContact'] as PlainRecord | undefined) ?? { id: randomUUID() };
  let billing: PlainRecord = (record['BillingContact'] as PlainRecord | undefined) ?? { id: randomUUID() };
  if (record['BillingContactOverride'] !== true) {
    for (const [field, value] of Object.entries(sentBilling ?? {})) {
      if (field !== ADDRESS && field !== 'id' && sentMain?.[field] === undefined) main[field] = value;
    }
    if (sentEmail !== undefined && sentMain?.['Email'] === undefined && sentBilling?.['Email'] === undefined) main['Email'] = sentEmail;
    billing = { ...copyWithout(main, [ADDRESS]), id: billing['id'] };
  } else if (sentEmail !== undefined && sentBilling?.['Email'] === undefined) {
    billing['Email'] = sentEmail;
  }
  if (record['BillingAddressOverride'] !== true) {
    const sentAddress = sentBilling?.[ADDRESS] as PlainRecord | undefined;
    if (sentAddress !== undefined && sentMain?.[ADDRESS] === undefined)
      main[ADDRESS] = { ...((main[ADDRESS] as PlainRecord | undefined) ?? { id: randomUUID() }), ...sentAddress };
    if (main[ADDRESS] !== undefined)
      billing[ADDRESS] = { ...structuredClone(main[ADDRESS] as PlainRecord), id: (billing[ADDRESS] as PlainRecord | undefined)?.['id'] ?? randomUUID() };
  }
  if (record['BillingContactOverride'] !== true) record['BillingContactOverride'] = false;
  if (record['BillingAddressOverride'] !== true) record['BillingAddressOverride'] = false;
  if (Object.keys(main).length > 1) record['MainContact'] = main;
  if (Object.keys(billing).length > 1) record['BillingContact'] = billing;
  record['Email'] = (billing['Email'] as string | null | undefined) ?? null;
}

function copyWithout(record: PlainRecord, omit: readonly string[]): PlainRecord {
  const copy: PlainRecord = {};
  for (const [key, value] of Object.entries(record)) if (!omit.includes(key) && key !== 'id') copy[key] = structuredClone(value);
  return copy;
}
