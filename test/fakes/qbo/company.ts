/**
 * One QuickBooks company (realm): its entities and the business rules QBO applies on create,
 * sparse / full update, void and delete. Every posted entity is first checked against the XSD.
 */
import { currencyExponent, decimalsOf, fromScaled, multiplyScaled, toScaled } from './decimal.js';
import { faults, QboFault } from './faults.js';
import { matches, parseQuery, QueryError, type ParsedQuery } from './query.js';
import { validateEntity, type QboSchema } from './xsd-schema.js';

export type Entity = Record<string, unknown> & { Id: string; SyncToken: string };

/** Entities the fake accepts writes for, and the operations each supports. */
const writable: Record<string, { void: boolean; delete: boolean }> = {
  Customer: { void: false, delete: false },
  Item: { void: false, delete: false },
  Invoice: { void: true, delete: true },
  CreditMemo: { void: false, delete: true },
  Payment: { void: true, delete: true },
  RefundReceipt: { void: true, delete: true },
  // Intuit's JournalEntry API has create, update and delete but no void.
  JournalEntry: { void: false, delete: true },
};
const readOnly = ['Account', 'PaymentMethod', 'TaxRate', 'TaxCode', 'Term', 'CompanyInfo', 'Preferences', 'CompanyCurrency'];
/**
 * Name-list entities: a query returns only the active ones unless it filters on Active itself
 * (Intuit: "where Active in (true, false)" to include inactive records).
 */
const nameLists = new Set(['Account', 'Customer', 'Item', 'PaymentMethod', 'TaxCode', 'TaxRate', 'Term', 'CompanyCurrency']);
/**
 * Entities Intuit voids with a sparse update `?operation=update&include=void` (the PHP SDK's
 * PAYMENTCLASSNAME, node-quickbooks' voidPayment); `?operation=void` does not void them.
 */
export const VOIDED_BY_SPARSE_UPDATE: ReadonlySet<string> = new Set(['Payment', 'SalesReceipt']);
const transactionTypes = new Set(['Invoice', 'CreditMemo', 'Payment', 'RefundReceipt']);
const computedFields = new Set([
  'Id',
  'SyncToken',
  'MetaData',
  'domain',
  'sparse',
  'TotalAmt',
  'Balance',
  'HomeTotalAmt',
  'HomeBalance',
  'RemainingCredit',
  'FullyQualifiedName',
  'UnappliedAmt',
]);
/**
 * The Accounts Receivable account of each currency: QBO keeps one A/R account per currency, and a
 * journal entry's A/R line must use the one of the entry's currency. 84 is A/R in Intuit's sandbox companies.
 */
export const RECEIVABLE_ACCOUNT_IDS: Readonly<Record<string, string>> = {
  USD: '84',
  EUR: '841',
  GBP: '842',
  JPY: '843',
  KWD: '844',
  CAD: '845',
  AUD: '846',
  INR: '847',
};
const RECEIVABLE = 'Accounts Receivable';
/** Fields QBO computes itself and ignores on input; a Payment's TotalAmt is the one it takes from the client. */
function isComputed(entity: string, field: string): boolean {
  return computedFields.has(field) && !(entity === 'Payment' && field === 'TotalAmt');
}

export const entityPaths: Record<string, string> = Object.fromEntries([...Object.keys(writable), ...readOnly].map((e) => [e.toLowerCase(), e]));

export interface CompanyOptions {
  realmId: string;
  homeCurrency: string;
  currencies: string[];
  /** QBO's "warn on duplicate document numbers" preference as an error (Intuit's default for custom txn numbers). Default true. */
  rejectDuplicateDocNumber: boolean;
  /** CompanyInfo.Country. A US company refuses GlobalTaxCalculation, which Intuit documents as not applicable there. */
  country: string;
  /**
   * Sales tax (VAT, GST) set up in a company outside the US: every sales line must then carry a
   * TaxCodeRef, or QBO refuses the document (6000 "Make sure all your transactions have a VAT rate
   * before you save"). Its tax codes are numbered, not the US pseudo codes TAX / NON.
   */
  salesTax: boolean;
}

export interface WriteEvent {
  entity: string;
  operation: 'create' | 'update' | 'void' | 'delete';
  id: string;
}

export class Company {
  readonly realmId: string;
  readonly homeCurrency: string;
  readonly currencies: Set<string>;
  private readonly tables = new Map<string, Map<string, Entity>>();
  private nextId = 1000;
  readonly writes: WriteEvent[] = [];

  constructor(
    private readonly schema: QboSchema,
    private readonly options: CompanyOptions,
  ) {
    this.realmId = options.realmId;
    this.homeCurrency = options.homeCurrency;
    this.currencies = new Set([options.homeCurrency, ...options.currencies]);
    this.seedReference();
  }

