/**
 * A Chargebee credit note allocated to an invoice (an adjustment, amount_adjusted) reduces what the
 * customer owes: the example applies the QBO CreditMemo to the Invoice through a Payment of TotalAmt
 * 0, so QBO's open invoices agree with Chargebee's amount_due and the memo's credit is spent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { money } from '../../../domain/money/money.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('QuickBooks: credit notes applied to the invoices they adjust', () => {
  it("every posted invoice's QBO Balance equals Chargebee's amount_due (credit-note adjustments included)", async () => {
    s = await startSandbox({ customers: 40 });
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    const adjusted = s.cb.state.all('invoices').filter((i) => !i.deleted && i.status !== 'voided' && (i.amount_adjusted ?? 0) > 0);
    expect(adjusted.length, 'the seeded site has invoices adjusted by credit notes').toBeGreaterThan(0);
    const mismatches: string[] = [];
    for (const inv of adjusted) {
      const [q] = s.qbo.state.entities('Invoice').filter((e) => e['DocNumber'] === inv.id);
      const expected = Number(money(inv.amount_due ?? 0, inv.currency_code));
      if (q?.['Balance'] !== expected) {
        mismatches.push(
          `${inv.id} ${inv.currency_code}: total ${money(inv.total, inv.currency_code)}, adjusted ${money(inv.amount_adjusted, inv.currency_code)}, Chargebee due ${expected}, QBO Balance ${String(q?.['Balance'])}`,
        );
      }
    }
    expect(mismatches).toEqual([]);
    // The credit memos' credit went to those invoices, and a second run sends nothing more.
    const memos = s.qbo.state.entities('CreditMemo');
    for (const note of s.cb.state.all('credit_notes').filter((n) => !n.deleted && n.status !== 'voided' && (n.allocations ?? []).length > 0)) {
      const memo = memos.find((m) => m['DocNumber'] === note.id)!;
      const allocated = (note.allocations ?? []).reduce((sum, a) => sum + (a.allocated_amount ?? 0), 0);
      expect(Number(memo['RemainingCredit']), note.id).toBe(Number(money((note.total ?? 0) - allocated, note.currency_code)));
    }
    const again = await s.run();
    expect(again.streams['credit_note_allocations']).toMatchObject({ created: 0, updated: 0, failed: 0 });
  }, 180_000);
});
