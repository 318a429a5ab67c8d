import { describe, expect, it } from 'vitest';
import { isCountedAt } from '../../../domain/metrics/activity.js';
import { ExchangeRates } from '../../../domain/metrics/exchange-rates.js';
import type { SubscriptionState } from '../../../domain/metrics/model.js';
import { monthEndInstant, monthOfInstant, parseMonth } from '../../../domain/metrics/months.js';
import { monthlyFactor } from '../../../domain/metrics/normalise.js';
import { formatRatio, parseRatio, roundToMinor, type Ratio } from '../../../domain/metrics/ratio.js';
import { roundToTarget } from '../../../domain/metrics/mrr.js';
import { itemMonthlyValue, stateValue, type Catalog } from '../../../domain/metrics/value.js';
import { computeReports } from '../../../domain/metrics/report.js';
import { thrownLedgersyncError } from '../../support/thrown.js';

const utc = (y: number, m: number, d: number, h = 12) => Date.UTC(y, m - 1, d, h) / 1000;
const r = (text: string): Ratio => parseRatio(text) as Ratio;
const show = (value: Ratio) => formatRatio(value, 6);

describe('exact decimals', () => {
  it('reads decimal strings and YAML numbers exactly as written', () => {
    expect(parseRatio('12.34')).toEqual({ n: 617n, d: 50n });
    expect(parseRatio(0.1)).toEqual({ n: 1n, d: 10n });
    expect(parseRatio('1e-3')).toEqual({ n: 1n, d: 1000n });
    expect(parseRatio('-.5')).toEqual({ n: -1n, d: 2n });
    for (const bad of ['', '.', '1,5', 'abc', Number.NaN, Number.POSITIVE_INFINITY, null, {}]) expect(parseRatio(bad)).toBeUndefined();
  });

  it('rounds half away from zero, once', () => {
    expect(roundToMinor(r('0.005'), 2)).toBe(1n);
    expect(roundToMinor(r('-0.005'), 2)).toBe(-1n);
    expect(roundToMinor(r('0.00499999'), 2)).toBe(0n);
    expect(roundToMinor({ n: 2000n, d: 12n }, 2)).toBe(16667n);
    expect(roundToMinor({ n: 2000n, d: 12n }, 0)).toBe(167n);
    expect(roundToMinor({ n: 2000n, d: 12n }, 3)).toBe(166667n);
  });

  it('rounds movements to the change of the rounded totals without flipping a sign', () => {
    // 274.91666… must become 274.91 when the month changed by 274.91.
    expect(roundToTarget([{ n: 2749166666n, d: 100000n }, r('0'), r('0'), r('0'), r('0')], 27491n)).toEqual([27491n, 0n, 0n, 0n, 0n]);
    // +1.5 and −0.6 with a change of 1: the positive one gets the unit, the negative one stays ≤ 0.
    expect(roundToTarget([r('1.5'), r('-0.6')], 1n)).toEqual([2n, -1n]);
    expect(roundToTarget([r('0.4'), r('0.4'), r('0.4')], 1n)).toEqual([1n, 0n, 0n]);
    expect(() => roundToTarget([r('0.4')], 5n)).toThrow(/cannot be rounded/);
  });
});

describe('a price normalised to one month', () => {
  it('day × 365/12, week × 52/12, month ÷ period, year ÷ (12 × period)', () => {
    const ctx = { subject: 'item price p' };
    expect(show(monthlyFactor(1, 'day', ctx))).toBe('30.416667');
    expect(monthlyFactor(7, 'day', ctx)).toEqual({ n: 365n, d: 84n });
    expect(monthlyFactor(1, 'week', ctx)).toEqual({ n: 13n, d: 3n });
    expect(monthlyFactor(2, 'week', ctx)).toEqual({ n: 13n, d: 6n });
    expect(monthlyFactor(3, 'month', ctx)).toEqual({ n: 1n, d: 3n });
    expect(monthlyFactor(2, 'year', ctx)).toEqual({ n: 1n, d: 24n });
    expect(monthlyFactor(undefined, 'month', ctx)).toEqual({ n: 1n, d: 1n });
  });

  it('an unknown period unit is a record error (a dead letter) naming the price and the fix', () => {
    const error = thrownLedgersyncError(() =>
      monthlyFactor(1, 'fortnight', { subject: 'item price biweekly-USD', details: { item_price_id: 'biweekly-USD' } }),
    );
    expect(error.code).toBe('unknown_period_unit');
    expect(error.kind).toBe('record');
    expect(error.message).toContain('item price biweekly-USD');
    expect(error.message).toContain('"fortnight"');
    expect(error.fix).toMatch(/day, week, month or year/);
    expect(error.details).toMatchObject({ item_price_id: 'biweekly-USD', period_unit: 'fortnight' });
    expect(thrownLedgersyncError(() => monthlyFactor(0, 'month', { subject: 'x' })).code).toBe('invalid_billing_period');
    expect(thrownLedgersyncError(() => monthlyFactor(1.5, 'month', { subject: 'x' })).code).toBe('invalid_billing_period');
  });
});

