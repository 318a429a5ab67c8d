/** The fake company's books: master data it validates against and the documents it holds. */

/** Money kept as integer ten-thousandths (Intacct's finest precision), never as floats. */
export type Units = bigint;
export const SCALE = 10_000n;

export interface FakeLine {
  glaccountno: string;
  amount: Units;
  memo: string;
  dimensions: Record<string, string>;
  revrectemplate: string;
  revrecstartdate: string;
  revrecenddate: string;
  taxentries: { detailid: string; trx_tax: Units }[];
}

export interface FakeCustomer {
  RECORDNO: string;
  CUSTOMERID: string;
  NAME: string;
  STATUS: string;
  contact: Record<string, string>;
  /** DISPLAYCONTACT's MAILADDRESS: an update sets the elements it sends (an empty one clears), keeps the others. */
  mailAddress?: Record<string, string>;
  WHENCREATED: string;
  WHENMODIFIED: string;
  updates: number;
}

/** An AR invoice or AR adjustment (a credit memo when its total is negative). */
export interface FakeArDocument {
  kind: 'invoice' | 'adjustment';
  RECORDNO: string;
  RECORDID: string;
  CUSTOMERID: string;
  WHENCREATED: string;
  CURRENCY: string;
  /** Transaction currency → base currency rate, as sent (`exchrate`); '1' in the base currency. */
  EXCHRATE: string;
  DESCRIPTION: string;
  /** An invoice's `ponumber`: update_invoice sets it when it sends the element (an empty one clears it). */
  PONUMBER?: string;
  lines: FakeLine[];
  total: Units;
  applied: Units;
  WHENMODIFIED: string;
  updates: number;
  /** Set by reverse_invoice: the reversal, applied against the invoice, leaves nothing due. */
  reversed?: { date: string; description: string };
}

export interface FakeArPayment {
  RECORDNO: string;
  CUSTOMERID: string;
  DOCNUMBER: string;
  PAYMENTMETHOD: string;
  amount: Units;
  applied: Units;
  RECEIPTDATE: string;
  CURRENCY: string;
  FINANCIALENTITY: string;
  OVERPAYLOCID: string;
  OVERPAYDEPTID: string;
  WHENMODIFIED: string;
  /** Set by reverse_arpayment, which also takes back every application of the payment. */
  reversed?: { date: string; description: string };
}

export interface FakeApplication {
  RECORDNO: string;
  /** Key of the AR payment or credit adjustment whose money is applied. */
  PAYMENTKEY: string;
  /** Key of the invoice that receives it. */
  RECORDKEY: string;
  amount: Units;
  /** What it took off the invoice, in the invoice's currency (`amount` when both share one). */
  invoiceAmount?: Units;
  PAYMENTDATE: string;
  MEMO: string;
  OVERPAYLOCID: string;
  OVERPAYDEPTID: string;
}

export interface FakeBill {
  RECORDNO: string;
  RECORDID: string;
  VENDORID: string;
  WHENCREATED: string;
  lines: FakeLine[];
  total: Units;
  paid: Units;
  /** Set by reverse_bill: the reversal, applied against the bill, leaves nothing to pay. */
  reversed?: { date: string; description: string };
}

export interface FakeApPayment {
  RECORDNO: string;
  FINANCIALENTITY: string;
  VENDORID: string;
  DESCRIPTION: string;
  PAYMENTMETHOD: string;
  PAYMENTDATE: string;
  items: { billkey: string; amount: Units }[];
  total: Units;
  /** Set by reverse_appayment, which takes the payment off its bills: they are due again. */
  reversed?: { date: string; description: string };
}

export interface FakeGlBatch {
  RECORDNO: string;
  JOURNAL: string;
  BATCH_DATE: string;
  BATCH_TITLE: string;
  entries: { ACCOUNTNO: string; TR_TYPE: string; amount: Units }[];
}

/** Master data the gateway checks references against. */
export interface FakeMasterData {
  glAccounts: string[];
  locations: string[];
  departments: string[];
  projects: string[];
  classes: string[];
  employees: string[];
  vendors: string[];
  items: string[];
  taxDetails: string[];
  revrecTemplates: string[];
  bankAccounts: string[];
  currencies: string[];
  /** AR payment terms, by NAME. */
  terms: string[];
}

/** A list of master data. */
export type MasterList = keyof FakeMasterData;

