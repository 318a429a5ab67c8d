/**
 * `ledgersync check` against a QuickBooks company: every Account, Item, PaymentMethod, TaxRate and
 * TaxCode a pipeline names, by Id, 30 to a query and including inactive records
 * (`where Active in (true, false)`: a name-list query returns only active ones otherwise), and the
 * currencies: the home currency from Preferences, the others from CompanyCurrency. A
 * `ReceivableAccount` (a lookup table declaring `references: ReceivableAccount`, keyed by currency)
 * must also be an Accounts Receivable account in the currency of each key that names it: QBO keeps
 * one A/R account per currency and refuses a journal entry's A/R line on another currency's.
 */
import type { ConnectorFactoryInput, ReferenceAnswer, ReferenceQuery } from '../../engine/connector/types.js';
import { quote, type QboApi } from './api.js';

/** Entities looked up by Id (the descriptor's `references.kinds`). */
const BY_ID = new Set(['Account', 'Item', 'PaymentMethod', 'TaxRate', 'TaxCode']);
/** The sales-tax codes of a US company, which QBO accepts in TaxCodeRef without a TaxCode record. */
const US_TAX_CODES = new Set(['TAX', 'NON']);
/** The descriptor's kind for the A/R account of a currency, and the Account.AccountType it must have. */
export const RECEIVABLE_ACCOUNT = 'ReceivableAccount';
const RECEIVABLE_TYPE = 'Accounts Receivable';

/** A lookup entry that names a ReceivableAccount: its table and key (the currency). */
export interface ReceivableEntry {
  table: string;
  key: string;
}

/**
 * The entries of every lookup table that declares `references: ReceivableAccount`, by the Account
 * Id they name.
 */
export function receivableEntriesOf(lookups: ConnectorFactoryInput['lookups']): Map<string, ReceivableEntry[]> {
  const byAccount = new Map<string, ReceivableEntry[]>();
  for (const [table, lookup] of Object.entries(lookups)) {
    if (lookup.references !== RECEIVABLE_ACCOUNT) continue;
    for (const [key, value] of Object.entries(lookup.values)) {
      const id = String(value ?? '').trim();
      if (id) byAccount.set(id, [...(byAccount.get(id) ?? []), { table, key }]);
    }
  }
  return byAccount;
}

export async function checkQboReferences(
  api: QboApi,
  queries: readonly ReferenceQuery[],
  company: { country: string | undefined; receivableEntries?: ReadonlyMap<string, readonly ReceivableEntry[]> },
): Promise<ReferenceAnswer[][]> {
  const needsCurrencies = queries.some((q) => q.kind === 'Currency' || q.kind === 'HomeCurrency' || q.kind === RECEIVABLE_ACCOUNT);
  const currencies = needsCurrencies ? await currenciesOf(api) : undefined;
  const out: ReferenceAnswer[][] = [];
  for (const query of queries) {
    if (BY_ID.has(query.kind)) out.push(await byId(api, query, company));
    else if (query.kind === RECEIVABLE_ACCOUNT) {
      const accounts = await rowsById(api, 'Account', query.values);
      out.push(query.values.map((value) => receivableAnswer(value, accounts.get(value), company.receivableEntries?.get(value) ?? [], currencies?.home)));
    } else if (currencies && query.kind === 'HomeCurrency') {
      out.push(
        query.values.map((value) =>
          value.toUpperCase() === currencies.home
            ? { value, status: 'ok', answer: `the home currency is ${currencies.home}` }
            : { value, status: 'missing', answer: `the company's home currency is ${currencies.home ?? 'not set'}, not ${value}` },
        ),
      );
    } else if (currencies && query.kind === 'Currency') {
      out.push(
        query.values.map((value): ReferenceAnswer => {
          const code = value.toUpperCase();
          if (code === currencies.home) return { value, status: 'ok', answer: `${code} is the home currency` };
          const state = currencies.others.get(code);
          if (state === undefined) return { value, status: 'missing', answer: `${code} is not a currency of the company (Multicurrency: add it)` };
          return state ? { value, status: 'ok', answer: `${code} is enabled` } : { value, status: 'inactive', answer: `${code} is inactive in the company` };
        }),
      );
    } else out.push(query.values.map((value) => ({ value, status: 'unknown', answer: `QuickBooks cannot be asked about a ${query.kind}` })));
  }
  return out;
}

