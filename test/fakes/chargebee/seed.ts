/**
 * Deterministic seed data for the fake site: the same seed gives the same site, record for record.
 *
 * What the data is built to exercise (each is a trap an integration falls into):
 * - hundreds of customers in USD, EUR, GBP, JPY (no minor unit) and KWD (three decimals);
 * - non-ASCII names and companies ("Zoë Ångström", "株式会社テスト", "Müller GmbH"), customers with
 *   and without a company, one with no name at all, one with a company name over 100 characters,
 *   two sharing the company "Acme Corp";
 * - invoices with several lines (plan, addon and charge item prices, ad-hoc lines), item-level and
 *   document-level coupons, per-line taxes, tax-exclusive and tax-inclusive prices, round-off,
 *   exchange rates, partial payments, statuses paid / payment_due / not_paid / voided;
 * - adjustment credit notes allocated to invoices, refundable ones refunded or still due, voided ones;
 * - payments (card, direct debit, offline), failed payments and refunds with their links;
 * - `SEED_FACTS.bulkInvoiceCount` invoices sharing ONE `updated_at` second (more than two pages of 100);
 * - legacy records created in 2015 without `updated_at` / `resource_version`;
 * - deleted customers (with their documents), deleted invoices, credit notes and transactions;
 * - coupons (forever, limited-period, one-time; whole invoice or specific items) and subscriptions
 *   with trials, coupons, seat changes, cancellations scheduled then effective, pauses and
 *   reactivations, each step an event carrying the subscription as it was then.
 * Other event contents are the records' final state (the fake does not replay their history).
 */
import type { CreditNote, Customer, Invoice, Subscription, Transaction } from 'chargebee';
import { couponRecords } from './coupons.js';
import {
  CURRENCIES,
  EXCHANGE_RATE,
  addonRecords,
  findPricePoint,
  itemFamilyRecords,
  itemPriceRecords,
  itemRecords,
  planRecords,
  pricePoints,
  type CurrencyCode,
  type PricePoint,
} from './catalog.js';
import { priceDocument, type DocumentCoupon, type DraftLine, type PriceType } from './documents.js';
import { COMPANY_BASES, COMPANY_SUFFIX, FIRST_NAMES, LAST_NAMES, billingAddress, emailLocalPart, placeFor, type Place } from './people.js';
import { SeededRandom } from './prng.js';
import type { EventType, FakeEvent } from './resources.js';
import { cloneJson, type FakeChargebeeState, type StoredRecord } from './state.js';

const DAY = 86_400;

export const SEED_FACTS = {
  /** 2015-01-01: legacy records start here and have no updated_at. */
  legacyStart: 1_420_070_400,
  legacyEnd: 1_451_606_399,
  /** 2023-01-01 .. 2024-06-30: the active period of the seeded site. */
  activeStart: 1_672_531_200,
  activeEnd: 1_719_705_600,
  /** 2024-07-01T00:00:00Z: the second shared by the bulk-updated invoices. */
  bulkUpdatedAt: 1_719_792_000,
  bulkInvoiceCount: 250,
  legacyCustomerCount: 3,
  baseCurrency: 'USD',
} as const;

/**
 * Chargebee's `exchange_rate` of a transaction on `date`: `rate` moved by up to ±2% from day to day,
 * as a site's rates follow the market, so a payment is seldom at the rate of the invoice it pays.
 * Four decimals, six below 0.1 (JPY's 0.006667); the base currency is always 1.
 */
export function rateOn(currency: string, rate: number, date: number): number {
  if (currency === SEED_FACTS.baseCurrency) return 1;
  const day = Math.floor(date / DAY);
  const drift = (((day * 2_654_435_761) % 4_001) - 2_000) / 100_000;
  return Number((rate * (1 + drift)).toFixed(rate < 0.1 ? 6 : 4));
}

export interface SeedOptions {
  seed: number;
  customers: number;
  catalogVersion: 'v1' | 'v2';
}

/** Ids of the notable seeded records, so tests need not search for them. */
export interface SeedSummary {
  customerIds: string[];
  legacyCustomerIds: string[];
  deletedCustomerIds: string[];
  bulkInvoiceIds: string[];
  bulkUpdatedAt: number;
  /** Invoices open for payment (payment_due or not_paid), oldest first. */
  openInvoiceIds: string[];
  paidInvoiceIds: string[];
  voidedInvoiceIds: string[];
  specialCustomers: Record<'zoe' | 'japaneseCompany' | 'mullerGmbh' | 'kuwait' | 'companyOnly' | 'nameless' | 'longCompany', string>;
  /** Subscriptions by what their history holds (see `seedSubscriptionHistories`). */
  subscriptionHistories: Record<'trial' | 'coupon' | 'seatChange' | 'scheduledCancellation' | 'cancelled' | 'paused' | 'reactivated', string[]>;
}

type TransactionRecord = Transaction & { object: 'transaction' };

interface CustomerSeed {
  record: Customer;
  currency: CurrencyCode;
  place: Place;
  legacy: boolean;
  taxExempt: boolean;
  subscription?: Subscription;
  subscriptionLines: { point: PricePoint; quantity: number }[];
  period: 'monthly' | 'yearly';
  /** The subscription_created event, whose content the history pass sets to the first state. */
  subscriptionCreated?: PendingEvent;
}

interface PendingEvent {
  type: EventType;
  occurredAt: number;
  content: () => Record<string, unknown>;
}

/** The summary of a site with no seeded record. */
export function emptySiteSummary(): SeedSummary {
  return {
    customerIds: [],
    legacyCustomerIds: [],
    deletedCustomerIds: [],
    bulkInvoiceIds: [],
    bulkUpdatedAt: SEED_FACTS.bulkUpdatedAt,
    openInvoiceIds: [],
    paidInvoiceIds: [],
    voidedInvoiceIds: [],
    specialCustomers: { zoe: '', japaneseCompany: '', mullerGmbh: '', kuwait: '', companyOnly: '', nameless: '', longCompany: '' },
    subscriptionHistories: { trial: [], coupon: [], seatChange: [], scheduledCancellation: [], cancelled: [], paused: [], reactivated: [] },
  };
}

export function seedSite(state: FakeChargebeeState, options: SeedOptions): SeedSummary {
  return new SiteSeeder(state, options).run();
}

