/**
 * The keys the QuickBooks example composes must fit QuickBooks' 21 characters. A credit note
 * allocation's Payment is found again by PaymentRefNum "<credit note>><invoice>": with year-prefixed
 * Chargebee numbering ("CN-2025-000045>INV-2025-000123", 30 characters) every allocation was a dead
 * letter qbo_field_too_long for good, the invoice open in QuickBooks and the memo unapplied. Such a
 * pair is now keyed ">" and 20 hex digits of its $digest: unique per pair, the same on every run,
 * and the sink's look-up of a create whose answer was lost uses that same key. A pair that fits keeps
 * "<credit note>><invoice>", so a ledger's allocations written before keep their key. The same for a
 * voided invoice's offsetting CreditMemo, "VOID-<invoice>".
 */
import { createHash } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import type { FakeChargebee } from '../../fakes/chargebee/index.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await s?.close();
  s = proxy = undefined;
});

const NOTE = 'CN-2025-000045';
const INVOICE = 'INV-2025-000123';
const digestKey = (pair: string) => `>${createHash('sha256').update(pair, 'utf8').digest('hex').slice(0, 20)}`;

/** A credit note and the invoice it is allocated to, renumbered the way a year-prefixed Chargebee site numbers them. */
function yearPrefixedAllocation(cb: FakeChargebee): void {
  const note = cb.state
    .all('credit_notes')
    .find((c: any) => c.status !== 'voided' && !c.deleted && Array.isArray(c.allocations) && c.allocations.length === 1) as any;
  const allocation = note.allocations[0];
  const invoice = cb.state.get('invoices', allocation.invoice_id) as any;
  const { id: _i, updated_at: _u1, resource_version: _r1, ...invoiceRest } = invoice;
  cb.state.create('invoices', { ...invoiceRest, id: INVOICE, linked_payments: [], adjustment_credit_notes: [], issued_credit_notes: [] } as never);
  const { id: _n, updated_at: _u2, resource_version: _r2, ...noteRest } = note;
  cb.state.create('credit_notes', {
    ...noteRest,
    id: NOTE,
    reference_invoice_id: INVOICE,
    allocations: [{ ...allocation, invoice_id: INVOICE }],
    linked_refunds: [],
  } as never);
}

const queryOf = (path: string) => new URL(path, 'http://x').searchParams.get('query') ?? '';
const paymentsKeyed = (sandbox: Sandbox, key: string) => sandbox.qbo.state.entities('Payment').filter((p: any) => p.PaymentRefNum === key) as any[];

it('a year-prefixed allocation is applied under a 21-character digest key, its full ids in PrivateNote, and a second run writes nothing', async () => {
  s = await startSandbox({ customers: 12 });
  yearPrefixedAllocation(s.cb);

  const summary = await s.run();

  expect(summary.streams['credit_note_allocations']!.failed).toBe(0);
  const key = digestKey(`${NOTE}>${INVOICE}`);
  expect(key).toHaveLength(21);
  const [payment] = paymentsKeyed(s, key);
  expect(payment).toBeDefined();
  expect(payment.PrivateNote).toBe(`Chargebee credit note ${NOTE} applied to invoice ${INVOICE}`);
  const memo = s.qbo.state.entities('CreditMemo').find((m: any) => m.DocNumber === NOTE) as any;
  const invoice = s.qbo.state.entities('Invoice').find((m: any) => m.DocNumber === INVOICE) as any;
  expect(payment.Line.map((l: any) => l.LinkedTxn[0].TxnId).sort()).toEqual([memo.Id, invoice.Id].sort());

  // Pairs that fit keep "<credit note>><invoice>", as ledgers written before hold them.
  const keys = s.qbo.state.entities('Payment').map((p: any) => String(p.PaymentRefNum));
  expect(keys.every((k) => k.length <= 21)).toBe(true);
  const allocations = s.cb.state.all('credit_notes').flatMap((n: any) => (n.allocations ?? []).map((a: any) => `${n.id}>${a.invoice_id}`));
  expect(keys.filter((k) => allocations.includes(k)).length).toBeGreaterThan(0);

  const again = await s.run();
  const counts = again.streams['credit_note_allocations']!;
  expect([counts.created, counts.updated, counts.failed]).toEqual([0, 0, 0]);
  expect(paymentsKeyed(s, key)).toHaveLength(1);
}, 60_000);

it('an allocation whose create answer is lost is found by the same digest key, not created twice', async () => {
  s = await startSandbox({ customers: 12 });
  yearPrefixedAllocation(s.cb);
  const key = digestKey(`${NOTE}>${INVOICE}`);
  proxy = await startFaultProxy(s.qbo.url);
  // QuickBooks applies the write; the gateway loses its answer.
  proxy.inject({ method: 'POST', body: new RegExp(`"PaymentRefNum":"${key}"`), fault: { kind: 'status', status: 502 } });

  const summary = await s.run({ env: { ...s.env, QBO_BASE_URL: proxy.url } });

  expect(proxy.injected).toBe(1);
  expect(summary.streams['credit_note_allocations']!.failed).toBe(0);
  expect(paymentsKeyed(s, key)).toHaveLength(1);
  // The look-up after the lost answer asks for the key that was sent.
  const lost = proxy.log.findIndex((r) => r.fault);
  const lookUps = proxy.log.slice(lost + 1).filter((r) => r.method === 'GET' && /select \* from Payment where PaymentRefNum in/.test(queryOf(r.path)));
  expect(lookUps.some((r) => queryOf(r.path).includes(`'${key}'`))).toBe(true);
}, 60_000);

it('a voided invoice with an id over 16 characters gets its offsetting CreditMemo as "VOID-" and 16 hex digits, once', async () => {
  s = await startSandbox({ customers: 12 });
  s.edit([['sync_voided_invoice_as_credit_note: false', 'sync_voided_invoice_as_credit_note: true']]);
  const voided = s.cb.state.all('invoices').find((i: any) => i.status !== 'voided' && !i.deleted && (i.linked_payments ?? []).length === 0) as any;
  expect(voided).toBeDefined();
  const id = 'INV-2025-00000123';
  const { id: _i, updated_at: _u, resource_version: _r, ...rest } = voided;
  s.cb.state.create('invoices', {
    ...rest,
    id,
    status: 'voided',
    voided_at: rest.date,
    linked_payments: [],
    adjustment_credit_notes: [],
    issued_credit_notes: [],
  } as never);

  const summary = await s.run();

  expect(summary.streams['voided_invoices']!.failed).toBe(0);
  const docNumber = `VOID-${createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 16)}`;
  const memos = s.qbo.state.entities('CreditMemo').filter((m: any) => m.DocNumber === docNumber) as any[];
  expect(memos).toHaveLength(1);
  expect(memos[0].PrivateNote).toBe(`Offsets voided Chargebee invoice ${id}`);
  await s.run();
  expect(s.qbo.state.entities('CreditMemo').filter((m: any) => m.DocNumber === docNumber)).toHaveLength(1);
}, 60_000);
