/**
 * AR documents: `Invoice` (Invoices and Memos, AR301000: invoices, debit memos, credit memos) and
 * `SalesInvoice` (SO303000), which share the ARINVOICE numbering. Lines are checked against the chart
 * of accounts, subaccounts, branches and tax categories; amounts are rounded to the currency's
 * precision; the document total is the lines plus tax. A credit memo may carry applications to open
 * invoices (`ApplicationsCreditMemo`), which take effect when it is released; once released it is
 * applied further on its payment side (./payment.ts), and its `ApplicationsCreditMemo` lists every
 * application, as ARInvoiceEntry's Adjustments_1 does for a released credit memo. Released documents
 * are read-only; release is the contract's Release… action.
 */
import { currencyDecimals, multiplyUnits, roundUnits, sumUnits, unitsToText } from './decimal.js';
import { badRequest } from './errors.js';
import { creditMemoPayment } from './payment.js';
import { formatDateTime, type PlainRecord } from './openapi.js';
import {
  branchExists,
  documentDate,
  enabledCurrency,
  trimToLength,
  notFound,
  oneOf,
  financialPeriod,
  reference,
  releasedChanges,
  required,
  roundAmount,
  rows,
  text,
  units,
} from './rules.js';
import type { EntityBehaviour, FieldErrors, TenantContext } from './tenant.js';

export const AR_DOCUMENT_TYPES = ['Invoice', 'Debit Memo', 'Credit Memo'] as const;

interface ArShape {
  entity: 'Invoice' | 'SalesInvoice';
  release: string;
  customer: string;
  /** The header currency field; `Invoice` has none and takes the customer's currency. */
  currency: string | undefined;
  subaccount: string;
  branch: string;
  postPeriod: boolean;
  creditMemoApplications: boolean;
  externalRef: readonly string[];
}

const INVOICE: ArShape = {
  entity: 'Invoice',
  release: 'ReleaseInvoice',
  customer: 'Customer',
  currency: undefined,
  subaccount: 'Subaccount',
  branch: 'Branch',
  postPeriod: true,
  creditMemoApplications: true,
  externalRef: ['CustomerOrder'],
};

const SALES_INVOICE: ArShape = {
  entity: 'SalesInvoice',
  release: 'ReleaseSalesInvoice',
  customer: 'CustomerID',
  currency: 'Currency',
  subaccount: 'SubAccount',
  branch: 'BranchID',
  postPeriod: false,
  creditMemoApplications: false,
  externalRef: ['CustomerOrder', 'ExternalRef'],
};

/** An AR document (invoice, memo, sales invoice) by type and number, wherever it was entered. */
export function findArDocument(ctx: TenantContext, docType: string, referenceNbr: string): { entity: string; record: PlainRecord } | undefined {
  for (const entity of ['Invoice', 'SalesInvoice']) {
    const record = ctx.lookup(entity, { Type: docType, ReferenceNbr: referenceNbr });
    if (record) return { entity, record };
  }
  return undefined;
}

export function documentCurrency(record: PlainRecord): string {
  return String(record['__currency'] ?? 'USD');
}

/** Lowers an open document's balance by an application that has just been released. */
export function applyToBalance(ctx: TenantContext, target: PlainRecord, amount: bigint): void {
  const balance = (units(target, 'Balance') ?? 0n) - amount;
  target['Balance'] = balance;
  target['Status'] = balance > 0n ? 'Open' : 'Closed';
  target['LastModifiedDateTime'] = formatDateTime(ctx.now());
  // A refunded credit memo: its payment side has what is left of it.
  const paymentSide =
    target['Type'] === 'Credit Memo' ? ctx.lookup('Payment', { Type: 'Credit Memo', ReferenceNbr: String(target['ReferenceNbr']) }) : undefined;
  if (paymentSide) {
    paymentSide['AvailableBalance'] = balance;
    paymentSide['Status'] = target['Status'];
  }
}

export const invoiceBehaviour = arDocumentBehaviour(INVOICE);
export const salesInvoiceBehaviour = arDocumentBehaviour(SALES_INVOICE);