class SiteSeeder {
  private readonly random: SeededRandom;
  private readonly points = pricePoints();
  private readonly customers: CustomerSeed[] = [];
  private readonly invoices: Invoice[] = [];
  private readonly creditNotes: CreditNote[] = [];
  private readonly transactions: TransactionRecord[] = [];
  private readonly events: PendingEvent[] = [];
  private readonly summary: SeedSummary;
  private lineCounter = 0;

  constructor(
    private readonly state: FakeChargebeeState,
    private readonly options: SeedOptions,
  ) {
    if (!Number.isInteger(options.customers) || options.customers < 12) {
      throw new Error(`startFakeChargebee: customers must be 0 (an empty site) or an integer >= 12 (the special cases need 12), received ${options.customers}`);
    }
    this.random = new SeededRandom(options.seed);
    this.summary = emptySiteSummary();
  }

  run(): SeedSummary {
    this.seedCatalog();
    for (let i = 0; i < this.options.customers; i++) this.customers.push(this.buildCustomer(i));
    this.seedInvoices();
    this.seedSubscriptionHistories();
    this.markDeleted();
    this.markBulkUpdate();
    this.store();
    return this.summary;
  }

  // ---- catalog -------------------------------------------------------------------------------

  private seedCatalog(): void {
    if (this.options.catalogVersion === 'v2') {
      for (const r of itemFamilyRecords()) this.state.insertSeeded('item_families', r as StoredRecord);
      for (const r of itemRecords()) this.state.insertSeeded('items', r as StoredRecord);
      for (const r of itemPriceRecords(this.points)) this.state.insertSeeded('item_prices', r as StoredRecord);
    } else {
      for (const r of planRecords(this.points)) this.state.insertSeeded('plans', r as StoredRecord);
      for (const r of addonRecords(this.points)) this.state.insertSeeded('addons', r as StoredRecord);
    }
    for (const r of couponRecords(this.points)) this.state.insertSeeded('coupons', r as StoredRecord);
  }

  private entityOf(point: PricePoint): { entityType: Invoice.LineItem['entity_type']; entityId: string } {
    if (this.options.catalogVersion === 'v1') {
      return { entityType: point.item.type === 'plan' ? 'plan' : 'addon', entityId: point.planOrAddonId };
    }
    const entityType = point.item.type === 'plan' ? 'plan_item_price' : point.item.type === 'addon' ? 'addon_item_price' : 'charge_item_price';
    return { entityType, entityId: point.itemPriceId };
  }

  // ---- customers and subscriptions -----------------------------------------------------------

  private buildCustomer(index: number): CustomerSeed {
    const r = this.random;
    const legacy = index < SEED_FACTS.legacyCustomerCount;
    const currency: CurrencyCode =
      index === 3 || index === 5
        ? 'EUR'
        : index === 4
          ? 'JPY'
          : index === 6
            ? 'KWD'
            : index === 7
              ? 'GBP'
              : legacy
                ? 'USD'
                : r.weighted<CurrencyCode>([
                    ['USD', 40],
                    ['EUR', 20],
                    ['GBP', 15],
                    ['JPY', 15],
                    ['KWD', 10],
                  ]);
    const place = placeFor(r, currency);
    let firstName: string | undefined = r.pick(FIRST_NAMES);
    let lastName: string | undefined = r.pick(LAST_NAMES);
    let company: string | undefined = r.chance(0.6) ? `${r.pick(COMPANY_BASES)} ${r.pick(COMPANY_SUFFIX[place.country] ?? ['Ltd'])}` : undefined;
    if (index === 3) [firstName, lastName, company] = ['Zoë', 'Ångström', undefined];
    if (index === 4) [firstName, lastName, company] = ['健太', '佐藤', '株式会社テスト'];
    if (index === 5) [firstName, lastName, company] = ['Jürgen', 'Müller', 'Müller GmbH'];
    if (index === 6) [firstName, lastName, company] = ['Fatima', 'Al-Sabah', 'Al-Kuwait Trading Co. W.L.L.'];
    if (index === 7) [firstName, lastName, company] = [undefined, undefined, 'Blue Fjord Ltd'];
    if (index === 8) [firstName, lastName, company] = [undefined, undefined, undefined];
    if (index === 9) {
      company = 'The International Consolidated Amalgamated Holdings of Østergaard, Søn & Partners Worldwide Services Group Ltd';
    }
    if (index === 10 || index === 11) company = 'Acme Corp';

    const createdAt = legacy
      ? r.int(SEED_FACTS.legacyStart, SEED_FACTS.legacyStart + 120 * DAY)
      : r.int(SEED_FACTS.activeStart, SEED_FACTS.activeStart + 420 * DAY);
    const id = r.alnum(16);
    const emailBase = emailLocalPart([firstName, lastName].filter(Boolean).join(' ') || company || `customer ${index}`);
    const taxExempt = place.country === 'US' && r.chance(0.08);
    const customer: Customer = {
      id,
      object: 'customer',
      ...(firstName ? { first_name: firstName } : {}),
      ...(lastName ? { last_name: lastName } : {}),
      email: `${emailBase}.${index}@example.com`,
      ...(r.chance(0.5) ? { phone: `+1 555 01${String(index % 100).padStart(2, '0')}` } : {}),
      ...(company ? { company } : {}),
      ...(company && ['DE', 'FR', 'NL'].includes(place.country) ? { vat_number: `${r.int(100000000, 999999999)}`, vat_number_prefix: place.country } : {}),
      auto_collection: r.chance(0.7) ? 'on' : 'off',
      net_term_days: r.pick([0, 15, 30]),
      allow_direct_debit: false,
      created_at: createdAt,
      taxability: taxExempt ? 'exempt' : 'taxable',
      locale: place.country === 'JP' ? 'ja' : place.country === 'DE' ? 'de' : place.country === 'FR' ? 'fr' : 'en',
      pii_cleared: 'active',
      channel: 'web',
      card_status: r.chance(0.6) ? 'valid' : 'no_card',
      billing_address: billingAddress(place, {
        ...(firstName ? { first_name: firstName } : {}),
        ...(lastName ? { last_name: lastName } : {}),
        ...(company ? { company } : {}),
      }),
      preferred_currency_code: currency,
      promotional_credits: 0,
      unbilled_charges: 0,
      refundable_credits: 0,
      excess_payments: 0,
      deleted: false,
      cf_crm_id: `CRM-${String(100000 + index)}`,
    };
    if (!legacy) {
      customer.updated_at = Math.min(createdAt + r.int(0, 60 * DAY), SEED_FACTS.activeEnd);
      customer.resource_version = customer.updated_at * 1000 + r.int(0, 999);
    }
    this.summary.customerIds.push(id);
    if (legacy) this.summary.legacyCustomerIds.push(id);
    const special: Partial<Record<number, keyof SeedSummary['specialCustomers']>> = {
      3: 'zoe',
      4: 'japaneseCompany',
      5: 'mullerGmbh',
      6: 'kuwait',
      7: 'companyOnly',
      8: 'nameless',
      9: 'longCompany',
    };
    const specialName = special[index];
    if (specialName) this.summary.specialCustomers[specialName] = id;
    this.events.push({ type: 'customer_created', occurredAt: createdAt, content: () => ({ customer }) });

    const seed: CustomerSeed = { record: customer, currency, place, legacy, taxExempt, subscriptionLines: [], period: r.chance(0.8) ? 'monthly' : 'yearly' };
    if (!legacy && index % 7 !== 6) this.attachSubscription(seed);
    return seed;
  }