export const defaultMasterData: FakeMasterData = {
  glAccounts: ['1000', '1010', '1030', '1200', '2100', '4000', '4010', '4100', '4900', '6100'],
  locations: ['100', '200', 'US', 'EU'],
  departments: ['ADM', 'CS', 'SALES'],
  projects: ['P100'],
  classes: ['C200', 'SAAS'],
  employees: ['E100'],
  vendors: ['V100', 'REFUNDS'],
  items: ['I100', 'PLAN', 'PRO', 'ADDON', 'ROUNDOFF', 'DISCOUNT', 'REFUND'],
  taxDetails: ['Sales Tax', 'VAT 20', 'Exempt'],
  revrecTemplates: ['RR-MONTHLY', 'RR-DAILY'],
  bankAccounts: ['BOA', 'SVB'],
  currencies: ['USD', 'EUR', 'GBP', 'JPY', 'KWD'],
  terms: ['N30', 'Due on receipt'],
};

export interface FakeIntacctState {
  master: FakeMasterData;
  /** Master records that exist with STATUS inactive: read back by readByQuery, refused on documents. */
  inactive: Partial<Record<MasterList, string[]>>;
  customers: Map<string, FakeCustomer>;
  arDocuments: Map<string, FakeArDocument>;
  arPayments: Map<string, FakeArPayment>;
  applications: FakeApplication[];
  bills: Map<string, FakeBill>;
  apPayments: Map<string, FakeApPayment>;
  glBatches: Map<string, FakeGlBatch>;
  /** Control ids of requests sent with uniqueid=true that were processed. */
  processedControlIds: Set<string>;
  sessions: Map<string, { userId: string; companyId: string; entityId: string; expiresAt: number }>;
  /** Every request the gateway parsed: its control id and function names, for tests and figures. */
  requests: { controlId: string; uniqueId: boolean; functions: string[]; calls?: { element: string; body: unknown }[] }[];
  /** Last record number handed out. */
  lastRecordNo: number;
  /** Documents dated on or before this ISO date are in a closed period. */
  booksClosedThrough: string | undefined;
}

export function emptyState(master: FakeMasterData, inactive: Partial<Record<MasterList, string[]>> = {}): FakeIntacctState {
  return {
    master,
    inactive,
    customers: new Map(),
    arDocuments: new Map(),
    arPayments: new Map(),
    applications: [],
    bills: new Map(),
    apPayments: new Map(),
    glBatches: new Map(),
    processedControlIds: new Set(),
    sessions: new Map(),
    requests: [],
    lastRecordNo: 1000,
    booksClosedThrough: undefined,
  };
}

/** A deep copy of the documents, for `transaction="true"` rollbacks. */
export function snapshotDocuments(
  s: FakeIntacctState,
): Pick<FakeIntacctState, 'customers' | 'arDocuments' | 'arPayments' | 'applications' | 'bills' | 'apPayments' | 'glBatches' | 'lastRecordNo'> {
  return structuredClone({
    customers: s.customers,
    arDocuments: s.arDocuments,
    arPayments: s.arPayments,
    applications: s.applications,
    bills: s.bills,
    apPayments: s.apPayments,
    glBatches: s.glBatches,
    lastRecordNo: s.lastRecordNo,
  });
}

export function nextRecordNo(s: FakeIntacctState): string {
  s.lastRecordNo += 1;
  return String(s.lastRecordNo);
}

/** Parses a decimal string into ten-thousandths; undefined when it is not a number or has more than `maxDecimals` decimals. */
export function parseUnits(value: string, maxDecimals = 4): Units | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) return undefined;
  const decimals = m[3] ?? '';
  if (decimals.length > maxDecimals) return undefined;
  const units = BigInt(m[2]!) * SCALE + BigInt((decimals + '0000').slice(0, 4));
  return m[1] === '-' ? -units : units;
}

export function formatUnits(units: Units): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / SCALE;
  const fraction = (abs % SCALE).toString().padStart(4, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? '.' + fraction : ''}`;
}

/** `2024-01-31T10:00:00Z` → `01/31/2024 10:00:00`, the object API's timestamp format. */
export function intacctTimestamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getUTCMonth() + 1)}/${p(date.getUTCDate())}/${date.getUTCFullYear()} ${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}`;
}

/** ISO `2024-01-31` → `01/31/2024`. */
export function intacctDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${m}/${d}/${y}`;
}

/** Money at a decimal exchange rate, rounded half up to the cent (100 units): `multiply` converts to base, else back. */
export function convertAtRate(units: Units, rate: string, direction: 'toBase' | 'fromBase'): Units {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(rate.trim());
  if (!m) return units;
  const digits = BigInt(m[1]! + (m[2] ?? ''));
  const scale = 10n ** BigInt((m[2] ?? '').length);
  const [num, den] = direction === 'toBase' ? [units * digits, scale] : [units * scale, digits];
  const cents = (num * 2n + den * 100n) / (den * 200n);
  return cents * 100n;
}