  private seedReference(): void {
    const accounts: [string, string, string][] = [
      ['4', 'Undeposited Funds', 'Other Current Asset'],
      ['35', 'Checking', 'Bank'],
      ['36', 'Stripe Clearing', 'Bank'],
      ['79', 'Sales of Product Income', 'Income'],
      ['80', 'Subscription Revenue', 'Income'],
      ['86', 'Discounts given', 'Income'],
    ];
    for (const [Id, Name, AccountType] of accounts) this.insert('Account', { Id, SyncToken: '0', Name, AccountType, Active: true });
    for (const code of this.currencies) {
      const Id = RECEIVABLE_ACCOUNT_IDS[code];
      const Name = code === this.homeCurrency ? 'Accounts Receivable (A/R)' : `Accounts Receivable (A/R) - ${code}`;
      if (Id) this.insert('Account', { Id, SyncToken: '0', Name, AccountType: RECEIVABLE, CurrencyRef: { value: code }, Active: true });
    }
    for (const [Id, Name, Type] of [
      ['1', 'Cash', 'NON_CREDIT_CARD'],
      ['2', 'Check', 'NON_CREDIT_CARD'],
      ['3', 'Credit Card', 'CREDIT_CARD'],
      ['4', 'Bank Transfer', 'NON_CREDIT_CARD'],
    ] as const)
      this.insert('PaymentMethod', { Id, SyncToken: '0', Name, Type, Active: true });
    this.insert('TaxRate', { Id: '3', SyncToken: '0', Name: 'VAT 20%', RateValue: 20, Active: true });
    this.insert('TaxRate', { Id: '4', SyncToken: '0', Name: 'Sales tax', RateValue: 8, Active: true });
    // A new QBO company comes with the "Services" item.
    this.insert('Item', { Id: '1', SyncToken: '0', Name: 'Services', Type: 'Service', IncomeAccountRef: { value: '79' }, Active: true });
    if (this.options.country === 'US') {
      this.insert('TaxCode', { Id: 'TAX', SyncToken: '0', Name: 'TAX', Active: true });
      this.insert('TaxCode', { Id: 'NON', SyncToken: '0', Name: 'NON', Active: true });
    } else {
      this.insert('TaxCode', { Id: '5', SyncToken: '0', Name: '20.0% S', Taxable: true, Active: true });
      this.insert('TaxCode', { Id: '6', SyncToken: '0', Name: 'Exempt', Taxable: false, Active: true });
      this.insert('TaxCode', { Id: '7', SyncToken: '0', Name: '0.0% Z', Taxable: true, Active: true });
    }
    this.insert('CompanyInfo', { Id: '1', SyncToken: '0', CompanyName: 'Fake Company', Country: this.options.country });
    this.insert('Preferences', {
      Id: '1',
      SyncToken: '0',
      CurrencyPrefs: { MultiCurrencyEnabled: this.currencies.size > 1, HomeCurrency: { value: this.homeCurrency } },
    });
    // The currencies added to the company besides its home currency.
    const added = [...this.currencies].filter((code) => code !== this.homeCurrency);
    for (const [i, code] of added.entries()) this.insert('CompanyCurrency', { Id: String(i + 1), SyncToken: '0', Code: code, Name: code, Active: true });
  }

  private table(entity: string): Map<string, Entity> {
    let t = this.tables.get(entity);
    if (!t) this.tables.set(entity, (t = new Map()));
    return t;
  }

  private insert(entity: string, value: Entity): Entity {
    this.table(entity).set(value.Id, value);
    return value;
  }

  list(entity: string): Entity[] {
    return [...this.table(entity).values()];
  }

  get(entity: string, id: string): Entity | undefined {
    return this.table(entity).get(id);
  }

  /** Reads an entity as GET /{entity}/{id} does. */
  read(entity: string, id: string): Entity {
    const found = this.get(entity, id);
    if (!found) throw faults.objectNotFound(entity, id);
    return structuredClone(found);
  }

  /** Test helper: someone edits the entity in QBO's UI (its SyncToken moves on). */
  touch(entity: string, id: string, changes: Record<string, unknown> = {}): Entity {
    const found = this.get(entity, id);
    if (!found) throw new Error(`${entity} ${id} not found`);
    Object.assign(found, changes);
    found.SyncToken = String(Number(found.SyncToken) + 1);
    return structuredClone(found);
  }

  /** Test helper: a document keyed in QBO before go-live, stored without going through the API. */
  preload(entity: string, value: Record<string, unknown>): Entity {
    return this.commit(entity, this.newEntity(entity, value), 'create', false);
  }

  create(entity: string, body: unknown): Entity {
    this.checkWritable(entity);
    this.checkSchema(entity, body);
    const value = body as Record<string, unknown>;
    if (value['Id'] !== undefined) throw faults.unsupportedProperty('Id', 'Id');
    return this.commit(entity, this.newEntity(entity, value), 'create', true);
  }