  private attachSubscription(seed: CustomerSeed): void {
    const r = this.random;
    const planId = r.weighted([
      ['starter', 5],
      ['growth', 4],
      ['enterprise', 1],
    ] as const);
    const lines = [
      { point: findPricePoint(this.points, planId, seed.currency, seed.period), quantity: 1 },
      { point: findPricePoint(this.points, 'extra-seats', seed.currency, seed.period), quantity: r.int(1, 25) },
    ];
    if (r.chance(0.25)) lines.push({ point: findPricePoint(this.points, 'sso-connector', seed.currency, seed.period), quantity: 1 });
    if (r.chance(0.2)) lines.push({ point: findPricePoint(this.points, 'priority-support', seed.currency, seed.period), quantity: 1 });
    seed.subscriptionLines = lines;

    const startedAt = seed.record.created_at + r.int(0, 2 * DAY);
    const termDays = seed.period === 'monthly' ? 30 : 365;
    const status = r.weighted<Subscription['status']>([
      ['active', 80],
      ['cancelled', 10],
      ['non_renewing', 6],
      ['paused', 4],
    ]);
    const periodUnit = seed.period === 'monthly' ? ('month' as const) : ('year' as const);
    const amount = lines.reduce((sum, l) => sum + l.point.price * l.quantity, 0);
    const termStart = SEED_FACTS.activeEnd - r.int(0, termDays - 1) * DAY;
    const updatedAt = Math.min(SEED_FACTS.activeEnd, termStart + r.int(0, DAY));
    const subscription: Subscription = {
      id: r.alnum(16),
      object: 'subscription',
      currency_code: seed.currency,
      customer_id: seed.record.id,
      status,
      billing_period: 1,
      billing_period_unit: periodUnit,
      start_date: startedAt,
      created_at: seed.record.created_at,
      started_at: startedAt,
      activated_at: startedAt,
      current_term_start: termStart,
      current_term_end: termStart + termDays * DAY - 1,
      ...(status === 'active' || status === 'non_renewing' ? { next_billing_at: termStart + termDays * DAY } : {}),
      ...(status === 'cancelled' ? { cancelled_at: updatedAt, cancel_reason_code: 'Not Paid' } : {}),
      ...(status === 'paused' ? { pause_date: updatedAt } : {}),
      auto_collection: seed.record.auto_collection,
      resource_version: updatedAt * 1000 + r.int(0, 999),
      updated_at: updatedAt,
      has_scheduled_advance_invoices: false,
      has_scheduled_changes: false,
      channel: 'web',
      due_invoices_count: 0,
      mrr: seed.period === 'monthly' ? amount : Math.floor(amount / 12),
      exchange_rate: EXCHANGE_RATE[seed.currency],
      base_currency_code: SEED_FACTS.baseCurrency,
      deleted: false,
      decommissioned: false,
      ...(this.options.catalogVersion === 'v2'
        ? {
            subscription_items: lines.map((l) => ({
              item_price_id: l.point.itemPriceId,
              item_type: l.point.item.type,
              quantity: l.quantity,
              unit_price: l.point.price,
              amount: l.point.price * l.quantity,
              object: 'subscription_item',
            })),
          }
        : {
            plan_id: lines[0]?.point.planOrAddonId ?? '',
            plan_quantity: 1,
            plan_unit_price: lines[0]?.point.price ?? 0,
            plan_amount: lines[0]?.point.price ?? 0,
            plan_free_quantity: 0,
            addons: lines.slice(1).map((l) => ({
              id: l.point.planOrAddonId,
              quantity: l.quantity,
              unit_price: l.point.price,
              amount: l.point.price * l.quantity,
              object: 'addon',
            })),
          }),
    };
    seed.subscription = subscription;
    seed.subscriptionCreated = { type: 'subscription_created', occurredAt: startedAt, content: () => ({ subscription, customer: seed.record }) };
    this.events.push(seed.subscriptionCreated);
  }

  // ---- invoices, credit notes, transactions --------------------------------------------------

  private seedInvoices(): void {
    const drafts: { seed: CustomerSeed; date: number }[] = [];
    this.customers.forEach((seed, index) => {
      const count = 1 + (index % 3);
      const start = seed.record.created_at + DAY;
      const end = seed.legacy ? SEED_FACTS.legacyEnd - 30 * DAY : SEED_FACTS.activeEnd - 10 * DAY;
      const step = Math.floor((end - start) / (count + 1));
      for (let k = 0; k < count; k++) {
        drafts.push({ seed, date: start + step * (k + 1) - this.random.int(0, Math.min(Math.floor(step / 4), 2 * DAY)) });
      }
    });
    drafts.sort((a, b) => a.date - b.date);
    drafts.forEach((draft, i) => {
      this.buildInvoice(String(20001 + i), draft.seed, draft.date);
    });
  }

  private nextLineId(): string {
    this.lineCounter += 1;
    return `li_${this.random.alnum(10)}${this.lineCounter}`;
  }

