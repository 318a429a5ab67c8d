/**
 * Voiding a released payment or customer refund on Payments and Applications (AR302000): the
 * contract's `VoidPayment` action (ARPaymentEntry.VoidCheck) creates the voiding document, of type
 * Voided Payment (of a payment or prepayment) or Voided Refund (of a customer refund), under the
 * same ReferenceNbr, listing the applications it reverses in its DocumentsToApply; it is on hold
 * as the tenant's "Hold Documents on Entry" says. Releasing it (`ReleasePayment`) reverses them:
 * the invoices the payment paid are open again for what it paid, the credit memos (or payments) a
 * refund paid out have that balance back. Then, and not before, the payment is Voided (Acumatica's
 * help: "Release the voided payment document" completes the void).
 *
 * Refused as Acumatica refuses them: a payment not released (deleted instead, as on the form), one
 * Voided already, one a customer refund was applied to (the refund is voided first), a credit
 * memo's payment side (reversed on Invoices and Memos). A VoidPayment of a payment whose voiding
 * document is there already opens that document again (VoidCheck finds it) and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { sumUnits } from './decimal.js';
import { badRequest } from './errors.js';
import { applyToBalance } from './ar.js';
import { formatDateTime, type PlainRecord } from './openapi.js';
import { findApplicable, historyRow } from './payment.js';
import { rows, text, units } from './rules.js';
import type { FieldErrors, TenantContext } from './tenant.js';

/** The voiding document each payment type gets (ARPaymentType.GetVoidingARDocType). */
export const VOIDING_TYPES: Readonly<Record<string, string>> = {
  Payment: 'Voided Payment',
  Prepayment: 'Voided Payment',
  'Customer Refund': 'Voided Refund',
};

/** Fields of an unreleased voiding document a PUT may change; the rest is the voided payment's. */
const VOIDING_EDITABLE = ['id', 'note', 'Type', 'ReferenceNbr', 'Hold', 'ApplicationDate', 'Description'];

/** The payment type a voiding document voids, when `record` is one. */
export function voidedTypeOf(record: PlainRecord): string | undefined {
  return typeof record['__voids'] === 'string' ? record['__voids'] : undefined;
}

export function isVoidingType(type: string | undefined): boolean {
  return type !== undefined && Object.values(VOIDING_TYPES).includes(type);
}

/** `VoidPayment` on `record` (a working copy of the payment the action names). */
export function voidPayment(record: PlainRecord, ctx: TenantContext): void {
  const type = String(record['Type']);
  const voidingType = VOIDING_TYPES[type];
  const referenceNbr = String(record['ReferenceNbr']);
  if (!voidingType) {
    throw badRequest(
      type === 'Credit Memo'
        ? 'A credit memo is reversed on the Invoices and Memos form (AR301000); it cannot be voided here.'
        : `A document of the ${type} type cannot be voided.`,
      'PX.Data.PXException',
    );
  }
  if (record['Status'] === 'Voided') throw badRequest('The document has already been voided.', 'PX.Data.PXException');
  if (record['__released'] !== true) throw badRequest('The document has not been released: delete it instead of voiding it.', 'PX.Data.PXException');
  if (ctx.lookup('Payment', { Type: voidingType, ReferenceNbr: referenceNbr })) return;
  if ((units(record, '__refunded') ?? 0n) > 0n) {
    throw badRequest(
      `The payment ${referenceNbr} has been refunded: void the customer refund applied to it before voiding the payment.`,
      'PX.Data.PXException',
    );
  }
  // Unreleased applications of the payment are deleted first, as VoidCheck does.
  const pending = sumUnits(rows(record, 'DocumentsToApply').map((row) => units(row, 'AmountPaid') ?? 0n));
  record['DocumentsToApply'] = [];
  record['AvailableBalance'] = (units(record, 'AvailableBalance') ?? 0n) + pending;
  record['AppliedToDocuments'] = (units(record, 'AppliedToDocuments') ?? 0n) - pending;

  const reversed = rows(record, 'ApplicationHistory').map((row) => ({
    id: randomUUID(),
    DocType: String(row['AdjustedDocType']),
    ReferenceNbr: String(row['AdjustedRefNbr']),
    AmountPaid: units(row, 'AmountPaid') ?? 0n,
    CustomerOrder: (row['CustomerOrder'] as string | null | undefined) ?? null,
    Description: (row['Description'] as string | null | undefined) ?? null,
  }));
  const hold = ctx.config.holdDocumentsOnEntry;
  ctx.store.put('Payment', {
    id: randomUUID(),
    Type: voidingType,
    ReferenceNbr: referenceNbr,
    CustomerID: String(record['CustomerID']),
    Branch: record['Branch'] ?? null,
    BranchID: record['BranchID'] ?? null,
    CurrencyID: String(record['CurrencyID']),
    __currency: record['__currency'],
    PaymentMethod: record['PaymentMethod'] ?? null,
    CashAccount: record['CashAccount'] ?? null,
    PaymentRef: record['PaymentRef'] ?? null,
    Description: record['Description'] ?? null,
    ApplicationDate: ctx.today(),
    Hold: hold,
    Status: hold ? 'On Hold' : 'Balanced',
    PaymentAmount: -(units(record, 'PaymentAmount') ?? 0n),
    AppliedToDocuments: -sumUnits(reversed.map((row) => row.AmountPaid)),
    AvailableBalance: 0n,
    DocumentsToApply: reversed,
    ApplicationHistory: [],
    LastModifiedDateTime: formatDateTime(ctx.now()),
    __voids: type,
    __adjCntr: 0,
  });
}