/** The records of `entity` with these Ids, active or not, by Id. */
async function rowsById(api: QboApi, entity: string, ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const wanted = [...new Set(ids)];
  for (let i = 0; i < wanted.length; i += 30) {
    const chunk = wanted.slice(i, i + 30);
    const rows = await api.query(entity, `select * from ${entity} where Id in (${chunk.map(quote).join(', ')}) and Active in (true, false)`);
    for (const row of rows) found.set(String(row['Id']), row);
  }
  return found;
}

/**
 * A ReceivableAccount: it exists, is active, is an Accounts Receivable account, and its currency
 * (CurrencyRef; none means the home currency) is the key of every lookup entry that names it.
 */
function receivableAnswer(
  value: string,
  row: Record<string, unknown> | undefined,
  entries: readonly ReceivableEntry[],
  home: string | undefined,
): ReferenceAnswer {
  if (!row) return { value, status: 'missing', answer: `QuickBooks has no Account with Id ${value}` };
  const account = `Account ${value}${typeof row['Name'] === 'string' ? ` "${row['Name']}"` : ''}`;
  if (row['Active'] === false) return { value, status: 'inactive', answer: `${account} is inactive in QuickBooks` };
  const mapped = (list: readonly ReceivableEntry[]) => list.map((e) => `lookups.${e.table} maps ${e.key} to it`).join('; ');
  const fix = (list: readonly ReceivableEntry[]) =>
    list.map((e) => `set ${e.key} to the ${e.key.toUpperCase()} A/R account ("Accounts Receivable (A/R) - ${e.key.toUpperCase()}")`).join('; ');
  const type = String(row['AccountType'] ?? 'unknown');
  if (type !== RECEIVABLE_TYPE) {
    const why = `${account} is of AccountType ${type}, not ${RECEIVABLE_TYPE}`;
    return { value, status: 'missing', answer: entries.length ? `${why}, but ${mapped(entries)}: ${fix(entries)}` : why };
  }
  const currency = ((row['CurrencyRef'] as { value?: unknown } | undefined)?.value as string | undefined)?.toUpperCase() ?? home;
  const wrong = entries.filter((e) => e.key.toUpperCase() !== currency);
  if (wrong.length) {
    return { value, status: 'missing', answer: `${account} is the A/R account of ${currency ?? 'no currency'}, but ${mapped(wrong)}: ${fix(wrong)}` };
  }
  return { value, status: 'ok', answer: `${account}, the A/R account of ${currency ?? 'the home currency'}` };
}

async function byId(api: QboApi, query: ReferenceQuery, company: { country: string | undefined }): Promise<ReferenceAnswer[]> {
  const entity = query.kind;
  const usTaxCode = (v: string) => entity === 'TaxCode' && company.country === 'US' && US_TAX_CODES.has(v);
  const found = await rowsById(
    api,
    entity,
    query.values.filter((v) => !usTaxCode(v)),
  );
  return query.values.map((value): ReferenceAnswer => {
    if (usTaxCode(value)) {
      return { value, status: 'ok', answer: `${value} is a sales-tax code of a US company` };
    }
    const row = found.get(value);
    if (!row) return { value, status: 'missing', answer: `QuickBooks has no ${entity} with Id ${value}` };
    const name = typeof row['Name'] === 'string' ? ` "${row['Name']}"` : '';
    return row['Active'] === false
      ? { value, status: 'inactive', answer: `${entity} ${value}${name} is inactive in QuickBooks` }
      : { value, status: 'ok', answer: `${entity} ${value}${name}` };
  });
}

async function currenciesOf(api: QboApi): Promise<{ home: string | undefined; others: Map<string, boolean> }> {
  const [preferences] = await api.query('Preferences', 'select * from Preferences');
  const home = (
    (preferences?.['CurrencyPrefs'] as { HomeCurrency?: { value?: unknown } } | undefined)?.HomeCurrency?.value as string | undefined
  )?.toUpperCase();
  const rows = await api.queryAll('CompanyCurrency', 'select * from CompanyCurrency where Active in (true, false)');
  return { home, others: new Map(rows.map((r) => [String(r['Code']).toUpperCase(), r['Active'] !== false])) };
}