  private buildLines(seed: CustomerSeed, date: number): DraftLine[] {
    const r = this.random;
    const subscription = seed.subscription;
    if (subscription) {
      const termDays = seed.period === 'monthly' ? 30 : 365;
      const lines: DraftLine[] = seed.subscriptionLines.map(({ point, quantity }) => ({
        id: this.nextLineId(),
        description: point.item.externalName,
        ...this.entityOf(point),
        pricingModel: point.item.unit ? 'per_unit' : 'flat_fee',
        unitAmount: point.price,
        quantity,
        dateFrom: date,
        dateTo: date + termDays * DAY - 1,
        subscriptionId: subscription.id,
        ...(point.item.id === 'extra-seats' && r.chance(0.3) ? { itemCoupon: { id: 'SEATS5OFF', percent: 5 } } : {}),
      }));
      if (r.chance(0.12)) lines.push(this.chargeLine(seed, date, 'onboarding-fee', 1));
      return lines;
    }
    const lines = [this.chargeLine(seed, date, r.chance(0.5) ? 'onboarding-fee' : 'training-day', r.int(1, 3))];
    lines.push({
      id: this.nextLineId(),
      description: r.pick(['Custom integration work', 'Données de migration — lot 2', 'Beratung vor Ort', 'Expedited setup']),
      entityType: 'adhoc',
      pricingModel: 'flat_fee',
      unitAmount: Math.max(1, Math.round(lines[0]!.unitAmount / r.int(2, 5))),
      quantity: 1,
      dateFrom: date,
      dateTo: date,
    });
    return lines;
  }

  private chargeLine(seed: CustomerSeed, date: number, itemId: string, quantity: number): DraftLine {
    const point = findPricePoint(this.points, itemId, seed.currency, 'once');
    return {
      id: this.nextLineId(),
      description: point.item.externalName,
      ...this.entityOf(point),
      pricingModel: point.item.unit ? 'per_unit' : 'flat_fee',
      unitAmount: point.price,
      quantity,
      dateFrom: date,
      dateTo: date,
    };
  }

  private priceTypeFor(seed: CustomerSeed): PriceType {
    if (seed.place.country === 'JP') return 'tax_inclusive';
    if (seed.place.country === 'GB') return seed.record.id.charCodeAt(0) % 2 === 0 ? 'tax_inclusive' : 'tax_exclusive';
    return 'tax_exclusive';
  }

  private buildInvoice(id: string, seed: CustomerSeed, date: number): void {
    const r = this.random;
    const lines = this.buildLines(seed, date);
    const priceType = this.priceTypeFor(seed);
    const coupon: DocumentCoupon | undefined = r.chance(0.3)
      ? r.pick([
          { id: 'WELCOME10', percent: 10 },
          { id: 'ANNUAL15', percent: 15 },
          { id: 'PARTNER20', percent: 20 },
        ])
      : undefined;
    const roundOffUnit = ['USD', 'EUR', 'GBP'].includes(seed.currency) && r.chance(0.1) ? 100 : undefined;
    const priced = priceDocument({
      lines,
      customerId: seed.record.id,
      priceType,
      tax: seed.place.tax,
      taxExempt: seed.taxExempt,
      ...(coupon ? { documentCoupon: coupon } : {}),
      ...(roundOffUnit ? { roundOffUnit } : {}),
    });
    const status = seed.legacy
      ? 'paid'
      : r.weighted<'paid' | 'payment_due' | 'not_paid' | 'voided'>([
          ['paid', 66],
          ['payment_due', 14],
          ['not_paid', 10],
          ['voided', 10],
        ]);
    const address = seed.record.billing_address;
    const invoice: Invoice = {
      id,
      object: 'invoice',
      customer_id: seed.record.id,
      ...(seed.subscription ? { subscription_id: seed.subscription.id } : {}),
      recurring: seed.subscription !== undefined,
      status,
      price_type: priceType,
      date,
      due_date: date + seed.record.net_term_days * DAY,
      net_term_days: seed.record.net_term_days,
      ...(r.chance(0.3) ? { po_number: `PO-${r.int(10000, 99999)}` } : {}),
      ...(seed.record.vat_number ? { vat_number: seed.record.vat_number, vat_number_prefix: seed.record.vat_number_prefix as string } : {}),
      exchange_rate: EXCHANGE_RATE[seed.currency],
      currency_code: seed.currency,
      base_currency_code: SEED_FACTS.baseCurrency,
      tax: priced.tax,
      sub_total: priced.sub_total,
      total: priced.total,
      amount_due: priced.total,
      amount_adjusted: 0,
      amount_paid: 0,
      write_off_amount: 0,
      credits_applied: 0,
      first_invoice: this.invoices.every((inv) => inv.customer_id !== seed.record.id),
      has_advance_charges: false,
      term_finalized: true,
      is_gifted: false,
      generated_at: date,
      round_off_amount: priced.round_off_amount,
      line_items: priced.line_items,
      line_item_discounts: priced.line_item_discounts,
      line_item_taxes: priced.line_item_taxes,
      discounts: priced.discounts,
      taxes: priced.taxes,
      linked_payments: [],
      applied_credits: [],
      adjustment_credit_notes: [],
      issued_credit_notes: [],
      linked_orders: [],
      dunning_attempts: [],
      ...(address ? { billing_address: { ...address } } : {}),
      ...(seed.subscription && r.chance(0.5) && address ? { shipping_address: { ...address, validation_status: 'not_validated' as const } } : {}),
      channel: 'web',
      deleted: false,
    };
    let lastActivity = date;
    const end = seed.legacy ? SEED_FACTS.legacyEnd : SEED_FACTS.activeEnd;
    const later = (from: number, maxDays: number): number => Math.min(end, from + r.int(DAY / 4, maxDays * DAY));

    if (status === 'voided') {
      invoice.voided_at = later(date, 10);
      invoice.void_reason_code = r.pick(['Duplicate invoice', 'Wrong amount', 'Customer disputed']);
      invoice.amount_due = 0;
      lastActivity = invoice.voided_at;
      this.summary.voidedInvoiceIds.push(id);
    } else if (status === 'paid') {
      const payment = this.recordPayment(seed, invoice, invoice.total ?? 0, later(date, 5));
      invoice.paid_at = payment.date ?? date;
      lastActivity = payment.date ?? date;
      this.summary.paidInvoiceIds.push(id);
      if (!seed.legacy && r.chance(0.14)) lastActivity = Math.max(lastActivity, this.refundableCreditNote(seed, invoice, priceType, lines, payment));
    } else {
      if (status === 'not_paid') {
        invoice.dunning_status = 'exhausted';
        lastActivity = this.failedPayment(seed, invoice, later(date, 3)).date ?? date;
      }
      if (r.chance(0.25)) lastActivity = Math.max(lastActivity, this.adjustmentCreditNote(seed, invoice, priceType, lines, later(date, 8)));
      if (status === 'payment_due' && r.chance(0.4) && (invoice.amount_due ?? 0) > 1) {
        lastActivity = Math.max(lastActivity, this.recordPayment(seed, invoice, Math.floor((invoice.amount_due ?? 0) / 2), later(date, 6)).date ?? date);
      }
      if ((invoice.amount_due ?? 0) === 0) {
        invoice.status = 'paid';
        invoice.paid_at = lastActivity;
      } else {
        this.summary.openInvoiceIds.push(id);
      }
    }
    if (!seed.legacy) {
      invoice.updated_at = Math.min(SEED_FACTS.bulkUpdatedAt - 1, lastActivity + r.int(60, 3600));
      invoice.resource_version = invoice.updated_at * 1000 + r.int(0, 999);
    }
    this.invoices.push(invoice);
    this.events.push({ type: 'invoice_generated', occurredAt: date, content: () => ({ invoice }) });
    if (invoice.updated_at !== undefined && invoice.updated_at > date) {
      this.events.push({ type: 'invoice_updated', occurredAt: invoice.updated_at, content: () => ({ invoice }) });
    }
  }

