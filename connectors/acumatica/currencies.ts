/**
 * Documents whose currency is their customer's. Acumatica's `Invoice` entity (invoices and credit
 * memos) has no currency field: a document takes its customer's `CurrencyID`, so a EUR invoice of a
 * USD customer would be posted as USD with the EUR figures. The mapping states the document's
 * currency in `_currency`; before such a document is created, its customer's currency is read (once a
 * run per customer, 20 customers to a request) and a document in another currency is refused.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { type AcumaticaApi, LOOKUPS_PER_REQUEST, literal } from './api.js';
import type { Plain } from './values.js';

/** Field of a mapped record with the document's currency, for the check; never sent. */
export const CURRENCY_FIELD = '_currency';

/** Descriptor `settings.currency_of_customer.<entity>`. */
export interface CustomerCurrency {
  /** The document's field naming its customer (Customer). */
  customer: string;
  /** The customer entity (Customer), its key (CustomerID) and its currency field (CurrencyID). */
  entity: string;
  key: string;
  currency: string;
}

/** A document to check: its mapped fields, its currency, and what names it in messages. */
export interface CurrencyCheck {
  entity: string;
  data: Plain;
  currency: string;
  describe: string;
}

export class CustomerCurrencies {
  /** `entity|KEY` → the customer's currency, as read in this run. */
  private readonly known = new Map<string, string>();

  constructor(
    private readonly api: AcumaticaApi,
    private readonly specs: Readonly<Record<string, CustomerCurrency>>,
    private readonly label: string,
  ) {}

  /** The error of each document whose customer is in another currency; undefined where it matches or cannot be told. */
  async mismatches(checks: readonly CurrencyCheck[]): Promise<(LedgersyncError | undefined)[]> {
    await this.read(checks);
    return checks.map((check) => {
      const spec = this.specs[check.entity];
      const customer = spec ? customerOf(check.data, spec) : undefined;
      if (!spec || !customer) return undefined;
      const theirs = this.known.get(cacheKey(spec, customer));
      if (theirs === undefined || theirs.toUpperCase() === check.currency.trim().toUpperCase()) return undefined;
      return new LedgersyncError(
        'acumatica_currency_mismatch',
        'record',
        `${this.label}: ${check.describe} is in ${check.currency}, but its customer ${customer} is a ${theirs} customer in Acumatica; an ${check.entity} takes its customer's currency (the entity has no currency field), so it would be posted in ${theirs} with the ${check.currency} amounts. Nothing was sent`,
        {
          fix: `Acumatica keeps one currency per customer: post this customer's ${check.currency} documents to an Acumatica customer of their own whose ${spec.currency} is ${check.currency} (map ${spec.customer} to it), or, if ${customer} has no documents yet, change its ${spec.currency} to ${check.currency} in Acumatica (Customers, AR303000); the next run tries again`,
          details: { customer, customer_currency: theirs, document_currency: check.currency },
        },
      );
    });
  }

  /** Reads the currencies of the customers not read yet in this run. */
  private async read(checks: readonly CurrencyCheck[]): Promise<void> {
    const wanted = new Map<CustomerCurrency, Set<string>>();
    for (const check of checks) {
      const spec = this.specs[check.entity];
      const customer = spec ? customerOf(check.data, spec) : undefined;
      if (!spec || !customer || this.known.has(cacheKey(spec, customer))) continue;
      wanted.set(spec, (wanted.get(spec) ?? new Set()).add(customer.toUpperCase()));
    }
    for (const [spec, customers] of wanted) {
      const ids = [...customers];
      for (let i = 0; i < ids.length; i += LOOKUPS_PER_REQUEST) {
        const filter = ids
          .slice(i, i + LOOKUPS_PER_REQUEST)
          .map((id) => `${spec.key} eq ${literal(id)}`)
          .join(' or ');
        for (const row of await this.api.list(spec.entity, { filter, select: [spec.key, spec.currency] })) {
          const key = row[spec.key];
          const currency = row[spec.currency];
          if (typeof key === 'string' && typeof currency === 'string' && currency.trim()) this.known.set(cacheKey(spec, key), currency.trim());
        }
      }
    }
  }
}

function customerOf(data: Plain, spec: CustomerCurrency): string | undefined {
  const value = data[spec.customer];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** Customer keys compare without regard to case: Acumatica stores them upper case. */
function cacheKey(spec: CustomerCurrency, customer: string): string {
  return `${spec.entity}|${customer.trim().toUpperCase()}`;
}
