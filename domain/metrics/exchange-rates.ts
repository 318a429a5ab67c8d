/**
 * `lookups.exchange_rates` of the pipeline: reporting-currency units for one unit of `<CUR>`, keyed
 * `<CUR>` (any month) or `<CUR>:<YYYY-MM>` (that month, which wins). The reporting currency needs no
 * rate; a missing one is an error naming the currency and the month, never a silent zero.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { monthKey, type MonthIndex } from './months.js';
import { ONE, parseRatio, sign, type Ratio } from './ratio.js';

const KEY = /^([A-Z]{3})(?::(\d{4}-(?:0[1-9]|1[0-2])))?$/;

export class ExchangeRates {
  readonly reportingCurrency: string;
  private readonly rates = new Map<string, Ratio>();

  /**
   * @param reportingCurrency ISO 4217 code of `options.reporting_currency`
   * @param values the `values` of `lookups.exchange_rates` (numbers or decimal strings); may be empty
   */
  constructor(reportingCurrency: string, values: Readonly<Record<string, unknown>> = {}) {
    this.reportingCurrency = reportingCurrency.toUpperCase();
    for (const [rawKey, value] of Object.entries(values)) {
      const key = rawKey.trim().toUpperCase();
      if (!KEY.test(key)) {
        throw new LedgersyncError('invalid_exchange_rate', 'config', `lookups.exchange_rates key "${rawKey}" is neither <CUR> nor <CUR>:<YYYY-MM>`, {
          fix: 'key rates by currency code, e.g. EUR, or by currency and month, e.g. EUR:2026-03',
          details: { key: rawKey },
        });
      }
      const rate = parseRatio(value);
      if (rate === undefined || sign(rate) <= 0) {
        throw new LedgersyncError(
          'invalid_exchange_rate',
          'config',
          `lookups.exchange_rates["${rawKey}"] must be a positive number, received ${JSON.stringify(value)}`,
          {
            fix: `give the ${this.reportingCurrency} value of one unit of ${key.slice(0, 3)}, e.g. 1.0825`,
            details: { key: rawKey, value },
          },
        );
      }
      this.rates.set(key, rate);
    }
  }

  /** Reporting-currency units for one unit of `currency` in `month`. */
  rate(currency: string, month: MonthIndex): Ratio {
    const code = currency.toUpperCase();
    if (code === this.reportingCurrency) return ONE;
    const key = monthKey(month);
    const rate = this.rates.get(`${code}:${key}`) ?? this.rates.get(code);
    if (rate === undefined) {
      throw new LedgersyncError('missing_exchange_rate', 'config', `no exchange rate from ${code} to ${this.reportingCurrency} for ${key}`, {
        fix: `add lookups.exchange_rates.values["${code}:${key}"] (that month) or ["${code}"] (every month): ${this.reportingCurrency} for one ${code}`,
        details: { currency: code, month: key, reporting_currency: this.reportingCurrency },
      });
    }
    return rate;
  }
}