  private gatewayFor(
    method: Transaction['payment_method'],
  ): Pick<Transaction, 'gateway'> & Partial<Pick<Transaction, 'id_at_gateway' | 'gateway_account_id' | 'masked_card_number' | 'reference_number'>> {
    const r = this.random;
    if (method === 'card') {
      return r.chance(0.7)
        ? { gateway: 'stripe', gateway_account_id: 'gw_stripe_primary', id_at_gateway: `ch_3${r.alnum(23)}`, masked_card_number: '************4242' }
        : { gateway: 'braintree', gateway_account_id: 'gw_braintree_eu', id_at_gateway: r.alnum(8).toLowerCase(), masked_card_number: '************1881' };
    }
    if (method === 'direct_debit') return { gateway: 'gocardless', gateway_account_id: 'gw_gocardless', id_at_gateway: `PM00${r.alnum(10).toUpperCase()}` };
    return { gateway: 'not_applicable', reference_number: method === 'check' ? `CHK-${r.int(1000, 9999)}` : `REF-${r.alnum(8).toUpperCase()}` };
  }

  private newTransaction(
    seed: CustomerSeed,
    fields: Omit<TransactionRecord, 'id' | 'object' | 'customer_id' | 'currency_code' | 'exchange_rate' | 'deleted'>,
  ): TransactionRecord {
    const txn: TransactionRecord = {
      id: `txn_${this.random.alnum(16)}`,
      object: 'transaction',
      customer_id: seed.record.id,
      ...(seed.subscription ? { subscription_id: seed.subscription.id } : {}),
      exchange_rate: rateOn(seed.currency, EXCHANGE_RATE[seed.currency], fields.date ?? 0),
      currency_code: seed.currency,
      deleted: false,
      ...fields,
    };
    this.transactions.push(txn);
    return txn;
  }

  private recordPayment(seed: CustomerSeed, invoice: Invoice, amount: number, date: number): TransactionRecord {
    const r = this.random;
    const method = r.weighted<Transaction['payment_method']>([
      ['card', 60],
      ['direct_debit', 10],
      ['bank_transfer', 15],
      ['check', 10],
      ['cash', 5],
    ]);
    const gateway = this.gatewayFor(method);
    const settledAt =
      method === 'card' || method === 'direct_debit' ? Math.min(date + 2 * DAY, seed.legacy ? SEED_FACTS.legacyEnd : SEED_FACTS.activeEnd) : undefined;
    invoice.amount_paid = (invoice.amount_paid ?? 0) + amount;
    invoice.amount_due = (invoice.amount_due ?? 0) - amount;
    const txn = this.newTransaction(seed, {
      payment_method: method,
      ...gateway,
      type: 'payment',
      date,
      ...(settledAt ? { settled_at: settledAt } : {}),
      amount,
      status: 'success',
      amount_unused: 0,
      linked_invoices: [
        {
          invoice_id: invoice.id,
          applied_amount: amount,
          applied_at: date,
          ...(invoice.date ? { invoice_date: invoice.date } : {}),
          ...(invoice.total !== undefined ? { invoice_total: invoice.total } : {}),
          invoice_status: (invoice.amount_due ?? 0) === 0 ? 'paid' : invoice.status,
        },
      ],
      linked_credit_notes: [],
      linked_refunds: [],
    });
    invoice.linked_payments?.push({ txn_id: txn.id, applied_amount: amount, applied_at: date, txn_status: 'success', txn_date: date, txn_amount: amount });
    this.stampTransaction(seed, txn, settledAt ?? date);
    this.events.push({ type: 'payment_succeeded', occurredAt: date, content: () => ({ transaction: txn, invoice }) });
    return txn;
  }

  private failedPayment(seed: CustomerSeed, invoice: Invoice, date: number): TransactionRecord {
    const txn = this.newTransaction(seed, {
      payment_method: 'card',
      ...this.gatewayFor('card'),
      type: 'payment',
      date,
      amount: invoice.amount_due ?? 0,
      status: 'failure',
      error_code: 'card_declined',
      error_text: 'Your card was declined.',
      linked_invoices: [],
      linked_credit_notes: [],
      linked_refunds: [],
    });
    invoice.dunning_attempts?.push({
      attempt: 0,
      transaction_id: txn.id,
      dunning_type: 'auto_collect',
      created_at: date,
      txn_status: 'failure',
      txn_amount: txn.amount ?? 0,
    });
    this.stampTransaction(seed, txn, date);
    this.events.push({ type: 'payment_failed', occurredAt: date, content: () => ({ transaction: txn, invoice }) });
    return txn;
  }

  private stampTransaction(seed: CustomerSeed, txn: TransactionRecord, lastActivity: number): void {
    if (seed.legacy) {
      delete txn.updated_at;
      delete txn.resource_version;
      return;
    }
    txn.updated_at = Math.min(SEED_FACTS.activeEnd, lastActivity + this.random.int(1, 600));
    txn.resource_version = txn.updated_at * 1000 + this.random.int(0, 999);
  }

  /** One line of the invoice credited back (half its quantity when above one). */
  private creditLines(lines: readonly DraftLine[], date: number): DraftLine[] {
    const source = lines[lines.length - 1] ?? lines[0];
    if (!source) return [];
    const quantity = source.quantity > 1 ? Math.ceil(source.quantity / 2) : 1;
    const { itemCoupon, ...rest } = source;
    return [
      {
        ...rest,
        ...(itemCoupon ? { itemCoupon } : {}),
        id: this.nextLineId(),
        quantity,
        dateFrom: Math.min(source.dateFrom, date),
        dateTo: Math.max(source.dateFrom, Math.min(source.dateTo, date)),
      },
    ];
  }

