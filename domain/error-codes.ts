/** Error codes of the domain modules (money, revenue recognition); see engine/error-codes.ts. */
import type { ErrorCatalogue } from '../engine/error-codes.js';

export const domainErrorCodes = {
  codes: {
    unknown_currency: { kind: 'record', meaning: 'an amount carries a currency code that is not in ISO 4217' },
    invalid_amount: { kind: 'record', meaning: 'an amount is not an integer of minor units or an exact decimal string' },
    invalid_decimal: { kind: 'record', meaning: 'a decimal string is not a number' },
    decimal_precision: { kind: 'record', meaning: 'a decimal has more decimals than the currency or field allows; it is refused, never rounded away' },
    account_mapping_missing: {
      kind: 'config',
      meaning: 'revenue recognition has amounts for a role whose account lookup table is missing or has no entry nor default',
    },
    iso_4217_unreadable: { kind: 'system', meaning: 'the ISO 4217 list shipped with the currency-codes package cannot be read (a broken install)' },
    invalid_exchange_rate: { kind: 'config', meaning: 'a key or rate of lookups.exchange_rates is not <CUR> or <CUR>:<YYYY-MM> with a positive decimal rate' },
    missing_exchange_rate: { kind: 'config', meaning: 'the metrics report needs a rate for a currency and month that lookups.exchange_rates does not have' },
    invalid_month: { kind: 'config', meaning: 'a report month is not written as YYYY-MM' },
    invalid_month_range: { kind: 'config', meaning: 'the report --from month is after its --to month' },
    rounding_invariant: { kind: 'system', meaning: "a month's MRR movements could not be rounded to sum exactly to the month's change (a bug)" },
    invalid_billing_period: { kind: 'record', meaning: 'an item price has a billing period that is not a positive whole number' },
    unknown_period_unit: { kind: 'record', meaning: 'an item price has a period unit other than day, week, month or year' },
    invalid_metrics_row: { kind: 'config', meaning: 'a row of the metrics database holds a value of the wrong type for its column' },
    unknown_item_price: { kind: 'config', meaning: 'a subscription item names an item price that is not in the item_prices table' },
    missing_price: { kind: 'record', meaning: 'a subscription item has no unit price, amount or list price to value it with' },
    coupon_currency_mismatch: { kind: 'record', meaning: 'a fixed-amount coupon is in another currency than the subscription it discounts' },
    unknown_discount_type: { kind: 'record', meaning: 'a coupon has a discount type other than percentage or fixed amount' },
    unknown_coupon: { kind: 'config', meaning: 'a subscription carries a coupon that is not in the coupons table' },
    invalid_reporting_currency: {
      kind: 'config',
      meaning: "the metrics pipeline's options.reporting_currency is missing, or not an ISO 4217 currency with minor units",
    },
    metrics_table_undeclared: {
      kind: 'config',
      meaning: "the pipeline's sql sink does not declare a table or column the metrics report reads",
    },
    metrics_no_data: { kind: 'config', meaning: 'the metrics database holds no subscription, snapshot nor invoice line yet: run the pipeline first' },
    unbalanced_journal: {
      kind: ['system', 'record'],
      meaning: 'a journal does not balance: refused before sending (system when ledgersync built it, record for an exported journal)',
    },
  },
} as const satisfies ErrorCatalogue;

declare module '../engine/error-codes.js' {
  interface ErrorCatalogues {
    domain: typeof domainErrorCodes;
  }
}