function arDocumentBehaviour(shape: ArShape): EntityBehaviour {
  return {
    entity: shape.entity,
    keys: ['Type', 'ReferenceNbr'],
    detailKeys: { Details: 'LineNbr' },
    autoNumber: { field: 'ReferenceNbr', assign: (ctx) => ctx.store.nextNumber('ARINVOICE', 'AR') },
    prepare(record, ctx, previous, incoming) {
      const errors: FieldErrors = {};
      if (previous?.['__released'] === true) {
        // A released credit memo is applied further on its payment side (Payment, Type "Credit Memo").
        releasedChanges(previous, incoming, ['Type', 'ReferenceNbr'], errors);
        return errors;
      }
      record['Type'] = text(record, 'Type') ?? 'Invoice';
      oneOf(record, 'Type', AR_DOCUMENT_TYPES, errors);
      if (previous && previous['Type'] !== record['Type']) errors['Type'] = 'Type cannot be changed.';

      required(record, shape.customer, errors);
      const customer = reference(record, shape.customer, 'Customer', 'CustomerID', ctx, errors);
      if (customer?.['Status'] === 'Inactive') errors[shape.customer] = `Customer '${String(customer['CustomerID'])}' is inactive.`;
      let currency: string;
      if (shape.currency) {
        if (text(record, shape.currency) === undefined && customer) record[shape.currency] = String(customer['CurrencyID'] ?? ctx.config.baseCurrency);
        currency = enabledCurrency(record, shape.currency, ctx, errors);
      } else {
        currency = String(previous?.['__currency'] ?? customer?.['CurrencyID'] ?? ctx.config.baseCurrency);
      }
      record['__currency'] = currency;

      const date = documentDate(record, 'Date', ctx);
      documentDate(record, 'DueDate', ctx, date);
      if (shape.postPeriod) financialPeriod(record, date, errors);
      if (typeof record['Hold'] !== 'boolean') record['Hold'] = ctx.config.holdDocumentsOnEntry;
      for (const field of shape.externalRef) trimToLength(record, field, 40);
      trimToLength(record, 'Description', 256);

      const documentCurrencyCode = currency;
      const lines = rows(record, 'Details');
      let nextLine = Math.max(0, ...lines.map((line) => (typeof line['LineNbr'] === 'number' ? line['LineNbr'] : 0))) + 1;
      lines.forEach((line, index) => {
        if (typeof line['LineNbr'] !== 'number') line['LineNbr'] = nextLine++;
        checkLine(shape, line, `Details[${index}]`, documentCurrencyCode, ctx, errors);
      });
      const taxes = rows(record, 'TaxDetails');
      taxes.forEach((tax, index) => {
        required(tax, 'TaxID', errors, `TaxDetails[${index}].TaxID`);
        roundAmount(tax, 'TaxAmount', documentCurrencyCode, ctx, shape.entity, `TaxDetails[${index}].TaxAmount`);
        if (tax['TaxableAmount'] !== undefined && tax['TaxableAmount'] !== null) {
          roundAmount(tax, 'TaxableAmount', documentCurrencyCode, ctx, shape.entity, `TaxDetails[${index}].TaxableAmount`);
        }
      });
      const taxTotal = sumUnits(taxes.map((tax) => units(tax, 'TaxAmount') ?? 0n));
      record['TaxTotal'] = taxTotal;
      const lineTotal = sumUnits(lines.map((line) => units(line, 'Amount') ?? 0n));
      if (record['DetailTotal'] !== undefined || shape.entity === 'SalesInvoice') record['DetailTotal'] = lineTotal;
      const total = lineTotal + taxTotal;
      if (total < 0n) errors['Amount'] = 'The document total cannot be negative; enter a credit memo instead.';
      const sentAmount = incoming['Amount'];
      if (ctx.config.validateDocumentTotals && record['Hold'] === false) {
        const control =
          typeof sentAmount === 'bigint' ? roundUnits(sentAmount, currencyDecimals(documentCurrencyCode)) : (units(previous ?? {}, 'Amount') ?? 0n);
        if (control !== total) errors['Amount'] = 'Document is out of balance.';
      }
      record['Amount'] = total;
      record['Balance'] = total;
      record['Status'] = record['Hold'] === true ? 'On Hold' : 'Balanced';

      if (incoming['ApplicationsDefault'] !== undefined)
        errors['ApplicationsDefault'] = 'ApplicationsDefault is read-only: payments are applied on the Payment entity.';
      if (shape.creditMemoApplications && rows(record, 'ApplicationsCreditMemo').length > 0) {
        if (record['Type'] !== 'Credit Memo') errors['ApplicationsCreditMemo'] = 'Only a credit memo can be applied to documents.';
        else checkCreditMemoApplications(record, ctx, errors);
      }
      return errors;
    },
    actions: {
      [shape.release]: (record, ctx) => {
        if (record['__released'] === true) throw badRequest('The document has already been released.', 'PX.Data.PXException');
        if (record['Hold'] === true) throw badRequest('The document is on hold and cannot be released. Set Hold to false first.', 'PX.Data.PXException');
        const errors: FieldErrors = {};
        if (shape.creditMemoApplications) checkCreditMemoApplications(record, ctx, errors);
        const problems = Object.values(errors);
        if (problems.length > 0) throw badRequest(problems.join(' '), 'PX.Data.PXException');
        record['__released'] = true;
        record['Balance'] = units(record, 'Amount') ?? 0n;
        record['Status'] = 'Open';
        if (shape.creditMemoApplications) releaseCreditMemoApplications(record, ctx);
        const balance = units(record, 'Balance') ?? 0n;
        record['Status'] = balance > 0n ? 'Open' : 'Closed';
        if (shape.creditMemoApplications && record['Type'] === 'Credit Memo') ctx.store.put('Payment', creditMemoPayment(record, ctx));
      },
    },
    deleteRefusal: (record) => (record['__released'] === true ? 'The document has been released and cannot be deleted.' : undefined),
  };
}