  private buildCreditNote(
    seed: CustomerSeed,
    invoice: Invoice,
    priceType: PriceType,
    lines: readonly DraftLine[],
    date: number,
    type: CreditNote['type'],
  ): CreditNote {
    const r = this.random;
    const priced = priceDocument({
      lines: this.creditLines(lines, date),
      customerId: seed.record.id,
      priceType,
      tax: seed.place.tax,
      taxExempt: seed.taxExempt,
    });
    const reason = r.pick(['product_unsatisfactory', 'service_unsatisfactory', 'order_change', 'waiver', 'subscription_change', 'other'] as const);
    return {
      id: `CN-${10001 + this.creditNotes.length}`,
      object: 'credit_note',
      customer_id: seed.record.id,
      ...(invoice.subscription_id ? { subscription_id: invoice.subscription_id } : {}),
      reference_invoice_id: invoice.id,
      type,
      reason_code: reason,
      create_reason_code: reason === 'other' ? 'Goodwill gesture' : reason.replace(/_/g, ' '),
      status: type === 'adjustment' ? 'adjusted' : 'refund_due',
      date,
      price_type: priceType,
      currency_code: seed.currency,
      total: priced.total,
      amount_allocated: 0,
      amount_refunded: 0,
      amount_available: 0,
      generated_at: date,
      channel: 'web',
      sub_total: priced.sub_total,
      round_off_amount: 0,
      fractional_correction: 0,
      line_items: priced.line_items,
      line_item_discounts: priced.line_item_discounts,
      line_item_taxes: priced.line_item_taxes,
      discounts: priced.discounts,
      taxes: priced.taxes,
      linked_refunds: [],
      allocations: [],
      ...(invoice.billing_address ? { billing_address: { ...invoice.billing_address } } : {}),
      deleted: false,
    };
  }

  private stampCreditNote(seed: CustomerSeed, note: CreditNote, lastActivity: number): void {
    note.updated_at = Math.min(SEED_FACTS.activeEnd, lastActivity + this.random.int(1, 900));
    note.resource_version = note.updated_at * 1000 + this.random.int(0, 999);
    this.creditNotes.push(note);
    this.events.push({ type: 'credit_note_created', occurredAt: note.date ?? lastActivity, content: () => ({ credit_note: note }) });
    void seed;
  }

  /** Reduces what the customer owes on an open invoice; returns the activity time, or the date when skipped. */
  private adjustmentCreditNote(seed: CustomerSeed, invoice: Invoice, priceType: PriceType, lines: readonly DraftLine[], date: number): number {
    const note = this.buildCreditNote(seed, invoice, priceType, lines, date, 'adjustment');
    const total = note.total ?? 0;
    if (total <= 0 || total > (invoice.amount_due ?? 0)) return invoice.date ?? date;
    invoice.amount_adjusted = (invoice.amount_adjusted ?? 0) + total;
    invoice.amount_due = (invoice.amount_due ?? 0) - total;
    note.amount_allocated = total;
    note.allocations = [
      {
        invoice_id: invoice.id,
        allocated_amount: total,
        allocated_at: date,
        ...(invoice.date ? { invoice_date: invoice.date } : {}),
        invoice_status: invoice.amount_due === 0 ? 'paid' : invoice.status,
      },
    ];
    invoice.adjustment_credit_notes?.push({
      cn_id: note.id,
      ...(note.reason_code ? { cn_reason_code: note.reason_code } : {}),
      cn_date: date,
      cn_total: total,
      cn_status: 'adjusted',
    });
    this.stampCreditNote(seed, note, date);
    return date;
  }

  /** A refundable credit note on a paid invoice: refunded through the gateway, still due, or voided. */
  private refundableCreditNote(seed: CustomerSeed, invoice: Invoice, priceType: PriceType, lines: readonly DraftLine[], payment: TransactionRecord): number {
    const r = this.random;
    const date = Math.min(SEED_FACTS.activeEnd, (payment.date ?? invoice.date ?? 0) + r.int(1, 20) * DAY);
    const note = this.buildCreditNote(seed, invoice, priceType, lines, date, 'refundable');
    const total = note.total ?? 0;
    const outcome = r.weighted([
      ['refunded', 70],
      ['refund_due', 20],
      ['voided', 10],
    ] as const);
    let lastActivity = date;
    if (outcome === 'refunded' && total <= (payment.amount ?? 0)) {
      const refundDate = Math.min(SEED_FACTS.activeEnd, date + r.int(0, 3) * DAY);
      const refund = this.newTransaction(seed, {
        payment_method: payment.payment_method,
        gateway: payment.gateway,
        ...(payment.gateway_account_id ? { gateway_account_id: payment.gateway_account_id } : {}),
        ...(payment.gateway === 'stripe' ? { id_at_gateway: `re_3${r.alnum(23)}` } : payment.id_at_gateway ? { id_at_gateway: r.alnum(8).toLowerCase() } : {}),
        type: 'refund',
        date: refundDate,
        amount: total,
        status: 'success',
        reference_transaction_id: payment.id,
        refunded_txn_id: payment.id,
        linked_invoices: [],
        linked_credit_notes: [
          {
            cn_id: note.id,
            applied_amount: total,
            applied_at: refundDate,
            ...(note.reason_code ? { cn_reason_code: note.reason_code } : {}),
            cn_date: date,
            cn_total: total,
            cn_status: 'refunded',
            cn_reference_invoice_id: invoice.id,
          },
        ],
        linked_refunds: [],
      });
      this.stampTransaction(seed, refund, refundDate);
      payment.linked_refunds?.push({ txn_id: refund.id, txn_status: 'success', txn_date: refundDate, txn_amount: total });
      this.stampTransaction(seed, payment, refundDate);
      note.status = 'refunded';
      note.amount_refunded = total;
      note.refunded_at = refundDate;
      note.linked_refunds = [
        {
          txn_id: refund.id,
          applied_amount: total,
          applied_at: refundDate,
          txn_status: 'success',
          txn_date: refundDate,
          txn_amount: total,
          refund_reason_code: 'Goodwill',
        },
      ];
      this.events.push({ type: 'payment_refunded', occurredAt: refundDate, content: () => ({ transaction: refund, credit_note: note, invoice }) });
      lastActivity = refundDate;
    } else if (outcome === 'voided') {
      note.status = 'voided';
      note.voided_at = Math.min(SEED_FACTS.activeEnd, date + DAY);
      lastActivity = note.voided_at;
    } else {
      note.status = 'refund_due';
      note.amount_available = total;
    }
    invoice.issued_credit_notes?.push({
      cn_id: note.id,
      ...(note.reason_code ? { cn_reason_code: note.reason_code } : {}),
      cn_date: date,
      cn_total: total,
      cn_status: note.status,
    });
    this.stampCreditNote(seed, note, lastActivity);
    return lastActivity;
  }

