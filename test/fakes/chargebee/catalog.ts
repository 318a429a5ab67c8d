/**
 * The fake site's product catalog, defined once and rendered both ways: Product Catalog 2.0
 * (item families, items, item prices with `accounting_detail`) and 1.0 (plans and addons with
 * `sku` / `accounting_code`). Prices are integers in each currency's minor unit.
 */
import type { Addon, Item, ItemFamily, ItemPrice, Plan } from 'chargebee';

export const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'KWD'] as const;
export type CurrencyCode = (typeof CURRENCIES)[number];

/** ISO 4217 exponents of the seeded currencies. */
export const MINOR_UNIT_EXPONENT: Readonly<Record<CurrencyCode, number>> = { USD: 2, EUR: 2, GBP: 2, JPY: 0, KWD: 3 };

/** Rate to USD as Chargebee's `exchange_rate` (base currency USD). */
export const EXCHANGE_RATE: Readonly<Record<CurrencyCode, number>> = { USD: 1, EUR: 1.0869, GBP: 1.2658, JPY: 0.006667, KWD: 3.2573 };

type Period = 'monthly' | 'yearly' | 'once';

export interface CatalogItem {
  id: string;
  name: string;
  externalName: string;
  type: 'plan' | 'addon' | 'charge';
  familyId: string;
  accountingCode: string;
  sku: string;
  unit?: string;
  /** USD cents per period; other currencies are derived. */
  usdCents: Partial<Record<Period, number>>;
}

export const ITEM_FAMILIES = [
  { id: 'cloud-platform', name: 'Cloud Platform', description: 'Subscriptions to the hosted platform' },
  { id: 'professional-services', name: 'Professional Services', description: 'One-time onboarding and training' },
] as const;

export const CATALOG: readonly CatalogItem[] = [
  {
    id: 'starter',
    name: 'Starter',
    externalName: 'Starter Plan',
    type: 'plan',
    familyId: 'cloud-platform',
    accountingCode: 'SAAS',
    sku: 'PLT-STARTER',
    usdCents: { monthly: 2900, yearly: 29000 },
  },
  {
    id: 'growth',
    name: 'Growth',
    externalName: 'Growth Plan',
    type: 'plan',
    familyId: 'cloud-platform',
    accountingCode: 'SAAS',
    sku: 'PLT-GROWTH',
    usdCents: { monthly: 9900, yearly: 99000 },
  },
  {
    id: 'enterprise',
    name: 'Enterprise',
    externalName: 'Enterprise Plan',
    type: 'plan',
    familyId: 'cloud-platform',
    accountingCode: 'SAAS-ENT',
    sku: 'PLT-ENTERPRISE',
    usdCents: { monthly: 49900, yearly: 499000 },
  },
  {
    id: 'extra-seats',
    name: 'Extra Seats',
    externalName: 'Additional user seat',
    type: 'addon',
    familyId: 'cloud-platform',
    accountingCode: 'SAAS',
    sku: 'ADD-SEAT',
    unit: 'seat',
    usdCents: { monthly: 1250, yearly: 12500 },
  },
  {
    id: 'priority-support',
    name: 'Priority Support',
    externalName: 'Priority Support (24×7)',
    type: 'addon',
    familyId: 'cloud-platform',
    accountingCode: 'SUPPORT',
    sku: 'ADD-SUPPORT',
    usdCents: { monthly: 19900, yearly: 199000 },
  },
  {
    id: 'sso-connector',
    name: 'SSO Connector',
    externalName: 'Single sign-on connector',
    type: 'addon',
    familyId: 'cloud-platform',
    accountingCode: 'SAAS',
    sku: 'ADD-SSO',
    usdCents: { monthly: 4900, yearly: 49000 },
  },
  {
    id: 'onboarding-fee',
    name: 'Onboarding Fee',
    externalName: 'Onboarding & data migration',
    type: 'charge',
    familyId: 'professional-services',
    accountingCode: 'SERVICES',
    sku: 'SRV-ONBOARD',
    usdCents: { once: 150000 },
  },
  {
    id: 'training-day',
    name: 'Training Day',
    externalName: 'On-site training (per day)',
    type: 'charge',
    familyId: 'professional-services',
    accountingCode: 'SERVICES',
    sku: 'SRV-TRAINING',
    unit: 'day',
    usdCents: { once: 90000 },
  },
];