  /** Create when there is no Id, update (full or sparse) when there is, as POST /{entity} does. */
  save(entity: string, body: unknown): Entity {
    const value = (body ?? {}) as Record<string, unknown>;
    return value['Id'] === undefined ? this.create(entity, body) : this.update(entity, body);
  }

  update(entity: string, body: unknown): Entity {
    this.checkWritable(entity);
    this.checkSchema(entity, body);
    const value = body as Record<string, unknown>;
    const current = this.current(entity, value);
    const next: Record<string, unknown> =
      value['sparse'] === true || value['sparse'] === 'true' ? { ...current } : pick(current, ['Id', 'SyncToken', 'MetaData', 'domain', 'Active']);
    for (const [k, v] of Object.entries(value)) if (!isComputed(entity, k)) setOrClear(next, k, v);
    const entityValue = { ...next, Id: current.Id, SyncToken: String(Number(current.SyncToken) + 1) } as Entity;
    return this.commit(entity, entityValue, 'update', true);
  }

  void(entity: string, body: unknown): Entity {
    const rules = writable[entity];
    if (!rules?.void) throw faults.unsupportedOperation('void', entity);
    const current = this.current(entity, body as Record<string, unknown>);
    const voided = structuredClone(current);
    voided.SyncToken = String(Number(current.SyncToken) + 1);
    voided['PrivateNote'] = `Voided${current['PrivateNote'] ? ` - ${String(current['PrivateNote'])}` : ''}`;
    voided['TxnStatus'] = 'Voided';
    const zero = (line: Record<string, unknown>) => {
      line['Amount'] = 0;
      const detail = line['SalesItemLineDetail'] as Record<string, unknown> | undefined;
      if (detail) {
        detail['Qty'] = 0;
        detail['UnitPrice'] = 0;
      }
    };
    for (const line of (voided['Line'] as Record<string, unknown>[] | undefined) ?? []) zero(line);
    if (voided['TxnTaxDetail']) (voided['TxnTaxDetail'] as Record<string, unknown>)['TotalTax'] = 0;
    for (const taxLine of ((voided['TxnTaxDetail'] as Record<string, unknown> | undefined)?.['TaxLine'] as Record<string, unknown>[] | undefined) ?? [])
      zero(taxLine);
    voided['TotalAmt'] = 0;
    voided['Balance'] = 0;
    this.table(entity).set(voided.Id, voided);
    this.rebalanceFor(entity, current);
    this.stamp(voided);
    this.writes.push({ entity, operation: 'void', id: voided.Id });
    return structuredClone(voided);
  }

  delete(entity: string, body: unknown): Record<string, unknown> {
    const rules = writable[entity];
    if (!rules?.delete) throw faults.unsupportedOperation('delete', entity);
    const current = this.current(entity, body as Record<string, unknown>);
    this.table(entity).delete(current.Id);
    this.rebalanceFor(entity, current);
    this.writes.push({ entity, operation: 'delete', id: current.Id });
    return { status: 'Deleted', domain: 'QBO', Id: current.Id };
  }

  query(text: string): Record<string, unknown> {
    let parsed: ParsedQuery;
    try {
      parsed = parseQuery(text);
    } catch (error) {
      if (error instanceof QueryError) throw faults.queryParser(error.message);
      throw error;
    }
    const entity = Object.values(entityPaths).find((e) => e.toLowerCase() === parsed.entity.toLowerCase());
    if (!entity) throw faults.queryParser(`Invalid entity ${parsed.entity}`);
    const activeOnly = nameLists.has(entity) && !parsed.where.some((c) => c.field.toLowerCase() === 'active');
    let rows = this.list(entity).filter((row) => (!activeOnly || row['Active'] !== false) && parsed.where.every((c) => matches(row, c)));
    if (parsed.fields === 'count') return { totalCount: rows.length };
    const order = parsed.orderBy;
    rows.sort((a, b) => {
      if (!order) return Number(a.Id) - Number(b.Id);
      const x = String(a[order.field] ?? '');
      const y = String(b[order.field] ?? '');
      return (x < y ? -1 : x > y ? 1 : 0) * (order.desc ? -1 : 1);
    });
    rows = rows.slice(parsed.startPosition - 1, parsed.startPosition - 1 + parsed.maxResults);
    if (rows.length === 0) return {};
    const selected = parsed.fields === '*' ? rows.map((r) => structuredClone(r)) : rows.map((r) => pick(r, ['Id', ...(parsed.fields as string[])]));
    return { [entity]: selected, startPosition: parsed.startPosition, maxResults: rows.length };
  }

  private checkWritable(entity: string): void {
    if (!writable[entity]) throw faults.unsupportedOperation('create/update', entity);
  }

