/**
 * Journal account mappings as the pipeline declares them: one lookup table per account role, keyed
 * by Chargebee accounting code, with a default.
 */
import { LedgersyncError } from '../../engine/errors.js';
import type { AccountResolver, AccountRole } from './journal.js';

export interface LookupTableValues {
  values: Readonly<Record<string, unknown>>;
  default?: unknown;
}

/** Which lookup table maps each role; `tax_payable` is optional when no line carries tax. */
export type AccountTables = Partial<Record<AccountRole, string>>;

/** Where a role's account comes from, for messages: `lookups.revrec_revenue["SAAS"]`. */
export function mappingName(tables: AccountTables, role: AccountRole, accountingCode: string): string {
  const table = tables[role] ?? `(no table for ${role})`;
  return `lookups.${table}[${JSON.stringify(accountingCode)}]${accountingCode === '' ? ' (default)' : ''}`;
}

export function lookupAccountResolver(tables: AccountTables, lookups: Readonly<Record<string, LookupTableValues>>): AccountResolver {
  const cache = new Map<string, string>();
  return (role, accountingCode) => {
    const cacheKey = `${role}\u0000${accountingCode}`;
    const hit = cache.get(cacheKey);
    if (hit !== undefined) return hit;
    const tableName = tables[role];
    if (!tableName) {
      throw new LedgersyncError(
        'account_mapping_missing',
        'config',
        `revenue_recognition.accounts.${role} names no lookup table, but the schedule has amounts for it (accounting code "${accountingCode}")`,
        {
          details: { role, accounting_code: accountingCode },
          fix: `add \`${role}: <lookup table>\` under revenue_recognition.accounts and declare that table under lookups:`,
        },
      );
    }
    const table = lookups[tableName];
    if (!table) {
      throw new LedgersyncError(
        'account_mapping_missing',
        'config',
        `revenue_recognition.accounts.${role} names lookup table "${tableName}", which the pipeline does not declare`,
        {
          details: { role, table: tableName },
          fix: `declare lookups.${tableName} with the DualEntry account numbers by Chargebee accounting code and a default`,
        },
      );
    }
    const value = Object.hasOwn(table.values, accountingCode) ? table.values[accountingCode] : table.default;
    if (value === undefined || value === null || String(value).trim() === '') {
      throw new LedgersyncError(
        'account_mapping_missing',
        'config',
        `no ${role.replace(/_/g, ' ')} account for Chargebee accounting code "${accountingCode}": lookups.${tableName} has no such key and no default`,
        {
          details: { role, table: tableName, accounting_code: accountingCode },
          fix: `add "${accountingCode}" (or a default) to lookups.${tableName}`,
        },
      );
    }
    const account = String(value).trim();
    cache.set(cacheKey, account);
    return account;
  };
}
