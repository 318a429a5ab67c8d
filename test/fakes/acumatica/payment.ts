/**
 * Payments and Applications (AR302000), the `Payment` entity: payments, prepayments and customer
 * refunds (a refund is `Type: "Customer Refund"` applied to the credit memo or payment it pays
 * back). `DocumentsToApply` names open documents of the same customer and currency; applications
 * lower their balances when the payment is released (`ReleasePayment`). As in Acumatica, where
 * DocumentsToApply is the Adjustments view (the applications of the payment's current, unreleased
 * batch) and ApplicationHistory the released postings, releasing moves the batch from the one to the
 * other; a released payment takes further applications, released again, and never changes what it
 * already released (those rows are no longer among those it can be sent). `VoidPayment` and the
 * voiding documents it creates are in ./payment-void.ts.
 */
import { randomUUID } from 'node:crypto';
import { currencyDecimals, roundUnits, sumUnits, unitsToText } from './decimal.js';
import { badRequest } from './errors.js';
import { applyToBalance, documentCurrency, findArDocument } from './ar.js';
import type { PlainRecord } from './openapi.js';
import {
  branchExists,
  documentDate,
  enabledCurrency,
  notFound,
  oneOf,
  reference,
  releasedChanges,
  required,
  roundAmount,
  rows,
  text,
  trimToLength,
  units,
} from './rules.js';
import type { EntityBehaviour, FieldErrors, TenantContext } from './tenant.js';
import { prepareVoiding, refuseNewVoiding, releaseVoiding, voidedTypeOf, voidPayment } from './payment-void.js';

export const PAYMENT_TYPES = ['Payment', 'Prepayment', 'Customer Refund', 'Credit Memo'] as const;

/** What each payment type may be applied to. */
const APPLICABLE: Readonly<Record<string, readonly string[]>> = {
  Payment: ['Invoice', 'Debit Memo'],
  Prepayment: ['Invoice', 'Debit Memo'],
  'Customer Refund': ['Credit Memo', 'Payment', 'Prepayment'],
  'Credit Memo': ['Invoice', 'Debit Memo'],
};

/** A document a payment applies to: an AR invoice or memo, or (for refunds) another payment. */
export function findApplicable(ctx: TenantContext, docType: string, referenceNbr: string): PlainRecord | undefined {
  if (docType === 'Payment' || docType === 'Prepayment') return ctx.lookup('Payment', { Type: docType, ReferenceNbr: referenceNbr });
  return findArDocument(ctx, docType, referenceNbr)?.record;
}

function customerOf(record: PlainRecord): string {
  return String(record['Customer'] ?? record['CustomerID'] ?? '');
}

/** What is left of a document to apply or refund: an invoice's balance, a payment's unapplied amount. */
function openBalance(record: PlainRecord): bigint {
  return units(record, record['PaymentAmount'] !== undefined ? 'AvailableBalance' : 'Balance') ?? 0n;
}