/** Price steps per currency so converted prices look like real price points (JPY in whole yen, KWD in 5 fils). */
const CONVERSION: Readonly<Record<CurrencyCode, { numerator: number; step: number }>> = {
  USD: { numerator: 100, step: 1 },
  EUR: { numerator: 92, step: 100 },
  GBP: { numerator: 79, step: 100 },
  JPY: { numerator: 150, step: 10 },
  KWD: { numerator: 307, step: 5 },
};

export function priceIn(usdCents: number, currency: CurrencyCode): number {
  const { numerator, step } = CONVERSION[currency];
  const raw = Math.round((usdCents * numerator) / 100);
  const rounded = Math.max(step, Math.round(raw / step) * step);
  // A price ending in 99 minor units (or 9 yen) is the common real-world shape; keep a few that way.
  return step === 100 ? rounded - 1 : rounded;
}

export interface PricePoint {
  itemPriceId: string;
  planOrAddonId: string;
  item: CatalogItem;
  currency: CurrencyCode;
  period: Period;
  price: number;
}

const PERIOD_LABEL: Readonly<Record<Period, string>> = { monthly: 'Monthly', yearly: 'Yearly', once: '' };

export function pricePoints(): PricePoint[] {
  const points: PricePoint[] = [];
  for (const item of CATALOG) {
    for (const currency of CURRENCIES) {
      for (const period of ['monthly', 'yearly', 'once'] as const) {
        const usd = item.usdCents[period];
        if (usd === undefined) continue;
        const suffix = period === 'once' ? '' : `-${PERIOD_LABEL[period]}`;
        points.push({
          itemPriceId: `${item.id}-${currency}${suffix}`,
          planOrAddonId: `${item.id}-${currency.toLowerCase()}${period === 'once' ? '' : `-${period}`}`,
          item,
          currency,
          period,
          price: priceIn(usd, currency),
        });
      }
    }
  }
  return points;
}

export function findPricePoint(points: readonly PricePoint[], itemId: string, currency: CurrencyCode, period: Period): PricePoint {
  const point = points.find((p) => p.item.id === itemId && p.currency === currency && p.period === period);
  if (!point) throw new Error(`catalog: no price for ${itemId} ${currency} ${period}`);
  return point;
}

const CATALOG_CREATED_AT = 1_640_995_200; // 2022-01-01

export function itemFamilyRecords(): ItemFamily[] {
  return ITEM_FAMILIES.map((family, i) => ({
    id: family.id,
    object: 'item_family',
    name: family.name,
    description: family.description,
    status: 'active',
    resource_version: (CATALOG_CREATED_AT + i) * 1000,
    updated_at: CATALOG_CREATED_AT + i,
    deleted: false,
  }));
}

export function itemRecords(): Item[] {
  return CATALOG.map((item, i) => ({
    id: item.id,
    object: 'item',
    name: item.name,
    external_name: item.externalName,
    description: `${item.externalName} (${item.sku})`,
    status: 'active',
    resource_version: (CATALOG_CREATED_AT + 100 + i) * 1000,
    updated_at: CATALOG_CREATED_AT + 100 + i,
    item_family_id: item.familyId,
    type: item.type,
    is_shippable: false,
    is_giftable: false,
    enabled_for_checkout: true,
    enabled_in_portal: true,
    item_applicability: 'all',
    ...(item.unit ? { unit: item.unit } : {}),
    metered: false,
    channel: 'web',
    deleted: false,
  }));
}