  // ---- subscription histories ----------------------------------------------------------------

  /**
   * What each subscription went through, for the metrics report: a trial, coupons, a seat change, a
   * cancellation scheduled then effective, a pause, a cancellation followed by a reactivation. Each
   * step is an event carrying the subscription as it was then; the record keeps only the last state
   * (a reactivated subscription no longer shows its cancellation). A PRNG of its own, so every other
   * record of the site is the same as before these histories were seeded.
   */
  private seedSubscriptionHistories(): void {
    const r = new SeededRandom(this.options.seed ^ 0x4157);
    const histories = this.summary.subscriptionHistories;
    for (const seed of this.customers) {
      const subscription = seed.subscription;
      if (!subscription) continue;
      const id = subscription.id;
      const start = subscription.started_at ?? 0;
      // The last step: the record's last change, at least six weeks after the start.
      const end = Math.min(SEED_FACTS.activeEnd, Math.max(subscription.updated_at ?? start, start + 45 * DAY));
      const finalStatus = subscription.status;
      const state: Record<string, unknown> = cloneJson(subscription);
      for (const key of ['cancelled_at', 'cancel_reason_code', 'pause_date', 'next_billing_at'] as const) delete state[key];
      state['status'] = 'active';
      state['meta_data'] = { sales_channel: r.pick(['direct', 'partner', 'self_serve']) };
      // Each step changes the state from its time on; applied in time order, each event carries the state as it was then.
      const plan: Array<{ type: EventType; at: number; changes: Record<string, unknown> }> = [];

      let activation = start;
      if (r.chance(0.2)) {
        activation = start + 14 * DAY;
        Object.assign(state, { status: 'in_trial', trial_start: start, trial_end: activation, activated_at: activation });
        plan.push({ type: 'subscription_activated', at: activation, changes: { status: 'active' } });
        histories.trial.push(id);
      }
      const couponRoll = r.next();
      const coupons =
        couponRoll < 0.12
          ? [{ coupon_id: 'FOREVER10', applied_count: 1 }]
          : couponRoll < 0.2
            ? [{ coupon_id: 'LAUNCH3M', apply_till: activation + 90 * DAY, applied_count: 1 }]
            : couponRoll < 0.26 && seed.currency === 'USD'
              ? [{ coupon_id: 'ONBOARD50', applied_count: 1 }]
              : [];
      if (coupons.length > 0) {
        state['coupons'] = coupons;
        histories.coupon.push(id);
      }

      const items = state['subscription_items'] as Array<Record<string, unknown>> | undefined;
      const seats = items?.findIndex((item) => String(item['item_price_id']).startsWith('extra-seats-')) ?? -1;
      if (items && seats >= 0 && end - activation > 40 * DAY && r.chance(0.3)) {
        // Seats bought (or given back) some time after activation; until then the subscription had the other count.
        const seat = items[seats] as Record<string, unknown>;
        const quantity = Number(seat['quantity']);
        const before = r.chance(0.7) ? Math.max(1, quantity - r.int(1, 5)) : quantity + r.int(1, 5);
        if (before !== quantity) {
          const earlier = cloneJson(items);
          Object.assign(earlier[seats] as Record<string, unknown>, { quantity: before, amount: Number(seat['unit_price']) * before });
          plan.push({ type: 'subscription_changed', at: r.int(activation + 20 * DAY, end - 10 * DAY), changes: { subscription_items: cloneJson(items) } });
          state['subscription_items'] = earlier;
          histories.seatChange.push(id);
        }
      }

      if (finalStatus === 'active' && end - activation > 120 * DAY && r.chance(0.08)) {
        const cancelledAt = r.int(activation + 30 * DAY, end - 80 * DAY);
        const reactivatedAt = cancelledAt + r.int(20, 60) * DAY;
        plan.push({
          type: 'subscription_cancelled',
          at: cancelledAt,
          changes: { status: 'cancelled', cancelled_at: cancelledAt, cancel_reason_code: 'Not Paid' },
        });
        plan.push({
          type: 'subscription_reactivated',
          at: reactivatedAt,
          changes: { status: 'active', cancelled_at: undefined, cancel_reason_code: undefined, activated_at: reactivatedAt },
        });
        histories.reactivated.push(id);
      }
      if (finalStatus === 'cancelled') {
        if (r.chance(0.5)) {
          const scheduledAt = end - r.int(10, 40) * DAY;
          plan.push({
            type: 'subscription_cancellation_scheduled',
            at: scheduledAt,
            changes: { status: 'non_renewing', cancelled_at: end, cancel_schedule_created_at: scheduledAt },
          });
          histories.scheduledCancellation.push(id);
        }
        plan.push({ type: 'subscription_cancelled', at: end, changes: { status: 'cancelled', cancelled_at: end, cancel_reason_code: 'Not Paid' } });
        histories.cancelled.push(id);
      } else if (finalStatus === 'non_renewing') {
        const termEnd = Math.max(subscription.current_term_end ?? end, end + DAY);
        plan.push({
          type: 'subscription_cancellation_scheduled',
          at: end,
          changes: { status: 'non_renewing', cancelled_at: termEnd, cancel_schedule_created_at: end },
        });
        histories.scheduledCancellation.push(id);
      } else if (finalStatus === 'paused') {
        plan.push({
          type: 'subscription_paused',
          at: end,
          changes: { status: 'paused', pause_date: end, ...(r.chance(0.5) ? { resume_date: end + 60 * DAY } : {}) },
        });
        histories.paused.push(id);
      } else {
        plan.push({ type: 'subscription_changed', at: end, changes: { next_billing_at: subscription.next_billing_at } });
      }

      // The first state, with the trial, coupons and seats it started with.
      const first = cloneJson(state);
      const created = seed.subscriptionCreated;
      if (created) created.content = () => ({ subscription: first, customer: seed.record });
      plan.sort((a, b) => a.at - b.at);
      for (const { type, at, changes } of plan) {
        for (const [key, value] of Object.entries(changes)) {
          if (value === undefined) delete state[key];
          else state[key] = value;
        }
        state['updated_at'] = at;
        state['resource_version'] = at * 1000 + r.int(0, 999);
        const snapshot = cloneJson(state);
        this.events.push({ type, occurredAt: at, content: () => ({ subscription: snapshot }) });
      }

      for (const key of Object.keys(subscription)) delete (subscription as unknown as Record<string, unknown>)[key];
      Object.assign(subscription, cloneJson(state));
    }
  }