function checkLine(shape: ArShape, line: PlainRecord, path: string, currency: string, ctx: TenantContext, errors: FieldErrors): void {
  line['Account'] = text(line, 'Account') ?? ctx.config.defaultSalesAccount;
  reference(line, 'Account', 'Account', 'AccountCD', ctx, errors, `${path}.Account`);
  line[shape.subaccount] = text(line, shape.subaccount) ?? ctx.config.defaultSubaccount;
  reference(line, shape.subaccount, 'Subaccount', 'SubaccountCD', ctx, errors, `${path}.${shape.subaccount}`);
  line[shape.branch] = text(line, shape.branch) ?? ctx.config.defaultBranch;
  branchExists(line, shape.branch, ctx, errors, `${path}.${shape.branch}`);
  reference(line, 'TaxCategory', 'TaxCategory', 'TaxCategoryID', ctx, errors, `${path}.TaxCategory`);
  trimToLength(line, shape.entity === 'Invoice' ? 'TransactionDescription' : 'TransactionDescr', 256);

  const qty = units(line, 'Qty') ?? 1_000_000n;
  line['Qty'] = qty;
  const discount = roundAmount(line, 'DiscountAmount', currency, ctx, shape.entity, `${path}.DiscountAmount`);
  if (typeof line['Amount'] === 'bigint') {
    // The line amount wins; the unit price is derived from it.
    const amount = roundAmount(line, 'Amount', currency, ctx, shape.entity, `${path}.Amount`);
    const extended = amount + discount;
    if ('ExtendedPrice' in line || shape.entity === 'Invoice') line['ExtendedPrice'] = extended;
    if (qty !== 0n) line['UnitPrice'] = (extended * 1_000_000n) / qty;
  } else if (typeof line['UnitPrice'] === 'bigint') {
    const extended = roundUnits(multiplyUnits(qty, line['UnitPrice']), currencyDecimals(currency));
    if (shape.entity === 'Invoice') line['ExtendedPrice'] = extended;
    line['Amount'] = extended - discount;
  } else {
    errors[`${path}.Amount`] = "'Amount' cannot be empty: send Amount, or Qty and UnitPrice.";
  }
}