describe('exchange rates', () => {
  const rates = new ExchangeRates('USD', { EUR: 1.08, 'EUR:2026-03': '1.2', gbp: '1.27' });

  it('the month key wins, the plain key covers every other month, the reporting currency needs none', () => {
    expect(rates.rate('EUR', parseMonth('2026-03', 'm'))).toEqual({ n: 6n, d: 5n });
    expect(rates.rate('EUR', parseMonth('2026-04', 'm'))).toEqual({ n: 27n, d: 25n });
    expect(rates.rate('GBP', parseMonth('2026-04', 'm'))).toEqual({ n: 127n, d: 100n });
    expect(rates.rate('usd', parseMonth('2026-04', 'm'))).toEqual({ n: 1n, d: 1n });
  });

  it('a missing rate names the currency and the month (the CLI exits 2), never a silent zero', () => {
    const error = thrownLedgersyncError(() => rates.rate('JPY', parseMonth('2026-05', 'm')));
    expect(error.code).toBe('missing_exchange_rate');
    expect(error.kind).toBe('config');
    expect(error.message).toBe('no exchange rate from JPY to USD for 2026-05');
    expect(error.fix).toContain('lookups.exchange_rates.values["JPY:2026-05"]');
    expect(error.details).toEqual({ currency: 'JPY', month: '2026-05', reporting_currency: 'USD' });
  });

  it('refuses bad keys and non-positive or non-numeric rates', () => {
    expect(thrownLedgersyncError(() => new ExchangeRates('USD', { 'EUR:2026-13': 1 })).code).toBe('invalid_exchange_rate');
    expect(thrownLedgersyncError(() => new ExchangeRates('USD', { EURO: 1 })).code).toBe('invalid_exchange_rate');
    expect(thrownLedgersyncError(() => new ExchangeRates('USD', { EUR: 0 })).message).toContain('positive');
    expect(thrownLedgersyncError(() => new ExchangeRates('USD', { EUR: 'about 1.1' })).kind).toBe('config');
  });

  it('a report over a EUR subscription without a EUR rate fails naming EUR and the month', () => {
    const source = {
      itemPrices: [{ id: 'p', itemType: 'plan', period: 1, periodUnit: 'month' }],
      coupons: [],
      snapshots: [],
      invoiceLines: [],
      subscriptions: [
        {
          id: 's',
          customerId: 'c',
          state: {
            status: 'active',
            currency: 'EUR',
            startedAt: utc(2026, 1, 2),
            items: [{ itemPriceId: 'p', itemType: 'plan', unitPrice: '9.00' }],
            coupons: [],
          },
        },
      ],
    };
    const error = thrownLedgersyncError(() =>
      computeReports(source, { reportingCurrency: 'USD', timezone: 'UTC', exchangeRates: { 'EUR:2026-01': 1.1 } }, { to: '2026-03', now: 0 }),
    );
    expect(error.message).toBe('no exchange rate from EUR to USD for 2026-02');
  });
});

describe('month ends in the pipeline timezone', () => {
  it('is the last second of the month there', () => {
    expect(monthEndInstant(parseMonth('2026-01', 'm'), 'UTC')).toBe(Date.UTC(2026, 1, 1) / 1000 - 1);
    expect(monthEndInstant(parseMonth('2026-01', 'm'), 'America/New_York')).toBe(Date.UTC(2026, 1, 1, 5) / 1000 - 1);
    // After the switch to summer time (EDT, UTC−4).
    expect(monthEndInstant(parseMonth('2026-03', 'm'), 'America/New_York')).toBe(Date.UTC(2026, 3, 1, 4) / 1000 - 1);
    expect(monthEndInstant(parseMonth('2026-06', 'm'), 'Asia/Tokyo')).toBe(Date.UTC(2026, 5, 30, 15) / 1000 - 1);
    // Santiago moves its clocks at midnight: 2026-09-06 starts at 01:00, still ends 2026-08 at the last second before.
    const august = monthEndInstant(parseMonth('2026-08', 'm'), 'America/Santiago');
    expect(monthOfInstant(august, 'America/Santiago')).toBe(parseMonth('2026-08', 'm'));
    expect(monthOfInstant(august + 1, 'America/Santiago')).toBe(parseMonth('2026-09', 'm'));
  });

  it('refuses a malformed month naming the option', () => {
    expect(thrownLedgersyncError(() => parseMonth('2026-13', '--from')).message).toBe('--from must be a month like 2026-03, received "2026-13"');
  });
});