  // ---- deletions, the bulk second, storing ---------------------------------------------------

  private markDeleted(): void {
    const deletedIndexes = [20, 57, 123].filter((i) => i < this.customers.length);
    for (const index of deletedIndexes) {
      const seed = this.customers[index];
      if (!seed) continue;
      const at = SEED_FACTS.activeEnd - index * 3600;
      const customerId = seed.record.id;
      this.markRecordDeleted(seed.record, at, 'customer_deleted', 'customer');
      if (seed.subscription) this.markRecordDeleted(seed.subscription, at, 'subscription_deleted', 'subscription');
      for (const inv of this.invoices.filter((i) => i.customer_id === customerId)) this.markRecordDeleted(inv, at, 'invoice_deleted', 'invoice');
      for (const cn of this.creditNotes.filter((c) => c.customer_id === customerId)) this.markRecordDeleted(cn, at, 'credit_note_deleted', 'credit_note');
      for (const txn of this.transactions.filter((t) => t.customer_id === customerId)) this.markRecordDeleted(txn, at, 'transaction_deleted', 'transaction');
      this.summary.deletedCustomerIds.push(customerId);
    }
    const deletedCustomers = new Set(this.summary.deletedCustomerIds);
    const live = <T extends { customer_id?: string; deleted: boolean }>(records: T[]): T[] =>
      records.filter((r) => !r.deleted && !deletedCustomers.has(r.customer_id ?? ''));
    for (const inv of live(this.invoices)
      .filter((i) => i.status === 'voided' && i.updated_at !== undefined)
      .slice(0, 4)) {
      this.markRecordDeleted(inv, (inv.updated_at ?? 0) + DAY, 'invoice_deleted', 'invoice');
    }
    for (const cn of live(this.creditNotes)
      .filter((c) => c.status === 'voided')
      .slice(0, 1)) {
      this.markRecordDeleted(cn, (cn.updated_at ?? 0) + DAY, 'credit_note_deleted', 'credit_note');
    }
    for (const txn of live(this.transactions)
      .filter((t) => t.status === 'failure' && t.updated_at !== undefined)
      .slice(0, 2)) {
      this.markRecordDeleted(txn, (txn.updated_at ?? 0) + DAY, 'transaction_deleted', 'transaction');
    }
    const removed = (id: string) => this.invoices.some((i) => i.id === id && i.deleted);
    this.summary.openInvoiceIds = this.summary.openInvoiceIds.filter((id) => !removed(id));
    this.summary.paidInvoiceIds = this.summary.paidInvoiceIds.filter((id) => !removed(id));
    this.summary.voidedInvoiceIds = this.summary.voidedInvoiceIds.filter((id) => !removed(id));
  }

  private markRecordDeleted(record: { deleted: boolean; updated_at?: number; resource_version?: number }, at: number, type: EventType, key: string): void {
    const when = Math.min(SEED_FACTS.bulkUpdatedAt - 1, Math.max(at, record.updated_at ?? 0));
    record.deleted = true;
    if (record.updated_at !== undefined) {
      record.updated_at = when;
      record.resource_version = when * 1000 + this.random.int(0, 999);
    }
    this.events.push({ type, occurredAt: when, content: () => ({ [key]: record }) });
  }

  /** A bulk action (e.g. a dunning-settings change) touched many invoices in the same second. */
  private markBulkUpdate(): void {
    const candidates = this.invoices.filter((inv) => inv.updated_at !== undefined && !inv.deleted);
    const shuffled = candidates.map((inv) => ({ inv, order: this.random.next() })).sort((a, b) => a.order - b.order);
    const chosen = shuffled.slice(0, Math.min(SEED_FACTS.bulkInvoiceCount, candidates.length)).map((x) => x.inv);
    chosen.sort((a, b) => (a.id < b.id ? -1 : 1));
    chosen.forEach((inv, i) => {
      inv.updated_at = SEED_FACTS.bulkUpdatedAt;
      inv.resource_version = SEED_FACTS.bulkUpdatedAt * 1000 + i;
      this.summary.bulkInvoiceIds.push(inv.id);
      this.events.push({ type: 'invoice_updated', occurredAt: SEED_FACTS.bulkUpdatedAt, content: () => ({ invoice: inv }) });
    });
  }

  private store(): void {
    const byCreation = <T extends { id: string }>(records: readonly T[], createdAt: (r: T) => number): T[] =>
      [...records].sort((a, b) => createdAt(a) - createdAt(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const c of byCreation(
      this.customers.map((s) => s.record),
      (c) => c.created_at,
    ))
      this.state.insertSeeded('customers', c as StoredRecord);
    const subscriptions = this.customers.flatMap((s) => (s.subscription ? [s.subscription] : []));
    for (const s of byCreation(subscriptions, (s) => s.created_at ?? 0)) this.state.insertSeeded('subscriptions', s as StoredRecord);
    for (const inv of byCreation(this.invoices, (i) => i.date ?? 0)) this.state.insertSeeded('invoices', inv as StoredRecord);
    for (const cn of byCreation(this.creditNotes, (c) => c.date ?? 0)) this.state.insertSeeded('credit_notes', cn as StoredRecord);
    for (const txn of byCreation(this.transactions, (t) => t.date ?? 0)) this.state.insertSeeded('transactions', txn as unknown as StoredRecord);
    const ordered = [...this.events].sort((a, b) => a.occurredAt - b.occurredAt);
    for (const pending of ordered) {
      const event: FakeEvent = {
        id: `ev_${this.random.alnum(16)}`,
        object: 'event',
        occurred_at: pending.occurredAt,
        source: pending.type.startsWith('payment') ? 'scheduled_job' : 'admin_console',
        webhook_status: 'not_configured',
        event_type: pending.type,
        api_version: 'v2',
        content: cloneJson(pending.content()),
      };
      this.state.insertSeeded('events', event as unknown as StoredRecord);
    }
  }
}

export { CURRENCIES };
