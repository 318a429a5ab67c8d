/**
 * The reference data a fresh fake tenant starts with: a small chart of accounts, the default
 * subaccount, one branch, tax categories, the taxes the example pipeline maps Chargebee's tax names
 * to, payment methods with their cash accounts, the actual ledger. Every list can be replaced through the `seed` option.
 */
import { randomUUID } from 'node:crypto';
import type { PlainRecord } from './openapi.js';
import { BRANCHES } from './rules.js';
import type { Tenant } from './tenant.js';

export interface SeedAccount {
  AccountCD: string;
  Description: string;
  Type: 'Asset' | 'Liability' | 'Income' | 'Expense';
  Active?: boolean;
  CashAccount?: boolean;
  CurrencyID?: string;
}

export interface SeedBranch {
  BranchID: string;
  BranchName: string;
  Active?: boolean;
  CompanyID?: string;
  CompanyName?: string;
  BaseCurrencyID?: string;
  BranchCountry?: string;
}

export interface SeedCashAccount {
  CashAccount: string;
  UseInAR?: boolean;
  ARDefault?: boolean;
  ARDefaultForRefund?: boolean;
  Branch?: string;
}

export interface SeedTax {
  TaxID: string;
  Description: string;
  TaxType?: string;
  /** `YYYY-MM-DD`; Acumatica's default is 9999-06-06. */
  NotValidAfter?: string;
}

export interface SeedPaymentMethod {
  PaymentMethodID: string;
  Description: string;
  Active?: boolean;
  UseInAR?: boolean;
  MeansOfPayment?: string;
  AllowedCashAccounts: SeedCashAccount[];
}

export interface FakeAcumaticaSeed {
  accounts: SeedAccount[];
  subaccounts: { SubaccountCD: string; Description: string; Active?: boolean }[];
  branches: SeedBranch[];
  taxCategories: { TaxCategoryID: string; Description: string; Active?: boolean }[];
  taxes: SeedTax[];
  paymentMethods: SeedPaymentMethod[];
  ledgers: { LedgerID: string; Description: string; Type?: string }[];
}

export const DEFAULT_SEED: FakeAcumaticaSeed = {
  accounts: [
    { AccountCD: '10100', Description: 'Petty Cash', Type: 'Asset', CashAccount: true },
    { AccountCD: '10200', Description: 'Company Checking Account', Type: 'Asset', CashAccount: true },
    { AccountCD: '10250', Description: 'Card Processor Clearing', Type: 'Asset', CashAccount: true },
    { AccountCD: '11000', Description: 'Accounts Receivable', Type: 'Asset' },
    { AccountCD: '23100', Description: 'Sales Tax Payable', Type: 'Liability' },
    { AccountCD: '24000', Description: 'Deferred Revenue', Type: 'Liability' },
    { AccountCD: '40000', Description: 'Subscription Revenue', Type: 'Income' },
    { AccountCD: '40100', Description: 'Services Revenue', Type: 'Income' },
    { AccountCD: '40200', Description: 'One-time Charges', Type: 'Income' },
    { AccountCD: '49000', Description: 'Sales Discounts', Type: 'Income' },
    { AccountCD: '49900', Description: 'Retired Revenue Account', Type: 'Income', Active: false },
  ],
  subaccounts: [{ SubaccountCD: '000000', Description: 'Default' }],
  branches: [{ BranchID: 'MAIN', BranchName: 'Head Office' }],
  taxCategories: [
    { TaxCategoryID: 'TAXABLE', Description: 'Taxable goods and services' },
    { TaxCategoryID: 'EXEMPT', Description: 'Tax exempt' },
  ],
  taxes: [
    { TaxID: 'NYSTATE', Description: 'New York State sales tax' },
    { TaxID: 'CASTATE', Description: 'California State sales tax' },
    { TaxID: 'ORSTATE', Description: 'Oregon State tax' },
    { TaxID: 'DEVAT19', Description: 'Germany VAT 19%', TaxType: 'VAT' },
    { TaxID: 'FRTVA20', Description: 'France TVA 20%', TaxType: 'VAT' },
    { TaxID: 'UKVAT20', Description: 'UK VAT 20%', TaxType: 'VAT' },
    { TaxID: 'NLBTW21', Description: 'Netherlands BTW 21%', TaxType: 'VAT' },
    { TaxID: 'JPCT10', Description: 'Japan consumption tax 10%', TaxType: 'VAT' },
    { TaxID: 'KWVAT', Description: 'Kuwait VAT', TaxType: 'VAT' },
  ],
  paymentMethods: [
    {
      PaymentMethodID: 'CARD',
      Description: 'Card via payment gateway',
      MeansOfPayment: 'Credit Card',
      AllowedCashAccounts: [{ CashAccount: '10250', ARDefault: true, ARDefaultForRefund: true }],
    },
    { PaymentMethodID: 'ACH', Description: 'Direct debit', AllowedCashAccounts: [{ CashAccount: '10200', ARDefault: true }] },
    { PaymentMethodID: 'CHECK', Description: 'Check', AllowedCashAccounts: [{ CashAccount: '10200', ARDefault: true }] },
    { PaymentMethodID: 'WIRE', Description: 'Bank transfer', AllowedCashAccounts: [{ CashAccount: '10200', ARDefault: true }] },
    { PaymentMethodID: 'CASH', Description: 'Cash', AllowedCashAccounts: [{ CashAccount: '10100', ARDefault: true }] },
  ],
  ledgers: [{ LedgerID: 'ACTUAL', Description: 'Actual ledger' }],
};

/** Loads reference data through the tenant's own rules (so seeds obey the same checks as PUTs). */
export function seedTenant(tenant: Tenant, seed: FakeAcumaticaSeed, baseCurrency: string, company: string): void {
  for (const branch of seed.branches) {
    const row: PlainRecord = {
      id: randomUUID(),
      BranchID: branch.BranchID.toUpperCase(),
      BranchName: branch.BranchName,
      BranchStatus: branch.Active ?? true,
      BaseCurrencyID: branch.BaseCurrencyID ?? baseCurrency,
      BranchCountry: branch.BranchCountry ?? 'US',
      CompanyID: branch.CompanyID ?? company.toUpperCase(),
      CompanyName: branch.CompanyName ?? company,
      CompanyStatus: true,
      CompanyType: 'With Branches Not Requiring Balancing',
    };
    tenant.store.put(BRANCHES, row);
  }
  for (const account of seed.accounts) tenant.seed('Account', { ...account });
  for (const subaccount of seed.subaccounts) tenant.seed('Subaccount', { ...subaccount });
  for (const category of seed.taxCategories) tenant.seed('TaxCategory', { ...category });
  for (const tax of seed.taxes) tenant.seed('Tax', { ...tax });
  for (const ledger of seed.ledgers) {
    tenant.seed('Ledger', {
      ...ledger,
      Branches: seed.branches.map((branch) => ({ BranchID: branch.BranchID.toUpperCase(), BranchName: branch.BranchName, Active: branch.Active ?? true })),
    });
  }
  for (const method of seed.paymentMethods) {
    const { AllowedCashAccounts, ...rest } = method;
    tenant.seed('PaymentMethod', { ...rest, AllowedCashAccounts: AllowedCashAccounts.map((row) => ({ ...row })) });
  }
}
