/**
 * Every customer's MRR at every month end, in the reporting currency, exactly. The months before
 * the first converted one only record whether the customer had MRR (new vs reactivation needs no
 * exchange rate), so a report from 2026-01 needs rates from 2025-12 on, not for all history.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { ExchangeRates } from './exchange-rates.js';
import { subscriptionHistories } from './history.js';
import type { MetricsSettings, MetricsSource, ReportRange } from './model.js';
import { monthEndInstant, monthKey, monthOfInstant, parseMonth, type MonthIndex } from './months.js';
import { add, multiply, RatioSum, sign, ZERO, type Ratio } from './ratio.js';
import type { Catalog } from './value.js';

export interface CustomerSeries {
  customerId: string;
  /** First month whose end found the customer with MRR, over all history; undefined if never. */
  firstMonth: MonthIndex | undefined;
  /** MRR at the end of months `convertedFrom`…`to`, reporting currency; undefined is zero. */
  mrr: (Ratio | undefined)[];
}

export interface Series {
  currency: string;
  /** Months shown: `from`…`to`. */
  from: MonthIndex;
  to: MonthIndex;
  /** `from − 1`: the month the first shown month's movements are measured against. */
  convertedFrom: MonthIndex;
  customers: CustomerSeries[];
  /** Temporary discounts in force at each converted month end. */
  temporaryDiscounts: Ratio[];
}

export function catalogOf(source: MetricsSource): Catalog {
  return {
    itemPrices: new Map(source.itemPrices.map((price) => [price.id, price])),
    coupons: new Map(source.coupons.map((coupon) => [coupon.id, coupon])),
  };
}

export function buildSeries(source: MetricsSource, settings: MetricsSettings, range: ReportRange): Series {
  const rates = new ExchangeRates(settings.reportingCurrency, settings.exchangeRates);
  const histories = subscriptionHistories(source.subscriptions, source.snapshots, source.invoiceLines, catalogOf(source));
  const { timezone } = settings;

  const to = range.to !== undefined ? parseMonth(range.to, '--to') : monthOfInstant(range.now, timezone);
  let earliest: number | undefined;
  for (const history of histories) {
    if (history.earliest !== undefined && (earliest === undefined || history.earliest < earliest)) earliest = history.earliest;
  }
  const firstData = earliest !== undefined ? Math.min(monthOfInstant(earliest, timezone), to) : to;
  const from = range.from !== undefined ? parseMonth(range.from, '--from') : firstData;
  if (from > to) {
    throw new LedgersyncError('invalid_month_range', 'config', `--from ${monthKey(from)} is after --to ${monthKey(to)}`, {
      fix: 'give --from a month on or before --to',
      details: { from: monthKey(from), to: monthKey(to) },
    });
  }
  const convertedFrom = from - 1;
  const start = Math.min(firstData, convertedFrom);
  const ends: number[] = [];
  for (let month = start; month <= to; month++) ends.push(monthEndInstant(month, timezone));

  const converted = to - convertedFrom + 1;
  const customers = new Map<string, CustomerSeries>();
  const temporaryDiscounts = Array.from({ length: converted }, () => new RatioSum());
  // Rates by currency, then by month (index from convertedFrom): no key string per contribution.
  const rateCache = new Map<string, Ratio[]>();
  const rateOf = (currency: string, month: MonthIndex): Ratio => {
    let byMonth = rateCache.get(currency);
    if (!byMonth) rateCache.set(currency, (byMonth = []));
    const k = month - convertedFrom;
    return (byMonth[k] ??= rates.rate(currency, month));
  };

  // The first month whose end is at or after an instant: a search over the month ends, not a timezone lookup.
  const firstMonthFrom = (instant: number): MonthIndex => {
    let low = 0;
    let high = ends.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((ends[mid] as number) >= instant) high = mid;
      else low = mid + 1;
    }
    return start + low;
  };

  for (const history of histories) {
    // A subscription no source dates is still evaluated at every month end, never dropped.
    const first = history.earliest === undefined ? start : firstMonthFrom(history.earliest);
    for (let month = first; month <= to; month++) {
      const contribution = history.at(ends[month - start] as number);
      if (!contribution) continue;
      const positive = sign(contribution.mrr) > 0;
      const discounted = sign(contribution.temporaryDiscount) > 0;
      if (!positive && !discounted) continue;
      let customer = customers.get(contribution.customerId);
      if (!customer) {
        customer = { customerId: contribution.customerId, firstMonth: undefined, mrr: new Array(converted) };
        customers.set(contribution.customerId, customer);
      }
      if (positive && (customer.firstMonth === undefined || month < customer.firstMonth)) customer.firstMonth = month;
      if (month < convertedFrom) continue;
      const rate = rateOf(contribution.currency, month);
      const k = month - convertedFrom;
      if (positive) customer.mrr[k] = add(customer.mrr[k] ?? ZERO, multiply(contribution.mrr, rate));
      if (discounted) temporaryDiscounts[k]?.add(multiply(contribution.temporaryDiscount, rate));
    }
  }
  return {
    currency: rates.reportingCurrency,
    from,
    to,
    convertedFrom,
    customers: [...customers.values()],
    temporaryDiscounts: temporaryDiscounts.map((total) => total.total()),
  };
}
