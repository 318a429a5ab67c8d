/**
 * A record of a Sage Intacct batch on its way through the sink: what its look-up found in Intacct
 * and what is decided for it; and how an application (apply_arpayment) compares with the payment
 * details Intacct holds.
 */
import type { SinkRecord } from '../../engine/connector/types.js';
import { sameDecimal } from '../../domain/money/decimal.js';
import { amountValue, type ObjectSpec } from './documents.js';
import type { GatewayFunction } from './xml.js';

export interface Planned {
  index: number;
  record: SinkRecord;
  spec: ObjectSpec;
  key: string;
  op?: 'create' | 'update' | 'void';
  /**
   * The RECORDNO of the record in Intacct, once resolved: found by the look-up, or the ledger's for
   * an update of a record it holds. An update and a void address it (the key attribute).
   */
  recordNo?: string;
  /** For a void: the STATE of the document the look-up found; undefined while none is found. */
  state?: string;
  /**
   * For an application (to write or to void): the payment details (ARPYMTDETAIL rows) by which its
   * payment applies one of its invoices, at any amount. A void of one held is taken back by hand; an
   * application held at other amounts is not applied again, which would apply the payment twice.
   */
  held?: readonly Record<string, string>[];
  /** For a document no update can correct, found by its key: the total Intacct lists for it, when it lists one. */
  heldTotal?: string;
  /**
   * A changed record the ledger holds, of a document no update corrects, whose document (this
   * RECORDNO) Intacct holds reversed or no more: this version is posted, or one standing under its key
   * (posted by hand) adopted when Intacct holds its total. For a void, the same: the document that
   * stands under its key (a repost whose ledger write was lost) is the one taken back.
   */
  replaces?: string;
  /** The RECORDNO of a reversed document the look-up found under the record's key, besides any that stands. */
  reversedUnderKey?: string;
  /** An update bringing a create in doubt, found in Intacct, to this version: it answers `created`. */
  completesCreate?: true;
  fn?: GatewayFunction;
}

export const isVoid = (p: Planned) => p.record.action === 'void';

/** Items of an application with the amounts Intacct receives, to compare with its payment details. */
function applicationItems(data: Record<string, unknown>): { invoicekey: string; amount: string }[] {
  const items = data['arpaymentitems'];
  const list = Array.isArray(items) ? items : items ? [items] : [];
  return list.map((i) => {
    const item = i as Record<string, unknown>;
    return { invoicekey: String(item['invoicekey'] ?? ''), amount: amountValue(item['amount'], 'arpaymentitems.amount') };
  });
}

export function itemsOf(p: Planned): { invoicekey: string; amount: string }[] {
  try {
    return applicationItems(p.record.data);
  } catch {
    // An unreadable amount is reported when the function is built; nothing to match here.
    return [];
  }
}

const applies = (d: Record<string, string>, item: { invoicekey: string; amount: string }) =>
  d['RECORDKEY'] === item.invoicekey && sameDecimal(d['TRX_PAYMENTAMOUNT'] ?? '', item.amount);

/** Whether the payment details Intacct holds (ARPYMTDETAIL rows) apply every item of the application, amount for amount. */
export function isApplied(p: Planned, details: readonly Record<string, string>[]): boolean {
  const own = details.filter((d) => d['PAYMENTKEY'] === p.key);
  const items = itemsOf(p);
  return items.length > 0 && items.every((item) => own.some((d) => applies(d, item)));
}

/** The payment details by which the application's payment applies one of its invoices, at any amount. */
export function detailsOnItsInvoices(p: Planned, details: readonly Record<string, string>[]): Record<string, string>[] {
  const invoices = new Set(itemsOf(p).map((item) => item.invoicekey));
  return details.filter((d) => d['PAYMENTKEY'] === p.key && invoices.has(d['RECORDKEY'] ?? ''));
}
