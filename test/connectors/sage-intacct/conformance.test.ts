/**
 * Conformance: every distinct function the Sage Intacct connector sends in end-to-end runs (the
 * session, look-ups and listings, creates, updates, applications, the AP payment, and the reverse
 * flow's source queries) is captured from the fake gateway and checked against Sage Intacct's own
 * SDK: element names and order as intacct-sdk-js's writers emit them
 * (test/fixtures/vendor/intacct/sdk-element-order.json, itself checked against the SDK's request
 * fixtures), readByQuery pagesize within ReadByQuery.MAX_PAGE_SIZE (1000), query values quoted
 * as InArrayString does (\'), and no legacy function the SDK no longer writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { intacctGateway } from '../../../connectors/sage-intacct/index.js';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { SDK_FUNCTIONS, elementOrderProblem } from '../../fakes/intacct/element-order.js';
import { child, elementNames, text, type XmlValue } from '../../fakes/intacct/xml.js';
import { REVERSE, startSandbox, type Sandbox } from './e2e-harness.js';
import { intacctInput } from './helpers.js';
import { creditNote, customer, invoice, payment, refund } from './scenario.js';

let s: Sandbox;
let calls: { element: string; body: XmlValue }[] = [];

beforeAll(async () => {
  s = await startSandbox();
  customer(s.cb, "cust_o'neil");
  invoice(
    s.cb,
    'inv_c1',
    "cust_o'neil",
    [{ id: 'l1', amount: 10_000, tax: { name: 'NY State Tax', amount: 825 }, entityId: 'pro-USD-monthly', description: 'Pro plan' }],
    { roundOff: -3 },
  );
  invoice(s.cb, 'inv_c2', "cust_o'neil", [{ id: 'l2', amount: 5_000, entityId: 'x', description: 'B' }]);
  creditNote(s.cb, 'cn_c', "cust_o'neil", 1_000, { referenceInvoiceId: 'inv_c2', allocations: [{ invoiceId: 'inv_c2', amount: 1_000 }] });
  invoice(s.cb, 'inv_cr', "cust_o'neil", [{ id: 'lr', amount: 4_000, entityId: 'x', description: 'R' }], { paid: 4_000 });
  payment(s.cb, 'txn_c', "cust_o'neil", 4_000, [{ invoiceId: 'inv_cr', amount: 4_000 }]);
  creditNote(s.cb, 'cn_cr', "cust_o'neil", 2_000, { type: 'refundable', referenceInvoiceId: 'inv_cr', refunds: [{ txnId: 'txn_cref', amount: 2_000 }] });
  refund(s.cb, 'txn_cref', "cust_o'neil", 2_000, 'cn_cr');
  const first = await s.run();
  expect(first.exitCode, JSON.stringify(first.error ?? first.streams)).toBe(0);
  // Updates: a changed customer and a changed unpaid invoice.
  s.cb.state.touch('customers', "cust_o'neil", { company: "O'Neil & Sons" });
  s.cb.state.touch('invoices', 'inv_c1', { po_number: 'PO-1' });
  const second = await s.run();
  expect(second.exitCode, JSON.stringify(second.error ?? second.streams)).toBe(0);
  // The reverse flow reads AR payments, their details and invoices from Intacct.
  const doc = [...s.intacct.state.arDocuments.values()].find((d) => d.RECORDID === 'inv_c2')!;
  await intacctGateway(intacctInput(s.intacct)).execute([
    {
      controlId: 'clerk',
      name: 'create_arpayment',
      body: {
        customerid: "cust_o'neil",
        paymentamount: '10.00',
        bankaccountid: 'BOA',
        refid: 'CHK-C',
        datereceived: { year: '2024', month: '03', day: '10' },
        paymentmethod: 'Printed Check',
        arpaymentitem: [{ invoicekey: doc.RECORDNO, amount: '10.00' }],
      },
    },
  ]);
  const reversePath = join(s.dir, 'reverse.yaml');
  writeFileSync(reversePath, readFileSync(REVERSE, 'utf8'));
  const clerkRequests = s.intacct.state.requests.length - 1;
  const reverse = await runPipeline({ connectors: installedConnectors, pipelinePath: reversePath, statePath: s.statePath, env: s.env, log: silentLogger });
  expect(reverse.exitCode, JSON.stringify(reverse.error ?? reverse.streams)).toBe(0);
  calls = s.intacct.state.requests.flatMap((r, i) => (i === clerkRequests ? [] : (r.calls ?? []))) as { element: string; body: XmlValue }[];
}, 120_000);
afterAll(() => s?.close());

/** `create/CUSTOMER`, `update_invoice`… */
const nameOf = (c: { element: string; body: XmlValue }) =>
  c.element === 'create' || c.element === 'update' ? `${c.element}/${elementNames(c.body)[0] ?? '?'}` : c.element;

/** The function name with the element names it carries, at every level (values left out). */
function shapeOf(c: { element: string; body: XmlValue }): string {
  const walk = (v: XmlValue | undefined): string => {
    if (v === undefined || typeof v === 'string') return '';
    if (Array.isArray(v)) return walk(v[0]);
    const keys = Object.keys(v).filter((k) => k !== '#text');
    return keys.length ? `(${keys.map((k) => k + walk(v[k])).join(' ')})` : '';
  };
  return `${c.element}${walk(c.body)}`;
}

describe('Sage Intacct functions against intacct-sdk-js', () => {
  it('covers the session, look-ups, creates, updates, applications, the AP payment and the source queries', () => {
    const names = new Set(calls.map(nameOf));
    for (const name of [
      'getAPISession',
      'readByQuery',
      'create/CUSTOMER',
      'update/CUSTOMER',
      'create_invoice',
      'update_invoice',
      'create_aradjustment',
      'create_arpayment',
      'apply_arpayment',
      'create_bill',
      'create/APPYMT',
    ])
      expect(names, name).toContain(name);
    expect(names).not.toContain('create_paymentrequest');
  });

  it('each distinct function shape has the SDK writer’s element names and order', () => {
    const shapes = new Map<string, { element: string; body: XmlValue }>();
    for (const c of calls) if (!shapes.has(shapeOf(c))) shapes.set(shapeOf(c), c);
    for (const [shape, c] of shapes) {
      if (c.element !== 'getAPISession') expect(SDK_FUNCTIONS[c.element], `${shape}: a function the SDK writes`).toBeDefined();
      expect(elementOrderProblem(c.element, c.body), shape).toBeUndefined();
    }
    expect(shapes.size).toBeGreaterThanOrEqual(12);
    if (process.env['LEDGERSYNC_PRINT_SHAPES']) console.log([...shapes.keys()].join('\n'));
  });

  it('readByQuery asks for at most 1000 rows, and quotes values as InArrayString does', () => {
    const queries = calls.filter((c) => c.element === 'readByQuery');
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) {
      expect(Number(text(child(q.body, 'pagesize')))).toBeLessThanOrEqual(1000);
      const query = text(child(q.body, 'query'));
      expect(query, query).not.toMatch(/[^\\]''[^,)]/);
    }
    expect(queries.some((q) => text(child(q.body, 'query')).includes("cust_o\\'neil"))).toBe(true);
  });
});