export function itemPriceRecords(points: readonly PricePoint[]): ItemPrice[] {
  return points.map((point, i) => {
    const updatedAt = CATALOG_CREATED_AT + 200 + i;
    const archived = point.item.id === 'starter' && point.currency === 'KWD' && point.period === 'yearly';
    return {
      id: point.itemPriceId,
      object: 'item_price',
      name: `${point.item.name} ${point.currency}${point.period === 'once' ? '' : ` ${PERIOD_LABEL[point.period]}`}`,
      item_family_id: point.item.familyId,
      item_id: point.item.id,
      status: archived ? 'archived' : 'active',
      external_name: point.item.externalName,
      pricing_model: point.item.unit ? 'per_unit' : 'flat_fee',
      price: point.price,
      ...(point.period === 'once' ? {} : { period: 1, period_unit: point.period === 'monthly' ? ('month' as const) : ('year' as const) }),
      currency_code: point.currency,
      free_quantity: 0,
      channel: 'web',
      resource_version: updatedAt * 1000,
      updated_at: updatedAt,
      created_at: CATALOG_CREATED_AT + 200,
      ...(archived ? { archived_at: updatedAt } : {}),
      is_taxable: true,
      accounting_detail: {
        sku: `${point.item.sku}-${point.currency}`,
        accounting_code: point.item.accountingCode,
        accounting_category1: point.item.type === 'charge' ? 'Services' : 'Subscriptions',
      },
      item_type: point.item.type,
      archivable: true,
      show_description_in_invoices: false,
      show_description_in_quotes: false,
      deleted: false,
    };
  });
}

export function planRecords(points: readonly PricePoint[]): Plan[] {
  return points
    .filter((point) => point.item.type === 'plan')
    .map((point, i) => {
      const updatedAt = CATALOG_CREATED_AT + 400 + i;
      const retired = point.item.id === 'starter' && point.currency === 'KWD' && point.period === 'yearly';
      return {
        id: point.planOrAddonId,
        object: 'plan',
        name: `${point.item.name} ${point.currency} ${PERIOD_LABEL[point.period]}`,
        invoice_name: point.item.externalName,
        price: point.price,
        currency_code: point.currency,
        period: 1,
        period_unit: point.period === 'monthly' ? 'month' : 'year',
        pricing_model: 'flat_fee',
        charge_model: 'flat_fee',
        free_quantity: 0,
        status: retired ? 'deleted' : 'active',
        enabled_in_hosted_pages: true,
        enabled_in_portal: true,
        addon_applicability: 'all',
        sku: `${point.item.sku}-${point.currency}`,
        accounting_code: point.item.accountingCode,
        accounting_category1: 'Subscriptions',
        resource_version: updatedAt * 1000,
        updated_at: updatedAt,
        giftable: false,
        taxable: true,
        deleted: retired,
      };
    });
}

export function addonRecords(points: readonly PricePoint[]): Addon[] {
  return points
    .filter((point) => point.item.type !== 'plan')
    .map((point, i) => {
      const updatedAt = CATALOG_CREATED_AT + 600 + i;
      return {
        id: point.planOrAddonId,
        object: 'addon',
        name: `${point.item.name} ${point.currency}${point.period === 'once' ? '' : ` ${PERIOD_LABEL[point.period]}`}`,
        invoice_name: point.item.externalName,
        pricing_model: point.item.unit ? 'per_unit' : 'flat_fee',
        type: point.item.unit ? 'quantity' : 'on_off',
        charge_type: point.period === 'once' ? 'non_recurring' : 'recurring',
        price: point.price,
        currency_code: point.currency,
        ...(point.period === 'once' ? {} : { period: 1 }),
        period_unit: point.period === 'once' ? 'not_applicable' : point.period === 'monthly' ? 'month' : 'year',
        ...(point.item.unit ? { unit: point.item.unit } : {}),
        status: 'active',
        enabled_in_portal: true,
        sku: `${point.item.sku}-${point.currency}`,
        accounting_code: point.item.accountingCode,
        accounting_category1: point.item.type === 'charge' ? 'Services' : 'Subscriptions',
        resource_version: updatedAt * 1000,
        updated_at: updatedAt,
        taxable: true,
        deleted: false,
      };
    });
}
