/**
 * Intacct's RECEIPTDATE is text ("02/29/2024"), declared `start_date_format: MM/DD/YYYY`: a payment
 * dead-lettered before start_date was set, and dated before it, is skipped and resolved when its
 * cause goes away, never recorded in Chargebee (README, *Dead letters*).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { intacctGateway } from '../../../connectors/sage-intacct/index.js';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { REVERSE, startSandbox, type Sandbox } from './e2e-harness.js';
import { intacctInput } from './helpers.js';
import { customer, invoice } from './scenario.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

function reverseRun(s: Sandbox, startDate?: string) {
  const path = join(s.dir, 'reverse.yaml');
  let yaml = readFileSync(REVERSE, 'utf8').replace(
    '  connector: sage-intacct\n',
    '  connector: sage-intacct\n  retry: { base_delay_ms: 5, max_delay_ms: 50 }\n',
  );
  if (startDate) yaml = yaml.replace('timezone: UTC\n', `timezone: UTC\nstart_date: ${startDate}\n`);
  writeFileSync(path, yaml);
  return runPipeline({ connectors: installedConnectors, pipelinePath: path, statePath: s.statePath, env: s.env, log: silentLogger });
}

it('a payment received before start_date, dead-lettered before start_date was set, is never recorded', async () => {
  const s = (sandbox = await startSandbox());
  customer(s.cb, 'cust_feb');
  invoice(s.cb, 'inv_feb', 'cust_feb', [{ id: 'l', amount: 4_000, entityId: 'x', description: 'February invoice' }], { date: 1_708_387_200 }); // 2024-02-20
  expect((await s.run()).exitCode).toBe(0);
  s.cb.state.touch('invoices', 'inv_feb', { status: 'pending' } as never);
  const invoiceKey = [...s.intacct.state.arDocuments.values()].find((d) => d.RECORDID === 'inv_feb')!.RECORDNO;
  const [created] = await intacctGateway(intacctInput(s.intacct)).execute([
    {
      controlId: 'clerk-CHK-FEB',
      name: 'create_arpayment',
      body: {
        customerid: 'cust_feb',
        paymentamount: '40.00',
        bankaccountid: 'BOA',
        refid: 'CHK-FEB',
        datereceived: { year: '2024', month: '02', day: '29' },
        paymentmethod: 'Printed Check',
        arpaymentitem: [{ invoicekey: invoiceKey, amount: '40.00' }],
      },
    },
  ]);
  expect(created!.status).toBe('success');

  // Refused (invoice pending): a dead letter.
  const first = await reverseRun(s);
  expect(first.exitCode).toBe(1);

  // Go-live set to March 1st; the invoice is closed meanwhile.
  s.cb.state.touch('invoices', 'inv_feb', { status: 'payment_due' } as never);
  const second = await reverseRun(s, '2024-03-01');
  const recorded = s.cb.state.all('transactions').filter((t) => t.reference_number === 'CHK-FEB');
  // The README: "skipped and resolved, never posted".
  expect(
    recorded.map((t) => [t.amount, t.date]),
    `run 2: ${JSON.stringify(second.streams['offline_payments'])}`,
  ).toEqual([]);
});