/** Checks a credit memo's pending applications against the open documents they name. */
function checkCreditMemoApplications(record: PlainRecord, ctx: TenantContext, errors: FieldErrors): void {
  const amount = units(record, 'Amount') ?? 0n;
  let remaining =
    amount -
    sumUnits(
      rows(record, 'ApplicationsCreditMemo')
        .filter((row) => row['__released'] === true)
        .map((row) => units(row, 'AmountPaid') ?? 0n),
    );
  rows(record, 'ApplicationsCreditMemo').forEach((row, index) => {
    if (row['__released'] === true) return;
    const path = `ApplicationsCreditMemo[${index}]`;
    row['DocType'] = text(row, 'DocType') ?? 'Invoice';
    if (row['DocType'] !== 'Invoice' && row['DocType'] !== 'Debit Memo') {
      oneOf(row, 'DocType', ['Invoice', 'Debit Memo'], errors, `${path}.DocType`);
      return;
    }
    const referenceNbr = required(row, 'ReferenceNbr', errors, `${path}.ReferenceNbr`);
    if (referenceNbr === undefined) return;
    const target = findArDocument(ctx, String(row['DocType']), referenceNbr)?.record;
    if (target?.['__released'] !== true || String(target[target['Customer'] !== undefined ? 'Customer' : 'CustomerID']) !== String(record['Customer'])) {
      errors[`${path}.ReferenceNbr`] = `${notFound('ReferenceNbr', referenceNbr)} Only released documents of the same customer with a balance can be applied.`;
      return;
    }
    if (documentCurrency(target) !== documentCurrency(record))
      errors[`${path}.ReferenceNbr`] = `The document ${referenceNbr} is in ${documentCurrency(target)}, the credit memo in ${documentCurrency(record)}.`;
    const balance = units(target, 'Balance') ?? 0n;
    const paid = typeof row['AmountPaid'] === 'bigint' ? row['AmountPaid'] : balance < remaining ? balance : remaining;
    row['AmountPaid'] = roundUnits(paid, currencyDecimals(documentCurrency(record)));
    if (paid <= 0n) errors[`${path}.AmountPaid`] = 'The amount paid must be greater than zero.';
    else if (paid > balance)
      errors[`${path}.AmountPaid`] = `The amount paid (${unitsToText(paid)}) exceeds the balance of ${referenceNbr} (${unitsToText(balance)}).`;
    remaining -= paid;
    row['Balance'] = balance;
    row['ReferenceNbr'] = target['ReferenceNbr'] as string;
    row['Customer'] = record['Customer'] as string;
    row['CustomerOrder'] = (target['CustomerOrder'] as string | undefined) ?? null;
    row['Description'] = (target['Description'] as string | undefined) ?? null;
    row['Status'] = target['Status'] as string;
    if (target['PostPeriod'] !== undefined) row['PostPeriod'] = target['PostPeriod'] as string;
  });
  if (remaining < 0n) errors['ApplicationsCreditMemo'] = 'The total applied exceeds the credit memo amount.';
}

function releaseCreditMemoApplications(record: PlainRecord, ctx: TenantContext): void {
  for (const row of rows(record, 'ApplicationsCreditMemo')) {
    if (row['__released'] === true) continue;
    const target = findArDocument(ctx, String(row['DocType']), String(row['ReferenceNbr']))!.record;
    const paid = units(row, 'AmountPaid') ?? 0n;
    applyToBalance(ctx, target, paid);
    record['Balance'] = (units(record, 'Balance') ?? 0n) - paid;
    row['__released'] = true;
    row['Balance'] = units(target, 'Balance') ?? 0n;
    row['Status'] = target['Status'] as string;
  }
  record['Status'] = (units(record, 'Balance') ?? 0n) > 0n ? 'Open' : 'Closed';
}