export const paymentBehaviour: EntityBehaviour = {
  entity: 'Payment',
  keys: ['Type', 'ReferenceNbr'],
  autoNumber: { field: 'ReferenceNbr', assign: (ctx) => ctx.store.nextNumber('ARPAYMENT', 'PM') },
  prepare(record, ctx, previous, incoming) {
    const errors: FieldErrors = {};
    if ('ApplicationHistory' in incoming) {
      errors['ApplicationHistory'] = 'The application history is read-only: it lists the applications already released.';
      return errors;
    }
    // A voiding document (Voided Payment, Voided Refund: ./payment-void.ts) takes a hold, a date and a description.
    if (previous && voidedTypeOf(previous)) return prepareVoiding(record, previous, incoming);
    if (previous?.['__released'] === true) {
      // DocumentsToApply holds only the applications not yet released; released ones are history.
      releasedChanges(previous, incoming, ['Type', 'ReferenceNbr', 'DocumentsToApply', 'Description'], errors);
      if (Object.keys(errors).length === 0) checkApplications(record, ctx, errors);
      return errors;
    }
    record['Type'] = text(record, 'Type') ?? 'Payment';
    if (refuseNewVoiding(record, errors)) return errors;
    oneOf(record, 'Type', PAYMENT_TYPES, errors);
    if (previous && previous['Type'] !== record['Type']) errors['Type'] = 'Type cannot be changed.';
    if (record['Type'] === 'Credit Memo') {
      // Only the payment side of a released credit memo is here (creditMemoPayment); it is entered on AR301000.
      errors['Type'] = 'A credit memo is entered on the Invoices and Memos form (AR301000); once released, it is applied here.';
      return errors;
    }
    required(record, 'CustomerID', errors);
    const customer = reference(record, 'CustomerID', 'Customer', 'CustomerID', ctx, errors);
    if (customer?.['Status'] === 'Inactive') errors['CustomerID'] = `Customer '${String(customer['CustomerID'])}' is inactive.`;
    if (text(record, 'CurrencyID') === undefined && customer) record['CurrencyID'] = String(customer['CurrencyID'] ?? ctx.config.baseCurrency);
    const currency = enabledCurrency(record, 'CurrencyID', ctx, errors);
    record['__currency'] = currency;
    documentBranch(record, incoming, ctx, errors);

    required(record, 'PaymentMethod', errors);
    const method = reference(record, 'PaymentMethod', 'PaymentMethod', 'PaymentMethodID', ctx, errors);
    if (method && method['UseInAR'] === false) errors['PaymentMethod'] = `Payment Method '${String(method['PaymentMethodID'])}' is not used in AR.`;
    if (method) cashAccount(record, method, errors);

    documentDate(record, 'ApplicationDate', ctx);
    if (typeof record['Hold'] !== 'boolean') record['Hold'] = ctx.config.holdDocumentsOnEntry;
    trimToLength(record, 'PaymentRef', 40);
    trimToLength(record, 'ExternalRef', 40);
    trimToLength(record, 'Description', 256);
    const amount = roundAmount(record, 'PaymentAmount', currency, ctx, 'Payment');
    if (amount <= 0n) errors['PaymentAmount'] = "'Payment Amount' must be greater than 0.";
    checkApplications(record, ctx, errors);
    return errors;
  },
  actions: {
    ReleasePayment: (record, ctx) => {
      if (voidedTypeOf(record)) {
        releaseVoiding(record, ctx);
        return;
      }
      if (record['Hold'] === true) throw badRequest('The document is on hold and cannot be released. Set Hold to false first.', 'PX.Data.PXException');
      const pending = rows(record, 'DocumentsToApply');
      if (record['__released'] === true && pending.length === 0) throw badRequest('The document has already been released.', 'PX.Data.PXException');
      const errors: FieldErrors = {};
      checkApplications(record, ctx, errors);
      if (record['Type'] === 'Customer Refund' && (units(record, 'AvailableBalance') ?? 0n) !== 0n) {
        errors[''] = 'The document is out of balance: a customer refund must be applied in full to the documents it refunds.';
      }
      const problems = Object.values(errors);
      if (problems.length > 0) throw badRequest(problems.join(' '), 'PX.Data.PXException');
      // The batch of applications released now (ARAdjust.AdjNbr = the payment's AdjCntr) leaves
      // DocumentsToApply (the Adjustments view: this batch only) for ApplicationHistory (released postings).
      const batch = Number(record['__adjCntr'] ?? 0);
      const history = rows(record, 'ApplicationHistory');
      const creditMemo = creditMemoOf(record, ctx);
      for (const row of pending) {
        const target = findApplicable(ctx, String(row['DocType']), String(row['ReferenceNbr']))!;
        const paid = units(row, 'AmountPaid') ?? 0n;
        if (target['PaymentAmount'] !== undefined) {
          target['__refunded'] = (units(target, '__refunded') ?? 0n) + paid;
          target['AvailableBalance'] = (units(target, 'AvailableBalance') ?? 0n) - paid;
          target['Status'] = (units(target, 'AvailableBalance') ?? 0n) > 0n ? 'Open' : 'Closed';
        } else {
          applyToBalance(ctx, target, paid);
        }
        history.push(historyRow(row, record, batch, paid, openBalance(target), ctx));
        if (creditMemo) releaseOnCreditMemo(ctx, creditMemo, row, target, paid);
      }
      record['ApplicationHistory'] = history;
      record['DocumentsToApply'] = [];
      record['__adjCntr'] = batch + 1;
      record['__released'] = true;
      if (creditMemo) record['AvailableBalance'] = units(creditMemo, 'Balance') ?? 0n;
      record['Status'] = (units(record, 'AvailableBalance') ?? 0n) > 0n ? 'Open' : 'Closed';
    },
    VoidPayment: voidPayment,
  },
  deleteRefusal: (record) => (record['__released'] === true ? 'The document has been released and cannot be deleted.' : undefined),
};

/**
 * The payment side of a credit memo released on AR301000: Acumatica keeps a released credit memo as a
 * payment document too (ARPayment, type CRM), and applies it to further invoices here, on Payments
 * and Applications, as its own form lists applications only while it is unreleased
 * (ARInvoiceEntry.Adjustments_1). Its history starts with the applications released with it; its
 * balance is the credit memo's.
 */