describe('which subscriptions count at an instant', () => {
  const base: SubscriptionState = { status: 'active', currency: 'USD', items: [], coupons: [] };
  const at = utc(2026, 3, 1);

  it('not before it starts, not in trial, not after cancellation, not while paused', () => {
    expect(isCountedAt({ ...base, startedAt: utc(2026, 3, 2) }, at, utc(2026, 3, 1))).toBe(false);
    expect(isCountedAt({ ...base, startedAt: utc(2026, 3, 2) }, at, utc(2026, 3, 2))).toBe(true);
    expect(isCountedAt({ ...base, status: 'in_trial', startedAt: utc(2026, 2, 1), trialEnd: utc(2026, 3, 5) }, at, utc(2026, 3, 4))).toBe(false);
    // The trial ends after the observation: dates project past it.
    expect(isCountedAt({ ...base, status: 'in_trial', startedAt: utc(2026, 2, 1), trialEnd: utc(2026, 3, 5) }, at, utc(2026, 3, 6))).toBe(true);
    // A trial without an end date counts as trial while the status says so.
    expect(isCountedAt({ ...base, status: 'in_trial', startedAt: utc(2026, 2, 1) }, at, utc(2026, 4, 1))).toBe(false);
    // Scheduled cancellation: counted until cancelled_at.
    const nonRenewing = { ...base, status: 'non_renewing', startedAt: utc(2026, 1, 1), cancelledAt: utc(2026, 3, 31) };
    expect(isCountedAt(nonRenewing, at, utc(2026, 3, 30))).toBe(true);
    expect(isCountedAt(nonRenewing, at, utc(2026, 3, 31))).toBe(false);
    // Cancelled without a date: from the observation on.
    expect(isCountedAt({ ...base, status: 'cancelled', startedAt: utc(2026, 1, 1) }, at, at - 1)).toBe(true);
    expect(isCountedAt({ ...base, status: 'cancelled', startedAt: utc(2026, 1, 1) }, at, at)).toBe(false);
    // Active again after an old cancellation: the gap lasts until activated_at.
    const reactivated = { ...base, startedAt: utc(2026, 1, 1), cancelledAt: utc(2026, 2, 1), activatedAt: utc(2026, 2, 20) };
    expect(isCountedAt(reactivated, at, utc(2026, 2, 10))).toBe(false);
    expect(isCountedAt(reactivated, at, utc(2026, 2, 21))).toBe(true);
    // Paused, with and without a resume date; a pause scheduled after the observation.
    const paused = { ...base, status: 'paused', startedAt: utc(2026, 1, 1), pauseDate: utc(2026, 2, 15) };
    expect(isCountedAt(paused, at, utc(2026, 2, 14))).toBe(true);
    expect(isCountedAt(paused, at, utc(2026, 6, 1))).toBe(false);
    expect(isCountedAt({ ...paused, resumeDate: utc(2026, 4, 1) }, at, utc(2026, 4, 2))).toBe(true);
    const scheduledPause = { ...base, startedAt: utc(2026, 1, 1), pauseDate: utc(2026, 4, 1), resumeDate: utc(2026, 5, 1) };
    expect(isCountedAt(scheduledPause, at, utc(2026, 4, 15))).toBe(false);
    expect(isCountedAt(scheduledPause, at, utc(2026, 5, 2))).toBe(true);
    // Future subscriptions without a date start at the observation only if no longer future.
    expect(isCountedAt({ ...base, status: 'future' }, at, utc(2026, 5, 1))).toBe(false);
  });
});

