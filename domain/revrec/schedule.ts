/**
 * Revenue-recognition schedule of one billing document (a Chargebee invoice or credit note, as the
 * pipeline's mapping normalised it). Pure: same document and calendar, same rows.
 *
 * Per line:
 * - `billed` (amount − discount) and `tax` fall in the document's period: AR against deferred revenue
 *   (and tax payable).
 * - `revenue` (gross amount) and `discount` are recognised ratably by day over `date_from`..`date_to`
 *   (end exclusive), or at once for a point-in-time charge, each allocated with largest remainders so
 *   the periods sum exactly to the line.
 * - Nothing is recognised in a period before the document's own: a back-dated invoice or a credit note
 *   reversing service already recognised catches up in the document's period, because earlier periods
 *   may be closed.
 * Credit notes carry the opposite sign.
 */
import { allocateByWeights } from './allocate.js';
import type { PeriodCalendar } from './calendar.js';

export type Recognition = 'ratable' | 'point_in_time';

export interface RevenueLine {
  id: string;
  /** Gross amount in minor units, before discounts and without tax. */
  amount: number;
  /** Discounts on this line in minor units (recognised to contra-revenue). Default 0. */
  discount: number;
  /** Tax on this line in minor units (billed to tax payable, never recognised). Default 0. */
  tax: number;
  /** Service period start, unix seconds. */
  dateFrom?: number;
  /** Service period end (exclusive), unix seconds. */
  dateTo?: number;
  recognition: Recognition;
  /** Chargebee accounting code selecting the accounts in the lookup tables; '' uses the tables' defaults. */
  accountingCode: string;
}

export interface RevenueDocument {
  id: string;
  kind: 'invoice' | 'credit_note';
  /** Document date, unix seconds. */
  date: number;
  currency: string;
  lines: readonly RevenueLine[];
}

export type ScheduleComponent = 'billed' | 'tax' | 'revenue' | 'discount';
export const scheduleComponents: readonly ScheduleComponent[] = ['billed', 'tax', 'revenue', 'discount'];

export interface ScheduleRow {
  period: string;
  accountingCode: string;
  component: ScheduleComponent;
  /** Signed minor units: negative for credit notes. */
  amount: number;
}

/** Per-period recognition of one line, before the sign of the document is applied. */
export interface LineAllocation {
  period: string;
  revenue: number;
  discount: number;
}

/** Recognition of one line by period (ascending), unsigned, with catch-up into the document period. */
export function allocateLine(line: RevenueLine, documentDate: number, calendar: PeriodCalendar): LineAllocation[] {
  const documentIndex = calendar.indexOfDay(calendar.dayOf(documentDate));
  const ratable = line.recognition === 'ratable' && line.dateFrom !== undefined && line.dateTo !== undefined;
  const fromDay = line.dateFrom !== undefined ? calendar.dayOf(line.dateFrom) : undefined;
  const toDay = line.dateTo !== undefined ? calendar.dayOf(line.dateTo) : undefined;

  if (!ratable || fromDay === undefined || toDay === undefined || toDay <= fromDay) {
    const at = fromDay !== undefined && line.recognition === 'point_in_time' ? calendar.indexOfDay(fromDay) : documentIndex;
    return [{ period: calendar.period(Math.max(at, documentIndex)).key, revenue: line.amount, discount: line.discount }];
  }

  const firstIndex = calendar.indexOfDay(fromDay);
  const lastIndex = calendar.indexOfDay(toDay - 1);
  const indexes: number[] = [];
  const days: number[] = [];
  for (let index = firstIndex; index <= lastIndex; index++) {
    const period = calendar.period(index);
    indexes.push(index);
    days.push(Math.min(period.endDay, toDay) - Math.max(period.firstDay, fromDay));
  }
  const revenue = allocateByWeights(line.amount, days);
  const discount = line.discount === 0 ? undefined : allocateByWeights(line.discount, days);

  const catchUp: LineAllocation = { period: calendar.period(documentIndex).key, revenue: 0, discount: 0 };
  let caughtUp = false;
  const later: LineAllocation[] = [];
  for (let i = 0; i < indexes.length; i++) {
    const index = indexes[i] as number;
    const shareRevenue = revenue[i] as number;
    const shareDiscount = discount ? (discount[i] as number) : 0;
    if (index <= documentIndex) {
      caughtUp = true;
      catchUp.revenue += shareRevenue;
      catchUp.discount += shareDiscount;
    } else {
      later.push({ period: calendar.period(index).key, revenue: shareRevenue, discount: shareDiscount });
    }
  }
  return caughtUp ? [catchUp, ...later] : later;
}

/** The document's schedule rows, summed per (period, accounting code, component), zero rows left out. */
export function documentSchedule(document: RevenueDocument, calendar: PeriodCalendar): ScheduleRow[] {
  const sign = document.kind === 'credit_note' ? -1 : 1;
  const documentPeriod = calendar.periodOfDay(calendar.dayOf(document.date)).key;
  // period → accounting code → amounts by component (index in scheduleComponents). Nested maps keyed by
  // the calendar's interned period strings: a concatenated key costs more than the allocation itself.
  const sums = new Map<string, Map<string, number[]>>();
  const add = (period: string, accountingCode: string, component: number, amount: number) => {
    if (amount === 0) return;
    let byCode = sums.get(period);
    if (!byCode) sums.set(period, (byCode = new Map()));
    let amounts = byCode.get(accountingCode);
    if (!amounts) byCode.set(accountingCode, (amounts = [0, 0, 0, 0]));
    amounts[component] = (amounts[component] as number) + sign * amount;
  };
  for (const line of document.lines) {
    add(documentPeriod, line.accountingCode, 0, line.amount - line.discount);
    add(documentPeriod, line.accountingCode, 1, line.tax);
    for (const share of allocateLine(line, document.date, calendar)) {
      add(share.period, line.accountingCode, 2, share.revenue);
      add(share.period, line.accountingCode, 3, share.discount);
    }
  }
  const rows: ScheduleRow[] = [];
  for (const [period, byCode] of sums) {
    for (const [accountingCode, amounts] of byCode) {
      amounts.forEach((amount, component) => {
        if (amount !== 0) rows.push({ period, accountingCode, component: scheduleComponents[component] as ScheduleComponent, amount });
      });
    }
  }
  return rows;
}
