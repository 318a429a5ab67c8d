/**
 * The tenant's reference data, which the connector reads for preflight checks and which documents
 * point at: GL accounts, subaccounts, taxes, tax categories, payment methods with their cash accounts
 * (cash accounts have no entity of their own in Default/24.200.001: they are the
 * `AllowedCashAccounts` of a payment method) and ledgers. Branches are served by the
 * CompaniesStructure inquiry (./server.ts). Segmented keys are stored upper case.
 */
import { documentDate, maxLength, oneOf, required, rows, text } from './rules.js';
import type { EntityBehaviour, FieldErrors } from './tenant.js';

export const ACCOUNT_TYPES = ['Asset', 'Liability', 'Income', 'Expense'] as const;

export const accountBehaviour: EntityBehaviour = {
  entity: 'Account',
  keys: ['AccountCD'],
  upperCaseKeys: ['AccountCD'],
  prepare(record, ctx) {
    const errors: FieldErrors = {};
    required(record, 'AccountCD', errors);
    maxLength(record, 'AccountCD', 10, errors);
    required(record, 'Description', errors);
    required(record, 'Type', errors);
    oneOf(record, 'Type', ACCOUNT_TYPES, errors);
    if (typeof record['Active'] !== 'boolean') record['Active'] = true;
    if (typeof record['CashAccount'] !== 'boolean') record['CashAccount'] = false;
    if (!record['AccountID']) record['AccountID'] = ctx.store.nextInteger('AccountID', 1000);
    return errors;
  },
};

export const subaccountBehaviour: EntityBehaviour = {
  entity: 'Subaccount',
  keys: ['SubaccountCD'],
  upperCaseKeys: ['SubaccountCD'],
  prepare(record, ctx) {
    const errors: FieldErrors = {};
    required(record, 'SubaccountCD', errors);
    maxLength(record, 'SubaccountCD', 30, errors);
    if (typeof record['Active'] !== 'boolean') record['Active'] = true;
    if (!record['SubaccountID']) record['SubaccountID'] = ctx.store.nextInteger('SubaccountID', 400);
    return errors;
  },
};

export const taxCategoryBehaviour: EntityBehaviour = {
  entity: 'TaxCategory',
  keys: ['TaxCategoryID'],
  upperCaseKeys: ['TaxCategoryID'],
  prepare(record) {
    const errors: FieldErrors = {};
    required(record, 'TaxCategoryID', errors);
    maxLength(record, 'TaxCategoryID', 15, errors);
    if (typeof record['Active'] !== 'boolean') record['Active'] = true;
    return errors;
  },
};

/** Taxes (TX205000). The endpoint has no `Active` for them: a tax stops applying after `NotValidAfter` (Tax.OutDate). */
export const taxBehaviour: EntityBehaviour = {
  entity: 'Tax',
  keys: ['TaxID'],
  upperCaseKeys: ['TaxID'],
  prepare(record, ctx) {
    const errors: FieldErrors = {};
    required(record, 'TaxID', errors);
    maxLength(record, 'TaxID', 30, errors);
    record['TaxType'] = text(record, 'TaxType') ?? 'Sales';
    // Acumatica defaults Not Valid After to 06/06/9999: valid until someone sets a date.
    documentDate(record, 'NotValidAfter', ctx, '9999-06-06');
    return errors;
  },
};

export const paymentMethodBehaviour: EntityBehaviour = {
  entity: 'PaymentMethod',
  keys: ['PaymentMethodID'],
  upperCaseKeys: ['PaymentMethodID'],
  detailKeys: { AllowedCashAccounts: 'CashAccount' },
  prepare(record) {
    const errors: FieldErrors = {};
    const id = required(record, 'PaymentMethodID', errors);
    maxLength(record, 'PaymentMethodID', 10, errors);
    if (typeof record['Active'] !== 'boolean') record['Active'] = true;
    if (typeof record['UseInAR'] !== 'boolean') record['UseInAR'] = true;
    if (typeof record['UseInAP'] !== 'boolean') record['UseInAP'] = false;
    record['MeansOfPayment'] = text(record, 'MeansOfPayment') ?? 'Cash/Check';
    rows(record, 'AllowedCashAccounts').forEach((row, index) => {
      const cash = required(row, 'CashAccount', errors, `AllowedCashAccounts[${index}].CashAccount`);
      if (cash !== undefined) row['CashAccount'] = cash.toUpperCase();
      row['PaymentMethod'] = id ?? null;
      for (const field of ['UseInAR', 'UseInAP', 'ARDefault', 'APDefault', 'ARDefaultForRefund']) {
        if (typeof row[field] !== 'boolean') row[field] = field === 'UseInAR';
      }
    });
    return errors;
  },
};

export const ledgerBehaviour: EntityBehaviour = {
  entity: 'Ledger',
  keys: ['LedgerID'],
  upperCaseKeys: ['LedgerID'],
  prepare(record, ctx) {
    const errors: FieldErrors = {};
    required(record, 'LedgerID', errors);
    record['Type'] = text(record, 'Type') ?? 'Actual';
    oneOf(record, 'Type', ['Actual', 'Budget', 'Reporting', 'Statistical'], errors);
    record['Currency'] = text(record, 'Currency') ?? ctx.config.baseCurrency;
    return errors;
  },
};