describe('the monthly value of a subscription', () => {
  const catalog = (coupons: Catalog['coupons'] extends ReadonlyMap<string, infer C> ? C[] : never): Catalog => ({
    itemPrices: new Map([
      ['plan-m', { id: 'plan-m', itemType: 'plan', period: 1, periodUnit: 'month' }],
      ['plan-q', { id: 'plan-q', itemType: 'plan', period: 3, periodUnit: 'month' }],
      ['addon-m', { id: 'addon-m', itemType: 'addon', period: 1, periodUnit: 'month' }],
      ['odd', { id: 'odd', itemType: 'plan', period: 1, periodUnit: 'fortnight' }],
    ]),
    coupons: new Map(coupons.map((c) => [c.id, c])),
  });
  const sub = (items: SubscriptionState['items'], coupons: SubscriptionState['coupons'] = []): SubscriptionState => ({
    status: 'active',
    currency: 'USD',
    items,
    coupons,
  });

  it('quarterly price ÷ 3, tiered lines by their amount, decimal quantities', () => {
    const value = stateValue(
      sub([
        { itemPriceId: 'plan-q', itemType: 'plan', quantity: '1', unitPrice: '100.00' },
        { itemPriceId: 'addon-m', itemType: 'addon', quantity: '250', amount: '37.50' },
        { itemPriceId: 'addon-m', itemType: 'addon', quantity: '2.5', unitPrice: '4.00' },
      ]),
      's',
      catalog([]),
    );
    // 33.333… + 37.50 + 10.00
    expect(show(value.mrr)).toBe('80.833333');
  });

  it('permanent coupons lower MRR, temporary ones are reported apart while in force', () => {
    const c = catalog([
      { id: 'P20', durationType: 'forever', discountType: 'percentage', discountPercentage: '20', applyOn: 'invoice_amount' },
      {
        id: 'ADDON5',
        durationType: 'forever',
        discountType: 'fixed_amount',
        discountAmount: '5.00',
        currency: 'USD',
        applyOn: 'each_specified_item',
        itemConstraints: [{ itemType: 'addon', constraint: 'specific', itemPriceIds: ['addon-m'] }],
      },
      { id: 'T50', durationType: 'limited_period', discountType: 'percentage', discountPercentage: '50', applyOn: 'invoice_amount' },
      { id: 'ONCE', durationType: 'one_time', discountType: 'fixed_amount', discountAmount: '1.00', currency: 'USD', applyOn: 'invoice_amount' },
    ]);
    const items = [
      { itemPriceId: 'plan-m', itemType: 'plan', unitPrice: '100.00' },
      { itemPriceId: 'addon-m', itemType: 'addon', quantity: '2', unitPrice: '10.00' },
    ];
    const value = stateValue(
      sub(items, [{ couponId: 'P20' }, { couponId: 'ADDON5' }, { couponId: 'T50', applyTill: utc(2026, 4, 1) }, { couponId: 'ONCE', appliedCount: 0 }]),
      's',
      c,
    );
    // plan 100 → 80; addon 20 → 16 → 11 (ADDON5). MRR 91.
    expect(show(value.mrr)).toBe('91.000000');
    // T50 on what is left (45.5) + ONCE (1, not yet applied).
    expect(show(value.temporaryDiscountAt(utc(2026, 3, 1)))).toBe('46.500000');
    expect(show(value.temporaryDiscountAt(utc(2026, 4, 1)))).toBe('1.000000');
  });

  it('a coupon off the invoice amount discounts only the items its constraints allow', () => {
    const c = catalog([
      {
        id: 'PLANS50',
        durationType: 'forever',
        discountType: 'percentage',
        discountPercentage: '50',
        applyOn: 'invoice_amount',
        itemConstraints: [
          { itemType: 'plan', constraint: 'all' },
          { itemType: 'addon', constraint: 'none' },
        ],
      },
    ]);
    const items = [
      { itemPriceId: 'plan-m', itemType: 'plan', unitPrice: '100.00' },
      { itemPriceId: 'addon-m', itemType: 'addon', unitPrice: '50.00' },
    ];
    // The plan 100 → 50; the addon, excluded, stays 50.
    expect(show(stateValue(sub(items, [{ couponId: 'PLANS50' }]), 's', c).mrr)).toBe('100.000000');
  });

  it('coupons apply in the order the subscription lists them', () => {
    const c = catalog([
      { id: 'ZZ_PCT10', durationType: 'forever', discountType: 'percentage', discountPercentage: '10', applyOn: 'invoice_amount' },
      { id: 'AA_FIX10', durationType: 'forever', discountType: 'fixed_amount', discountAmount: '10.00', currency: 'USD', applyOn: 'invoice_amount' },
    ]);
    const items = [{ itemPriceId: 'plan-m', itemType: 'plan', unitPrice: '100.00' }];
    // 100 − 10 % = 90, − 10 = 80; the other way round 100 − 10 = 90, − 10 % = 81.
    expect(show(stateValue(sub(items, [{ couponId: 'ZZ_PCT10' }, { couponId: 'AA_FIX10' }]), 's', c).mrr)).toBe('80.000000');
    expect(show(stateValue(sub(items, [{ couponId: 'AA_FIX10' }, { couponId: 'ZZ_PCT10' }]), 's', c).mrr)).toBe('81.000000');
  });

  it('a discount never takes an item below zero', () => {
    const c = catalog([
      { id: 'BIG', durationType: 'forever', discountType: 'fixed_amount', discountAmount: '500.00', currency: 'USD', applyOn: 'invoice_amount' },
    ]);
    expect(show(stateValue(sub([{ itemPriceId: 'plan-m', itemType: 'plan', unitPrice: '100.00' }], [{ couponId: 'BIG' }]), 's', c).mrr)).toBe('0.000000');
  });

  it('refuses an unknown coupon, a coupon in another currency and an unknown period unit', () => {
    const items = [{ itemPriceId: 'plan-m', itemType: 'plan', unitPrice: '100.00' }];
    expect(thrownLedgersyncError(() => stateValue(sub(items, [{ couponId: 'NOPE' }]), 's', catalog([]))).code).toBe('unknown_coupon');
    const eur = catalog([
      { id: 'EUR5', durationType: 'forever', discountType: 'fixed_amount', discountAmount: '5', currency: 'EUR', applyOn: 'invoice_amount' },
    ]);
    expect(thrownLedgersyncError(() => stateValue(sub(items, [{ couponId: 'EUR5' }]), 's', eur)).code).toBe('coupon_currency_mismatch');
    const odd = thrownLedgersyncError(() => stateValue(sub([{ itemPriceId: 'odd', itemType: 'plan', unitPrice: '1' }]), 's', catalog([])));
    expect([odd.code, odd.kind]).toEqual(['unknown_period_unit', 'record']);
    expect(thrownLedgersyncError(() => stateValue(sub([{ itemPriceId: 'gone', itemType: 'plan', unitPrice: '1' }]), 's', catalog([]))).code).toBe(
      'unknown_item_price',
    );
  });
});