  private checkSchema(entity: string, body: unknown): void {
    if (this.options.country === 'US' && body && typeof body === 'object' && 'GlobalTaxCalculation' in body) {
      // Intuit: "GlobalTaxCalculation … Not applicable to US companies."
      throw faults.unsupportedProperty('GlobalTaxCalculation (not applicable to US companies)', 'GlobalTaxCalculation');
    }
    const violations = validateEntity(this.schema, entity, body);
    const first = violations[0];
    if (!first) return;
    if (first.unknownField) throw faults.unsupportedProperty(first.message, first.path);
    throw new QboFault(400, 'ValidationFault', [
      { Message: 'Request has invalid or unsupported property', Detail: `Property Name:${first.path} ${first.message}`, code: '2010', element: first.path },
    ]);
  }

  private current(entity: string, value: Record<string, unknown>): Entity {
    const id = value['Id'] === undefined ? undefined : String(value['Id']);
    if (!id) throw faults.requiredMissing('Id');
    const current = this.get(entity, id);
    if (!current) throw faults.objectNotFound(entity, id);
    if (value['SyncToken'] === undefined) throw faults.requiredMissing('SyncToken');
    if (String(value['SyncToken']) !== current.SyncToken) throw faults.staleObject(String(value['SyncToken']), current.SyncToken);
    return current;
  }

  private newEntity(entity: string, value: Record<string, unknown>): Entity {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (!isComputed(entity, k) || k === 'Id') setOrClear(copy, k, v);
    return { ...copy, Id: String(this.nextId++), SyncToken: '0', domain: 'QBO' } as Entity;
  }

  private commit(entity: string, value: Entity, operation: 'create' | 'update', enforce: boolean): Entity {
    const previous = this.get(entity, value.Id);
    if (enforce) this.applyRules(entity, value, previous);
    else this.computeTotals(entity, value);
    this.table(entity).set(value.Id, value);
    if (previous) this.rebalanceFor(entity, previous);
    this.rebalanceFor(entity, value);
    this.stamp(value, previous);
    this.writes.push({ entity, operation, id: value.Id });
    return structuredClone(value);
  }

  private stamp(value: Entity, previous?: Entity): void {
    const now = new Date().toISOString();
    const created = (previous?.['MetaData'] as { CreateTime?: string } | undefined)?.CreateTime ?? now;
    value['MetaData'] = { CreateTime: created, LastUpdatedTime: now };
  }

  private applyRules(entity: string, value: Entity, previous: Entity | undefined): void {
    if (entity === 'Customer') this.customerRules(value);
    else if (entity === 'Item') this.itemRules(value);
    else if (entity === 'JournalEntry') this.journalEntryRules(value);
    else if (transactionTypes.has(entity)) this.transactionRules(entity, value, previous);
  }

  /**
   * Intuit: the debits must equal the credits, and a line on Accounts Receivable must name its
   * customer (JournalEntryLineDetail.Entity, Type Customer) and use the A/R account of the entry's currency.
   */
  private journalEntryRules(je: Entity): void {
    const currency = this.enabledCurrency(je);
    this.headerRules('JournalEntry', je, currency);
    const exponent = currencyExponent(currency);
    const lines = (je['Line'] as Record<string, unknown>[] | undefined) ?? [];
    if (lines.length === 0) throw faults.requiredMissing('Line');
    let debits = 0n;
    let credits = 0n;
    lines.forEach((line, index) => {
      line['Id'] ??= String(index);
      if (line['DetailType'] !== 'JournalEntryLineDetail')
        throw faults.businessRule(`Line DetailType ${String(line['DetailType'])} is not allowed on JournalEntry`);
      const detail = (line['JournalEntryLineDetail'] ?? {}) as Record<string, unknown>;
      const amount = this.amountIn(line['Amount'], 'Line.Amount', currency, exponent);
      if (amount < 0n) throw faults.businessRule('A journal entry line amount cannot be negative: post it on the other side');
      const posting = detail['PostingType'];
      if (posting !== 'Debit' && posting !== 'Credit') throw faults.requiredMissing('PostingType');
      const accountId = refValue(detail['AccountRef']);
      if (!accountId) throw faults.requiredMissing('AccountRef');
      const account = this.ref('Account', accountId, 'AccountRef');
      if (account['AccountType'] === RECEIVABLE) {
        const entity = detail['Entity'] as { Type?: unknown; EntityRef?: unknown } | undefined;
        const customerId = refValue(entity?.EntityRef);
        if (entity?.Type !== 'Customer' || !customerId)
          throw faults.businessRule('When you use Accounts Receivable, you must choose a customer in the Name field.');
        const customer = this.ref('Customer', customerId, 'Entity.EntityRef');
        const customerCurrency = refValue(customer['CurrencyRef']) ?? this.homeCurrency;
        if (customerCurrency !== currency)
          throw faults.businessRule(`The transaction currency ${currency} must match the customer's currency ${customerCurrency}`);
        const accountCurrency = refValue(account['CurrencyRef']) ?? this.homeCurrency;
        if (accountCurrency !== currency)
          throw faults.businessRule(`The A/R account ${String(account['Name'])} is in ${accountCurrency}: select the A/R account in ${currency}`);
      }
      if (posting === 'Debit') debits += amount;
      else credits += amount;
    });
    if (debits !== credits)
      throw faults.businessRule(`Transaction must be balanced: debits ${fromScaled(debits, exponent)} and credits ${fromScaled(credits, exponent)} differ`);
    je['TotalAmt'] = fromScaled(debits, exponent);
    if (currency !== this.homeCurrency && je['ExchangeRate'] !== undefined) {
      je['HomeTotalAmt'] = fromScaled(multiplyScaled(debits, toScaled(je['ExchangeRate']) ?? 0n), currencyExponent(this.homeCurrency));
    }
  }

