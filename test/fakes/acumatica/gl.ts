/**
 * Journal Transactions (GL301000), the `JournalTransaction` entity: GL batches keyed by Module and
 * BatchNbr, numbered by the tenant. Lines name existing accounts, subaccounts and branches; a batch
 * taken off hold must balance (debits = credits, in the batch currency's precision). Release posts
 * it (the default "Automatically Post on Release").
 */
import { sumUnits, unitsToText } from './decimal.js';
import { badRequest } from './errors.js';
import type { PlainRecord } from './openapi.js';
import {
  branchExists,
  documentDate,
  enabledCurrency,
  trimToLength,
  financialPeriod,
  reference,
  releasedChanges,
  required,
  roundAmount,
  rows,
  text,
  units,
} from './rules.js';
import type { EntityBehaviour, FieldErrors } from './tenant.js';

export const journalTransactionBehaviour: EntityBehaviour = {
  entity: 'JournalTransaction',
  keys: ['Module', 'BatchNbr'],
  detailKeys: { Details: 'LineNbr' },
  autoNumber: { field: 'BatchNbr', assign: (ctx) => ctx.store.nextNumber('BATCH', 'GL') },
  prepare(record, ctx, previous, incoming) {
    const errors: FieldErrors = {};
    if (previous?.['__released'] === true) {
      releasedChanges(previous, incoming, ['Module', 'BatchNbr'], errors);
      return errors;
    }
    record['Module'] = (text(record, 'Module') ?? 'GL').toUpperCase();
    if (record['Module'] !== 'GL')
      errors['Module'] = `Batches of module ${String(record['Module'])} are created by their module's documents; enter GL batches only.`;
    const date = documentDate(record, 'TransactionDate', ctx);
    financialPeriod(record, date, errors);
    const currency = enabledCurrency(record, 'CurrencyID', ctx, errors);
    record['__currency'] = currency;
    record['LedgerID'] = text(record, 'LedgerID') ?? ctx.config.defaultLedger;
    reference(record, 'LedgerID', 'Ledger', 'LedgerID', ctx, errors);
    record['BranchID'] = text(record, 'BranchID') ?? ctx.config.defaultBranch;
    branchExists(record, 'BranchID', ctx, errors, 'BranchID');
    if (typeof record['Hold'] !== 'boolean') record['Hold'] = ctx.config.holdDocumentsOnEntry;
    trimToLength(record, 'Description', 256);

    const lines = rows(record, 'Details');
    let nextLine = Math.max(0, ...lines.map((line) => (typeof line['LineNbr'] === 'number' ? line['LineNbr'] : 0))) + 1;
    lines.forEach((line, index) => {
      const path = `Details[${index}]`;
      if (typeof line['LineNbr'] !== 'number') line['LineNbr'] = nextLine++;
      required(line, 'Account', errors, `${path}.Account`);
      reference(line, 'Account', 'Account', 'AccountCD', ctx, errors, `${path}.Account`);
      line['Subaccount'] = text(line, 'Subaccount') ?? ctx.config.defaultSubaccount;
      reference(line, 'Subaccount', 'Subaccount', 'SubaccountCD', ctx, errors, `${path}.Subaccount`);
      line['BranchID'] = text(line, 'BranchID') ?? String(record['BranchID']);
      branchExists(line, 'BranchID', ctx, errors, `${path}.BranchID`);
      const debit = roundAmount(line, 'DebitAmount', currency, ctx, 'JournalTransaction', `${path}.DebitAmount`);
      const credit = roundAmount(line, 'CreditAmount', currency, ctx, 'JournalTransaction', `${path}.CreditAmount`);
      if (debit < 0n || credit < 0n) errors[`${path}.DebitAmount`] = 'Debit and credit amounts cannot be negative.';
      trimToLength(line, 'TransactionDescription', 256);
      trimToLength(line, 'ReferenceNbr', 15);
    });
    const { debit, credit } = totals(record);
    if (record['Hold'] === false && debit !== credit) {
      errors[''] = `Batch is out of balance, please review. Debit total ${unitsToText(debit)}, credit total ${unitsToText(credit)}.`;
    }
    record['Status'] = record['Hold'] === true ? 'On Hold' : 'Balanced';
    return errors;
  },
  actions: {
    ReleaseJournalTransaction: (record) => {
      if (record['__released'] === true) throw badRequest('The batch has already been released.', 'PX.Data.PXException');
      if (record['Hold'] === true) throw badRequest('The batch is on hold and cannot be released. Set Hold to false first.', 'PX.Data.PXException');
      const { debit, credit } = totals(record);
      if (debit !== credit) throw badRequest('Batch is out of balance, please review.', 'PX.Data.PXException');
      record['__released'] = true;
      record['Status'] = 'Posted';
    },
  },
  deleteRefusal: (record) => (record['__released'] === true ? 'The batch has been released and cannot be deleted.' : undefined),
};

function totals(record: PlainRecord): { debit: bigint; credit: bigint } {
  const lines = rows(record, 'Details');
  return { debit: sumUnits(lines.map((line) => units(line, 'DebitAmount') ?? 0n)), credit: sumUnits(lines.map((line) => units(line, 'CreditAmount') ?? 0n)) };
}