export function creditMemoPayment(memo: PlainRecord, ctx: TenantContext): PlainRecord {
  const released = rows(memo, 'ApplicationsCreditMemo').filter((row) => row['__released'] === true);
  const amount = units(memo, 'Amount') ?? 0n;
  const balance = units(memo, 'Balance') ?? 0n;
  // The Invoice entity has no header branch field: the memo's payment side is in its lines' branch.
  const branch = String(rows(memo, 'Details')[0]?.['Branch'] ?? ctx.config.defaultBranch);
  return {
    id: randomUUID(),
    Type: 'Credit Memo',
    ReferenceNbr: String(memo['ReferenceNbr']),
    CustomerID: String(memo['Customer']),
    Branch: branch,
    BranchID: branch,
    CurrencyID: documentCurrency(memo),
    __currency: documentCurrency(memo),
    ApplicationDate: String(memo['Date'] ?? ctx.today()),
    Description: (memo['Description'] as string | undefined) ?? null,
    Hold: false,
    PaymentAmount: amount,
    AppliedToDocuments: amount - balance,
    AvailableBalance: balance,
    Status: String(memo['Status']),
    DocumentsToApply: [],
    ApplicationHistory: released.map((row) =>
      historyRow(row, { ...memo, ApplicationDate: memo['Date'] }, 0, units(row, 'AmountPaid') ?? 0n, units(row, 'Balance') ?? 0n, ctx),
    ),
    __adjCntr: 1,
    __released: true,
  };
}

/** The credit memo (AR301000) a `Credit Memo` payment document is the payment side of. */
function creditMemoOf(record: PlainRecord, ctx: TenantContext): PlainRecord | undefined {
  if (record['Type'] !== 'Credit Memo') return undefined;
  return findArDocument(ctx, 'Credit Memo', String(record['ReferenceNbr']))?.record;
}

/** An application released from the payment side lowers the credit memo's balance and joins its applications. */
function releaseOnCreditMemo(ctx: TenantContext, memo: PlainRecord, row: PlainRecord, target: PlainRecord, paid: bigint): void {
  applyToBalance(ctx, memo, paid);
  const applied = rows(memo, 'ApplicationsCreditMemo');
  applied.push({
    id: randomUUID(),
    DocType: String(row['DocType']),
    ReferenceNbr: String(target['ReferenceNbr']),
    AmountPaid: paid,
    Balance: units(target, 'Balance') ?? 0n,
    Customer: String(memo['Customer']),
    CustomerOrder: (target['CustomerOrder'] as string | undefined) ?? null,
    Description: (target['Description'] as string | undefined) ?? null,
    Status: String(target['Status']),
    __released: true,
  });
  memo['ApplicationsCreditMemo'] = applied;
}

/** A released application as ApplicationHistory lists it; `balance` is what the adjusted document still owes. */
export function historyRow(row: PlainRecord, adjusting: PlainRecord, batch: number, paid: bigint, balance: bigint, ctx: TenantContext): PlainRecord {
  return {
    id: randomUUID(),
    AdjustedDocType: String(row['DocType']),
    AdjustedRefNbr: String(row['ReferenceNbr']),
    AdjustingDocType: String(adjusting['Type']),
    AdjustingRefNbr: String(adjusting['ReferenceNbr']),
    AdjustmentNbr: batch,
    AmountPaid: paid,
    Balance: balance,
    CurrencyID: String(adjusting['__currency'] ?? adjusting['CurrencyID'] ?? ctx.config.baseCurrency),
    Customer: customerOf(adjusting),
    CustomerOrder: (row['CustomerOrder'] as string | null | undefined) ?? null,
    Date: String(adjusting['ApplicationDate'] ?? ctx.today()),
    Description: (row['Description'] as string | null | undefined) ?? null,
    DisplayDocType: String(row['DocType']),
    DisplayRefNbr: String(row['ReferenceNbr']),
  };
}

/**
 * The contract's `Branch` and `BranchID` of a payment are one field, CurrentDocument.BranchID (the
 * endpoint maps both to it): whichever a request sends sets both, and a payment sent with neither is
 * in the branch the user works in (the tenant's default branch here).
 */
function documentBranch(record: PlainRecord, incoming: PlainRecord, ctx: TenantContext, errors: FieldErrors): void {
  const field = text(incoming, 'Branch') !== undefined || text(incoming, 'BranchID') === undefined ? 'Branch' : 'BranchID';
  record[field] = text(incoming, field) ?? text(record, 'Branch') ?? ctx.config.defaultBranch;
  branchExists(record, field, ctx, errors);
  record[field === 'Branch' ? 'BranchID' : 'Branch'] = record[field];
}