  /**
   * What a journal entry still charges a customer: its A/R debits to them less its A/R credits to
   * them, less what payments (other than `except`) applied of it. A Payment links it as it does an invoice.
   */
  private journalEntryOpen(je: Entity, customerId: string, except?: string): { charged: bigint; open: bigint } {
    let charged = 0n;
    for (const line of (je['Line'] as Record<string, unknown>[] | undefined) ?? []) {
      const detail = (line['JournalEntryLineDetail'] ?? {}) as Record<string, unknown>;
      const account = this.get('Account', refValue(detail['AccountRef']) ?? '');
      const entity = detail['Entity'] as { EntityRef?: unknown } | undefined;
      if (account?.['AccountType'] !== RECEIVABLE || refValue(entity?.EntityRef) !== customerId) continue;
      const amount = toScaled(line['Amount']) ?? 0n;
      charged += detail['PostingType'] === 'Debit' ? amount : -amount;
    }
    let open = charged;
    for (const payment of this.list('Payment')) if (payment.Id !== except) open -= this.appliedBy(payment, je.Id, 'JournalEntry');
    return { charged, open };
  }

  private customerRules(c: Entity): void {
    const name = String(c['DisplayName'] ?? [c['GivenName'], c['FamilyName']].filter(Boolean).join(' ') ?? c['CompanyName'] ?? '');
    if (!name.trim()) throw faults.requiredMissing('DisplayName');
    if (name.length > 500) throw faults.stringLength('DisplayName', 500, name.length);
    if (/[:\t\n]/.test(name)) throw faults.businessRule('DisplayName cannot contain a colon (:), tab or newline');
    c['DisplayName'] = name;
    c['FullyQualifiedName'] = name;
    const duplicate = this.list('Customer').find((o) => o.Id !== c.Id && String(o['DisplayName']).toLowerCase() === name.toLowerCase());
    if (duplicate) throw faults.duplicateName();
    const email = (c['PrimaryEmailAddr'] as { Address?: unknown } | undefined)?.Address;
    if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(String(email))) {
      throw faults.businessRule(`Email Address does not conform to the syntax rules of RFC 822: ${String(email)}`);
    }
    if (typeof c['Notes'] === 'string' && c['Notes'].length > 2000) throw faults.stringLength('Notes', 2000, c['Notes'].length);
    const currency = refValue(c['CurrencyRef']) ?? this.homeCurrency;
    if (!this.currencies.has(currency)) throw faults.businessRule(`Currency ${currency} is not enabled in this company (Multicurrency > add currency)`);
    c['CurrencyRef'] = { value: currency };
    c['Active'] ??= true;
    c['Balance'] ??= 0;
  }

  private itemRules(item: Entity): void {
    const name = String(item['Name'] ?? '');
    if (!name.trim()) throw faults.requiredMissing('Name');
    if (name.length > 100) throw faults.stringLength('Name', 100, name.length);
    if (/[:\t\n]/.test(name)) throw faults.businessRule('Item Name cannot contain a colon (:), tab or newline');
    if (this.list('Item').some((o) => o.Id !== item.Id && String(o['Name']).toLowerCase() === name.toLowerCase())) throw faults.duplicateName();
    item['Type'] ??= 'Service';
    if (['Service', 'NonInventory'].includes(String(item['Type']))) {
      const account = refValue(item['IncomeAccountRef']);
      if (!account) throw faults.requiredMissing('IncomeAccountRef');
      this.ref('Account', account, 'IncomeAccountRef');
    }
    if (typeof item['Sku'] === 'string' && item['Sku'].length > 100) throw faults.stringLength('Sku', 100, item['Sku'].length);
    item['FullyQualifiedName'] = name;
    item['Active'] ??= true;
  }

  /** The document's currency (the home currency when it names none), which the company must have enabled. */
  private enabledCurrency(t: Entity): string {
    const currency = refValue(t['CurrencyRef']) ?? this.homeCurrency;
    if (!this.currencies.has(currency)) throw faults.businessRule(`Currency ${currency} is not enabled in this company`);
    return currency;
  }

  /** What every transaction's header obeys: its currency stored, its DocNumber, a PrivateNote of 4,000 characters at most, a positive ExchangeRate. */
  private headerRules(entity: string, t: Entity, currency: string): void {
    t['CurrencyRef'] = { value: currency };
    this.checkDocNumber(entity, t);
    if (typeof t['PrivateNote'] === 'string' && t['PrivateNote'].length > 4000) throw faults.stringLength('PrivateNote', 4000, t['PrivateNote'].length);
    if (currency !== this.homeCurrency && t['ExchangeRate'] !== undefined && (toScaled(t['ExchangeRate']) ?? 0n) <= 0n)
      throw faults.businessRule('ExchangeRate must be positive');
  }

  private transactionRules(entity: string, t: Entity, previous: Entity | undefined): void {
    const customerId = refValue(t['CustomerRef']);
    if (!customerId) throw faults.requiredMissing('CustomerRef');
    const customer = this.ref('Customer', customerId, 'CustomerRef');
    const currency = this.enabledCurrency(t);
    if (refValue(customer['CurrencyRef']) && refValue(customer['CurrencyRef']) !== currency) {
      throw faults.businessRule(`The transaction currency ${currency} must match the customer's currency ${String(refValue(customer['CurrencyRef']))}`);
    }
    this.headerRules(entity, t, currency);
    const exponent = currencyExponent(currency);
    if (typeof t['PaymentRefNum'] === 'string' && t['PaymentRefNum'].length > 21) throw faults.stringLength('PaymentRefNum', 21, t['PaymentRefNum'].length);
    if (t['DepositToAccountRef'] !== undefined) this.ref('Account', refValue(t['DepositToAccountRef']) ?? '', 'DepositToAccountRef');
    if (t['PaymentMethodRef'] !== undefined) this.ref('PaymentMethod', refValue(t['PaymentMethodRef']) ?? '', 'PaymentMethodRef');
    if (entity === 'RefundReceipt' && t['DepositToAccountRef'] === undefined) throw faults.requiredMissing('DepositToAccountRef');

    const amount = (value: unknown, field: string): bigint => this.amountIn(value, field, currency, exponent);

    if (entity === 'Payment') {
      if (t['TotalAmt'] === undefined) throw faults.requiredMissing('TotalAmt');
      const total = amount(t['TotalAmt'], 'TotalAmt');
      // A line linked to an invoice pays it; one linked to a credit memo spends its credit, which
      // pays as much again: TotalAmt = invoices − credit memos + unapplied (a credit memo applied to
      // an invoice is a Payment of TotalAmt 0 with one line of each, as Intuit documents).
      let applied = 0n;
      for (const line of (t['Line'] as Record<string, unknown>[] | undefined) ?? []) {
        const lineAmount = amount(line['Amount'], 'Line.Amount');
        for (const link of (line['LinkedTxn'] as Record<string, unknown>[] | undefined) ?? []) {
          const type = String(link['TxnType'] ?? '');
          if (type !== 'Invoice' && type !== 'CreditMemo' && type !== 'JournalEntry') throw faults.businessRule(`LinkedTxn type ${type} cannot be paid`);
          const doc = this.ref(type, String(link['TxnId'] ?? ''), 'LinkedTxn.TxnId');
          if (type === 'JournalEntry') {
            // A journal entry is paid like an invoice: up to what its A/R lines still charge this customer.
            if (refValue(doc['CurrencyRef']) !== currency) throw faults.businessRule('A payment can only be applied to transactions in its own currency');
            const { charged, open } = this.journalEntryOpen(doc, customerId, t.Id);
            if (charged <= 0n)
              throw faults.businessRule(`Journal entry ${String(doc['DocNumber'] ?? doc.Id)} charges customer ${customerId} nothing on Accounts Receivable`);
            if (lineAmount > open)
              throw faults.businessRule(
                `Payment amount ${String(line['Amount'])} exceeds the open balance of journal entry ${String(doc['DocNumber'] ?? doc.Id)}`,
              );
            applied += lineAmount;
            continue;
          }
          if (refValue(doc['CustomerRef']) !== customerId) throw faults.businessRule('A payment can only be applied to transactions of the same customer');
          const alreadyApplied = previous ? this.appliedBy(previous, doc.Id, type) : 0n;
          const open = (toScaled(doc[type === 'Invoice' ? 'Balance' : 'RemainingCredit']) ?? 0n) + alreadyApplied;
          if (lineAmount > open) {
            throw faults.businessRule(
              type === 'Invoice'
                ? `Payment amount ${String(line['Amount'])} exceeds the open balance of invoice ${String(doc['DocNumber'] ?? doc.Id)}`
                : `Credit amount ${String(line['Amount'])} exceeds the remaining credit of credit memo ${String(doc['DocNumber'] ?? doc.Id)}`,
            );
          }
          applied += type === 'Invoice' ? lineAmount : -lineAmount;
        }
      }
      if (applied < 0n) throw faults.businessRule('The credits applied are greater than the invoices they are applied to');
      if (applied > total) throw faults.businessRule('The amount applied is greater than the payment total');
      t['TotalAmt'] = fromScaled(total, exponent);
      t['UnappliedAmt'] = fromScaled(total - applied, exponent);
      return;
    }

    const lines = (t['Line'] as Record<string, unknown>[] | undefined) ?? [];
    if (lines.length === 0) throw faults.requiredMissing('Line');
    let subtotal = 0n;
    let discount = 0n;
    lines.forEach((line, index) => {
      line['Id'] ??= String(index + 1);
      line['LineNum'] ??= index + 1;
      const type = String(line['DetailType'] ?? '');
      if (type === 'SalesItemLineDetail') {
        const detail = (line['SalesItemLineDetail'] ?? {}) as Record<string, unknown>;
        const itemId = refValue(detail['ItemRef']);
        if (!itemId) throw faults.requiredMissing('ItemRef');
        this.ref('Item', itemId, 'ItemRef');
        const lineAmount = amount(line['Amount'], 'Line.Amount');
        if (detail['Qty'] !== undefined && detail['UnitPrice'] !== undefined) {
          const expected = multiplyScaled(toScaled(detail['Qty']) ?? 0n, toScaled(detail['UnitPrice']) ?? 0n);
          const unit = 10n ** BigInt(6 - exponent);
          if ((expected - lineAmount) / unit !== 0n) throw faults.amountMismatch();
        }
        if (detail['TaxCodeRef'] !== undefined) this.ref('TaxCode', refValue(detail['TaxCodeRef']) ?? '', 'TaxCodeRef');
        else if (this.options.country !== 'US' && this.options.salesTax)
          throw faults.businessRule(`Make sure all your transactions have a ${this.options.country === 'CA' ? 'GST/HST' : 'VAT'} rate before you save.`);
        subtotal += lineAmount;
      } else if (type === 'DiscountLineDetail') {
        const detail = (line['DiscountLineDetail'] ?? {}) as Record<string, unknown>;
        if (detail['DiscountAccountRef'] !== undefined) this.ref('Account', refValue(detail['DiscountAccountRef']) ?? '', 'DiscountAccountRef');
        discount += amount(line['Amount'], 'Line.Amount');
      } else if (type === 'SubTotalLineDetail' || type === 'DescriptionOnly') {
        // informational lines carry no amount of their own
      } else {
        throw faults.businessRule(`Line DetailType ${type} is not allowed on ${entity}`);
      }
    });
    let tax = 0n;
    const taxDetail = t['TxnTaxDetail'] as Record<string, unknown> | undefined;
    if (taxDetail) {
      let lineTax = 0n;
      for (const taxLine of (taxDetail['TaxLine'] as Record<string, unknown>[] | undefined) ?? []) {
        lineTax += amount(taxLine['Amount'], 'TaxLine.Amount');
        const rate = (taxLine['TaxLineDetail'] as Record<string, unknown> | undefined)?.['TaxRateRef'];
        if (rate !== undefined) this.ref('TaxRate', refValue(rate) ?? '', 'TaxRateRef');
      }
      tax = taxDetail['TotalTax'] !== undefined ? amount(taxDetail['TotalTax'], 'TotalTax') : lineTax;
      if (taxDetail['TotalTax'] !== undefined && taxDetail['TaxLine'] !== undefined && lineTax !== tax)
        throw faults.businessRule('TotalTax does not equal the sum of the tax lines');
    }
    const inclusive = t['GlobalTaxCalculation'] === 'TaxInclusive';
    const total = subtotal - discount + (inclusive ? 0n : tax);
    if (total < 0n) throw faults.businessRule('Transaction total cannot be negative');
    t['TotalAmt'] = fromScaled(total, exponent);
    if (currency !== this.homeCurrency && t['ExchangeRate'] !== undefined) {
      t['HomeTotalAmt'] = fromScaled(multiplyScaled(total, toScaled(t['ExchangeRate']) ?? 0n), currencyExponent(this.homeCurrency));
    }
    if (entity === 'Invoice') {
      const paid = this.paidOn(t.Id);
      t['Balance'] = fromScaled(total - paid, exponent);
    }
    if (entity === 'CreditMemo') t['RemainingCredit'] = fromScaled(total - this.paidOn(t.Id, 'CreditMemo'), exponent);
  }

  private checkDocNumber(entity: string, t: Entity): void {
    if (typeof t['DocNumber'] !== 'string') return;
    if (t['DocNumber'].length > 21) throw faults.stringLength('DocNumber', 21, t['DocNumber'].length);
    const taken = this.list(entity).find((o) => o.Id !== t.Id && o['DocNumber'] === t['DocNumber']);
    if (taken && this.options.rejectDuplicateDocNumber) throw faults.duplicateDocNumber(t['DocNumber']);
  }

  /** An amount as scaled integer, refused when it is no decimal or has more decimals than its currency. */
  private amountIn(value: unknown, field: string, currency: string, exponent: number): bigint {
    const scaled = toScaled(value);
    if (scaled === undefined) throw faults.unsupportedProperty(`${field} is not a decimal`, field);
    if (decimalsOf(value) > exponent) throw faults.businessRule(`${field} ${String(value)} has more decimals than ${currency} allows (${exponent})`);
    return scaled;
  }

  private computeTotals(entity: string, t: Entity): void {
    if (!transactionTypes.has(entity) || entity === 'Payment') return;
    const currency = refValue(t['CurrencyRef']) ?? this.homeCurrency;
    let total = 0n;
    for (const line of (t['Line'] as Record<string, unknown>[] | undefined) ?? []) {
      if (line['DetailType'] === 'SalesItemLineDetail') total += toScaled(line['Amount']) ?? 0n;
      if (line['DetailType'] === 'DiscountLineDetail') total -= toScaled(line['Amount']) ?? 0n;
    }
    t['TotalAmt'] = fromScaled(total, currencyExponent(currency));
    if (entity === 'Invoice') t['Balance'] = t['TotalAmt'];
  }

  /** What payments applied to an invoice (or spent of a credit memo). */
  private paidOn(id: string, type: 'Invoice' | 'CreditMemo' = 'Invoice'): bigint {
    let paid = 0n;
    for (const payment of this.list('Payment')) paid += this.appliedBy(payment, id, type);
    return paid;
  }

  private appliedBy(payment: Entity, id: string, type: 'Invoice' | 'CreditMemo' | 'JournalEntry' = 'Invoice'): bigint {
    let sum = 0n;
    for (const line of (payment['Line'] as Record<string, unknown>[] | undefined) ?? []) {
      const links = (line['LinkedTxn'] as Record<string, unknown>[] | undefined) ?? [];
      if (links.some((l) => l['TxnType'] === type && String(l['TxnId']) === id)) sum += toScaled(line['Amount']) ?? 0n;
    }
    return sum;
  }

  /** Payment lines move invoice balances and credit memos' remaining credit: recompute them for every document a payment touches (after the table changed). */
  private rebalanceFor(entity: string, payment: Entity): void {
    if (entity !== 'Payment') return;
    for (const line of (payment['Line'] as Record<string, unknown>[] | undefined) ?? []) {
      for (const link of (line['LinkedTxn'] as Record<string, unknown>[] | undefined) ?? []) {
        const type = link['TxnType'];
        if (type !== 'Invoice' && type !== 'CreditMemo') continue;
        const doc = this.get(type, String(link['TxnId']));
        if (!doc) continue;
        const exponent = currencyExponent(refValue(doc['CurrencyRef']) ?? this.homeCurrency);
        const left = fromScaled((toScaled(doc['TotalAmt']) ?? 0n) - this.paidOn(doc.Id, type), exponent);
        if (type === 'Invoice') doc['Balance'] = left;
        else doc['RemainingCredit'] = left;
      }
    }
  }

  private ref(entity: string, id: string, field: string): Entity {
    const found = this.get(entity, id);
    if (!found || found['Active'] === false) throw faults.invalidReference(field, id);
    return found;
  }
}

