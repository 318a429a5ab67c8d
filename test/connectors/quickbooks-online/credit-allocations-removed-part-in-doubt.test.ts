/**
 * removed_parts and a part whose first write is in doubt (the answer lost, no payload in the
 * ledger yet): the retraction takes the payload of its last attempt from the audit trail, so the
 * sink looks the Payment up by its PaymentRefNum and voids it (an empty body went out before, which
 * QuickBooks refused as a create, and the Payment that landed stayed applied).
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { leaveWriteInDoubt } from '../../support/ledger-state.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const NOTE = 'CN-10001';

describe('removed_parts: a part whose create is in doubt (run killed after QuickBooks applied it)', () => {
  it('is looked up and voided when its allocation is removed, not sent as an empty create', async () => {
    s = await startSandbox({ customers: 40 });
    await s.run();
    const [allocation] = s.cb.state.all('credit_notes').find((n) => n.id === NOTE)!.allocations!;
    const partId = `${NOTE}#${allocation!.invoice_id}`;
    const ref = `${NOTE}>${allocation!.invoice_id}`;
    const payment = () => s!.qbo.state.entities('Payment').find((p) => p['PaymentRefNum'] === ref)!;
    expect(payment()['TxnStatus']).toBeUndefined();

    // The state a run leaves when it dies between QuickBooks' create and the ledger write, for the part;
    // the note's own version forgotten, so the next run maps it again.
    expect(leaveWriteInDoubt(s.statePath, 'credit_note_allocations', partId)).toBe(1);
    const db = new Database(s.statePath);
    db.prepare(`UPDATE ledger SET source_version = NULL WHERE stream = 'credit_note_allocations' AND source_id = ?`).run(NOTE);
    db.close();

    // Chargebee removes the allocation.
    s.cb.state.touch('credit_notes', NOTE, { allocations: [] } as never);
    const summary = await s.run();

    // Not an empty create, which QuickBooks refused (qbo_2020, CustomerRef is missing) on every run.
    expect(summary.streams['credit_note_allocations']?.failed ?? 0).toBe(0);
    expect(payment()['TxnStatus']).toBe('Voided');
  }, 60_000);
});
