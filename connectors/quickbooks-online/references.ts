/**
 * `ledgersync check` against a QuickBooks company: every Account, Item, PaymentMethod, TaxRate and
 * TaxCode a pipeline names, by Id, 30 to a query and including inactive records
 * (`where Active in (true, false)`: a name-list query returns only active ones otherwise), and the
 * currencies: the home currency from Preferences, the others from CompanyCurrency.
 */
import type { ReferenceAnswer, ReferenceQuery } from '../../engine/connector/types.js';
import { quote, type QboApi } from './api.js';

/** Entities looked up by Id (the descriptor's `references.kinds`). */
const BY_ID = new Set(['Account', 'Item', 'PaymentMethod', 'TaxRate', 'TaxCode']);
/** The sales-tax codes of a US company, which QBO accepts in TaxCodeRef without a TaxCode record. */
const US_TAX_CODES = new Set(['TAX', 'NON']);

export async function checkQboReferences(
  api: QboApi,
  queries: readonly ReferenceQuery[],
  company: { country: string | undefined },
): Promise<ReferenceAnswer[][]> {
  const currencies = queries.some((q) => q.kind === 'Currency' || q.kind === 'HomeCurrency') ? await currenciesOf(api) : undefined;
  const out: ReferenceAnswer[][] = [];
  for (const query of queries) {
    if (BY_ID.has(query.kind)) out.push(await byId(api, query, company));
    else if (currencies && query.kind === 'HomeCurrency') {
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

async function byId(api: QboApi, query: ReferenceQuery, company: { country: string | undefined }): Promise<ReferenceAnswer[]> {
  const entity = query.kind;
  const found = new Map<string, Record<string, unknown>>();
  const wanted = [...new Set(query.values)].filter((v) => !(entity === 'TaxCode' && company.country === 'US' && US_TAX_CODES.has(v)));
  for (let i = 0; i < wanted.length; i += 30) {
    const chunk = wanted.slice(i, i + 30);
    const rows = await api.query(entity, `select * from ${entity} where Id in (${chunk.map(quote).join(', ')}) and Active in (true, false)`);
    for (const row of rows) found.set(String(row['Id']), row);
  }
  return query.values.map((value): ReferenceAnswer => {
    if (entity === 'TaxCode' && company.country === 'US' && US_TAX_CODES.has(value)) {
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