describe('reporting currencies with other minor units', () => {
  const source = (currency: string, unitPrice: string) => ({
    itemPrices: [{ id: 'p', itemType: 'plan', period: 1, periodUnit: 'year' }],
    coupons: [],
    snapshots: [],
    invoiceLines: [],
    subscriptions: [
      {
        id: 's',
        customerId: 'c',
        state: { status: 'active', currency, startedAt: utc(2026, 1, 2), items: [{ itemPriceId: 'p', itemType: 'plan', unitPrice }], coupons: [] },
      },
    ],
  });

  it('KWD (3 decimals): 1000 USD a year at 0.3075 = 25.625 KWD a month, to the fils', () => {
    const reports = computeReports(
      source('USD', '1000.00'),
      { reportingCurrency: 'KWD', timezone: 'UTC', exchangeRates: { USD: '0.3075' } },
      { from: '2026-01', to: '2026-01', now: 0 },
    );
    expect(reports.mrr.exponent).toBe(3);
    expect(reports.mrr.months[0]?.mrr).toBe(25625n);
  });

  it('JPY (no decimals): 100 EUR a year at 161.37 = 1344.75 → 1345 yen a month, rounded once', () => {
    const reports = computeReports(
      source('EUR', '100.00'),
      { reportingCurrency: 'JPY', timezone: 'UTC', exchangeRates: { EUR: 161.37 } },
      { from: '2026-01', to: '2026-01', now: 0 },
    );
    expect([reports.mrr.exponent, reports.mrr.months[0]?.mrr, reports.mrr.months[0]?.movements.new]).toEqual([0, 1345n, 1345n]);
  });
});

describe('monthly_amount of a subscription item', () => {
  it('is the exact monthly value before discounts; charges have none', () => {
    const catalog: Catalog = { itemPrices: new Map([['w', { id: 'w', itemType: 'addon', period: 2, periodUnit: 'week' }]]), coupons: new Map() };
    // 3 × 4.00 every 2 weeks = 12 × 52 / 24 = 26 a month.
    expect(show(itemMonthlyValue({ itemPriceId: 'w', itemType: 'addon', quantity: '3', unitPrice: '4.00' }, 's', catalog))).toBe('26.000000');
    expect(show(itemMonthlyValue({ itemPriceId: 'w', itemType: 'charge', quantity: '1', unitPrice: '4.00' }, 's', catalog))).toBe('0.000000');
  });
});