/** A PUT to an unreleased voiding document: only its hold, date and description change. */
export function prepareVoiding(record: PlainRecord, previous: PlainRecord, incoming: PlainRecord): FieldErrors {
  const errors: FieldErrors = {};
  for (const [field, value] of Object.entries(incoming)) {
    if (value === undefined || VOIDING_EDITABLE.includes(field)) continue;
    if (JSON.stringify(value, bigintText) !== JSON.stringify(previous[field], bigintText)) {
      errors[field] = `${field} cannot be changed: the document voids ${String(previous['__voids'])} ${String(previous['ReferenceNbr'])}.`;
    }
  }
  if (previous['__released'] === true) {
    for (const field of ['Hold', 'ApplicationDate']) {
      if (field in incoming && JSON.stringify(incoming[field]) !== JSON.stringify(previous[field]))
        errors[field] = `${field} cannot be changed: the document has been released.`;
    }
    return errors;
  }
  if (typeof record['Hold'] !== 'boolean') record['Hold'] = previous['Hold'];
  record['Status'] = record['Hold'] === true ? 'On Hold' : 'Balanced';
  return errors;
}

/** `ReleasePayment` of a voiding document: its applications are reversed and the payment is Voided. */
export function releaseVoiding(record: PlainRecord, ctx: TenantContext): void {
  if (record['__released'] === true) throw badRequest('The document has already been released.', 'PX.Data.PXException');
  if (record['Hold'] === true) throw badRequest('The document is on hold and cannot be released. Set Hold to false first.', 'PX.Data.PXException');
  const referenceNbr = String(record['ReferenceNbr']);
  const voided = ctx.lookup('Payment', { Type: String(record['__voids']), ReferenceNbr: referenceNbr });
  if (!voided || voided['Status'] === 'Voided') throw badRequest(`The document ${referenceNbr} has already been voided.`, 'PX.Data.PXException');
  const history: PlainRecord[] = [];
  for (const row of rows(record, 'DocumentsToApply')) {
    const target = findApplicable(ctx, String(row['DocType']), String(row['ReferenceNbr']));
    const paid = units(row, 'AmountPaid') ?? 0n;
    if (!target) continue;
    if (target['PaymentAmount'] !== undefined) {
      // A refund of a payment: what it took off the payment is the payment's again.
      target['__refunded'] = (units(target, '__refunded') ?? 0n) - paid;
      target['AvailableBalance'] = (units(target, 'AvailableBalance') ?? 0n) + paid;
      target['Status'] = 'Open';
      target['LastModifiedDateTime'] = formatDateTime(ctx.now());
    } else {
      applyToBalance(ctx, target, -paid);
    }
    history.push(historyRow(row, record, 0, -paid, units(target, target['PaymentAmount'] !== undefined ? 'AvailableBalance' : 'Balance') ?? 0n, ctx));
  }
  record['ApplicationHistory'] = history;
  record['DocumentsToApply'] = [];
  record['__adjCntr'] = 1;
  record['__released'] = true;
  record['Status'] = 'Closed';
  voided['Status'] = 'Voided';
  voided['AvailableBalance'] = 0n;
  voided['LastModifiedDateTime'] = formatDateTime(ctx.now());
}

/** A PUT that would create a voiding document: only VoidPayment creates one. */
export function refuseNewVoiding(record: PlainRecord, errors: FieldErrors): boolean {
  if (!isVoidingType(text(record, 'Type'))) return false;
  errors['Type'] = `A ${String(record['Type'])} document is created by voiding the payment (the Void action), not entered.`;
  return true;
}

function bigintText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