function cashAccount(record: PlainRecord, method: PlainRecord, errors: FieldErrors): void {
  const allowed = rows(method, 'AllowedCashAccounts').filter((row) => row['UseInAR'] !== false);
  const wanted = text(record, 'CashAccount');
  if (wanted === undefined) {
    const preferred =
      allowed.find((row) => (record['Type'] === 'Customer Refund' ? row['ARDefaultForRefund'] === true : false)) ??
      allowed.find((row) => row['ARDefault'] === true);
    if (preferred) record['CashAccount'] = String(preferred['CashAccount']);
    else errors['CashAccount'] = "'Cash Account' cannot be empty.";
    return;
  }
  const found = allowed.find((row) => String(row['CashAccount']).toUpperCase() === wanted.toUpperCase());
  if (!found)
    errors['CashAccount'] = `${notFound('CashAccount', wanted)} It is not a cash account of Payment Method '${String(method['PaymentMethodID'])}' used in AR.`;
  else record['CashAccount'] = String(found['CashAccount']);
}

/** Checks the applications not yet released and computes the applied and available amounts. */
function checkApplications(record: PlainRecord, ctx: TenantContext, errors: FieldErrors): void {
  const currency = String(record['__currency'] ?? ctx.config.baseCurrency);
  const amount = units(record, 'PaymentAmount') ?? 0n;
  const applications = rows(record, 'DocumentsToApply');
  const refunded = units(record, '__refunded') ?? 0n;
  const released = sumUnits(rows(record, 'ApplicationHistory').map((row) => units(row, 'AmountPaid') ?? 0n));
  // A credit memo's payment side has what the credit memo still has (refunds and its own applications are off it).
  const creditMemo = creditMemoOf(record, ctx);
  const left = creditMemo ? (units(creditMemo, 'Balance') ?? 0n) : amount - refunded - released;
  let remaining = left;
  const allowedTypes = APPLICABLE[String(record['Type'])] ?? [];
  applications.forEach((row, index) => {
    const path = `DocumentsToApply[${index}]`;
    row['DocType'] = text(row, 'DocType') ?? allowedTypes[0] ?? 'Invoice';
    if (!allowedTypes.includes(String(row['DocType']))) {
      oneOf(row, 'DocType', allowedTypes, errors, `${path}.DocType`);
      return;
    }
    const referenceNbr = required(row, 'ReferenceNbr', errors, `${path}.ReferenceNbr`);
    if (referenceNbr === undefined) return;
    const target = findApplicable(ctx, String(row['DocType']), referenceNbr);
    if (target?.['__released'] !== true || customerOf(target).toUpperCase() !== customerOf(record).toUpperCase()) {
      errors[`${path}.ReferenceNbr`] =
        `${notFound('ReferenceNbr', referenceNbr)} Only released ${String(row['DocType'])} documents of customer ${customerOf(record)} can be applied.`;
      return;
    }
    if (documentCurrency(target) !== currency) {
      errors[`${path}.ReferenceNbr`] = `The document ${referenceNbr} is in ${documentCurrency(target)}, the payment in ${currency}.`;
      return;
    }
    const balance = openBalance(target);
    const pendingElsewhere = sumUnits(
      applications
        .filter((other, otherIndex) => otherIndex < index && other['ReferenceNbr'] === target['ReferenceNbr'] && other['DocType'] === row['DocType'])
        .map((other) => units(other, 'AmountPaid') ?? 0n),
    );
    const available = balance - pendingElsewhere;
    const paid = roundUnits(
      typeof row['AmountPaid'] === 'bigint' ? row['AmountPaid'] : available < remaining ? available : remaining,
      currencyDecimals(currency),
    );
    row['AmountPaid'] = paid;
    if (paid <= 0n) errors[`${path}.AmountPaid`] = 'The amount paid must be greater than zero.';
    else if (paid > available)
      errors[`${path}.AmountPaid`] = `The amount paid (${unitsToText(paid)}) exceeds the balance of ${referenceNbr} (${unitsToText(available)}).`;
    remaining -= paid;
    row['ReferenceNbr'] = String(target['ReferenceNbr']);
    row['Balance'] = balance;
    row['CustomerOrder'] = (target['CustomerOrder'] as string | undefined) ?? (target['PaymentRef'] as string | undefined) ?? null;
    row['Description'] = (target['Description'] as string | undefined) ?? null;
  });
  if (remaining < 0n)
    errors['DocumentsToApply'] = `The applications (${unitsToText(left - remaining)}) exceed what is left of the payment (${unitsToText(left)}).`;
  const pending = sumUnits(applications.map((row) => units(row, 'AmountPaid') ?? 0n));
  record['AppliedToDocuments'] = creditMemo ? amount - left + pending : released + pending;
  record['AvailableBalance'] = left - pending;
  if (record['__released'] !== true) record['Status'] = record['Hold'] === true ? 'On Hold' : 'Balanced';
}