function refValue(ref: unknown): string | undefined {
  if (ref && typeof ref === 'object' && 'value' in ref) {
    const v = (ref as { value: unknown }).value;
    return v === undefined || v === null ? undefined : String(v);
  }
  return undefined;
}

/**
 * Writes a field as QBO stores it. QBO holds no empty text: a field written "" is cleared, and so is
 * an aggregate left with nothing else (an email of Address "", an address of empty lines), which is
 * how a sparse update removes a value; reads then answer without the field.
 */
function setOrClear(target: Record<string, unknown>, key: string, value: unknown): void {
  const stored = withoutEmptyText(value);
  if (stored === undefined) delete target[key];
  else target[key] = stored;
}

/** The value without its empty text, or undefined when nothing else is left of it. Array elements keep their place. */
function withoutEmptyText(value: unknown): unknown {
  if (value === '') return undefined;
  if (Array.isArray(value)) return value.map((item: unknown) => (item && typeof item === 'object' ? (withoutEmptyText(item) ?? {}) : item));
  if (!value || typeof value !== 'object') return value;
  const parts = Object.entries(value as Record<string, unknown>);
  const kept = parts.flatMap(([k, v]) => {
    const stored = withoutEmptyText(v);
    return stored === undefined ? [] : [[k, stored] as const];
  });
  return kept.length === 0 && parts.length > 0 ? undefined : Object.fromEntries(kept);
}

function pick(source: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (source[k] !== undefined) out[k] = structuredClone(source[k]);
  return out;
}
