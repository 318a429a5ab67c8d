/**
 * The sinks the fault matrix drives, one table entry each: how to start a sandbox whose sink fake sits
 * behind the fault proxy (reached through the base_url override a user would set), which requests are
 * its writes, how to run the pipeline, and what documents the fake holds (one key per document, so a
 * doubled document shows as a repeated key). Adding a sink is one more entry in `sinks`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installedConnectors } from '../../app/registry.js';
import { intacctGateway } from '../../connectors/sage-intacct/index.js';
import { silentLogger } from '../../engine/log.js';
import { runPipeline, type RunSummary } from '../../engine/run/runner.js';
import { startFakeChargebee } from '../fakes/chargebee/index.js';
import { startFakeDualEntry } from '../fakes/dualentry/index.js';
import { startSandbox as startQboSandbox } from '../connectors/quickbooks-online/e2e-harness.js';
import { behindFaultProxy, startSandbox as startAcumaticaSandbox } from '../connectors/acumatica/e2e-harness.js';
import { REVERSE, behindFaultProxy as behindIntacctFaultProxy, startSandbox as startIntacctSandbox } from '../connectors/sage-intacct/e2e-harness.js';
import { intacctInput } from '../connectors/sage-intacct/helpers.js';
import { revrecEnv, revrecPipelineCopy } from '../connectors/dualentry/revrec-harness.js';
import { customer, invoice } from '../connectors/sage-intacct/scenario.js';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../support/fault-proxy.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

export interface SinkScenario {
  proxy: FaultProxy;
  /** What picks this sink's write requests out of everything going through the proxy. */
  writes: Pick<FaultRule, 'method' | 'path' | 'body'>;
  /** What picks its reads (look-ups, queries, the checks made when it opens). */
  reads: Pick<FaultRule, 'method' | 'path' | 'body'>;
  /** How messages name the system. */
  label: RegExp;
  run(): Promise<RunSummary>;
  /** One key per document the sink's fake holds. */
  documents(): string[];
  close(): Promise<void>;
}

export interface SinkUnderTest {
  name: string;
  start(): Promise<SinkScenario>;
}

const fastRetry = 'retry: { base_delay_ms: 5, max_delay_ms: 40 }';

const quickbooks: SinkUnderTest = {
  name: 'QuickBooks Online',
  async start() {
    // QBO accepts a second document with the same DocNumber unless a company preference says
    // otherwise: the harder case, where only the look-up stands between a lost answer and a double.
    const s = await startQboSandbox({ customers: 12, seed: 11 }, { rejectDuplicateDocNumber: false });
    const proxy = await startFaultProxy(s.qbo.url);
    s.env['QBO_BASE_URL'] = proxy.url;
    s.edit([['  base_url: ${QBO_BASE_URL:-}', `  base_url: \${QBO_BASE_URL:-}\n  ${fastRetry}`]]);
    const keys: Record<string, string> = {
      Customer: 'Notes',
      Item: 'Sku',
      Invoice: 'DocNumber',
      CreditMemo: 'DocNumber',
      Payment: 'PaymentRefNum',
      RefundReceipt: 'DocNumber',
      // Refund payouts of credit notes: a doubled one pays the customer twice.
      JournalEntry: 'DocNumber',
    };
    return {
      proxy,
      writes: { method: 'POST', path: /\/v3\/company\/[^/]+\/(?!query)/ },
      reads: { method: 'GET' },
      label: /QuickBooks Online realm \d+/,
      run: () => s.run(),
      documents: () => Object.entries(keys).flatMap(([object, key]) => s.qbo.state.entities(object).map((e) => `${object} ${String(e[key])}`)),
      async close() {
        await proxy.close();
        await s.close();
      },
    };
  },
};

const intacct: SinkUnderTest = {
  name: 'Sage Intacct',
  async start() {
    const s = await startIntacctSandbox({ cb: { customers: 12, seed: 11 } });
    const proxy = await behindIntacctFaultProxy(s);
    return {
      proxy,
      // Reversals (reverse_invoice, reverse_arpayment…) and deletes (delete_aradjustment) are writes too.
      writes: { method: 'POST', body: /<function controlid="[^"]*"><(create|update|apply|reverse_|delete)/ },
      reads: { method: 'POST', body: /<function controlid="[^"]*"><(readByQuery|readMore|getAPISession)/ },
      label: /Sage Intacct company 'acme-test'/,
      run: () => s.run(),
      documents: () => intacctDocuments(s.intacct.state),
      async close() {
        await proxy.close();
        await s.close();
      },
    };
  },
};

function intacctDocuments(st: Awaited<ReturnType<typeof startIntacctSandbox>>['intacct']['state']): string[] {
  const byRecordNo = new Map<string, string>();
  for (const d of st.arDocuments.values()) byRecordNo.set(d.RECORDNO, `${d.kind} ${d.RECORDID}`);
  for (const p of st.arPayments.values()) byRecordNo.set(p.RECORDNO, `payment ${p.DOCNUMBER}`);
  return [
    ...[...st.customers.values()].map((c) => `customer ${c.CUSTOMERID}`),
    ...[...st.arDocuments.values()].map((d) => `${d.kind} ${d.RECORDID}`),
    ...[...st.arPayments.values()].map((p) => `payment ${p.DOCNUMBER}`),
    ...[...st.bills.values()].map((b) => `bill ${b.RECORDID}`),
    ...[...st.apPayments.values()].map((p) => `ap payment ${p.DESCRIPTION}`),
    ...st.applications.map((a) => `application ${byRecordNo.get(a.PAYMENTKEY)} > ${byRecordNo.get(a.RECORDKEY)} ${String(a.amount)}`),
  ];
}

const dualentry: SinkUnderTest = {
  name: 'DualEntry',
  async start() {
    const chargebee = await startFakeChargebee({ customers: 12, seed: 7 });
    const ledger = await startFakeDualEntry();
    const proxy = await startFaultProxy(ledger.url);
    const dir = mkdtempSync(join(tmpdir(), 'ledgersync-matrix-'));
    const pipelinePath = revrecPipelineCopy(dir, 'revrec.yaml', undefined, `  ${fastRetry}\n`);
    const env = revrecEnv(chargebee, ledger, proxy.url);
    return {
      proxy,
      writes: { method: 'POST', path: /\/journal-entries\// },
      reads: { method: 'GET' },
      label: /DualEntry/,
      run: () => runPipeline({ connectors: installedConnectors, pipelinePath, statePath: join(dir, 'state.db'), env, log: silentLogger }),
      documents: () => ledger.state.entries.map((e) => `entry ${/\[([^\]]+)\]$/.exec(e.memo)?.[1] ?? e.memo} ${e.amount}`),
      async close() {
        await proxy.close();
        await Promise.all([chargebee.close(), ledger.close()]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const acumatica: SinkUnderTest = {
  name: 'Acumatica',
  async start() {
    const s = await startAcumaticaSandbox({ chargebee: { customers: 12, seed: 11 } });
    const proxy = await behindFaultProxy(s);
    // A released credit memo's payment side (Payment, Type Credit Memo) is Acumatica's, not a document the sink wrote.
    const key = (object: string, ...fields: string[]) =>
      s.acu.state
        .records(object)
        .filter((d) => !(object === 'Payment' && d['Type'] === 'Credit Memo'))
        .map((d) => `${object} ${fields.map((f) => String(d[f])).join(' ')}`);
    return {
      proxy,
      // Records are put (created or updated), documents released by an action; reads always carry a query or a key.
      writes: { path: /\/entity\/[^/]+\/[^/]+\/[A-Za-z]+(\/[A-Za-z]+)?(\?|$)/ },
      reads: { method: 'GET' },
      label: /Acumatica/,
      run: () => s.run(),
      documents: () => [...key('Customer', 'CustomerID'), ...key('Invoice', 'Type', 'CustomerOrder'), ...key('Payment', 'Type', 'PaymentRef')],
      async close() {
        await proxy.close();
        await s.close();
      },
    };
  },
};

/** Offline payments recorded in Intacct, recorded by the reverse pipeline on the Chargebee invoices they paid. */
const chargebeeSink: SinkUnderTest = {
  name: 'Chargebee (record_payment)',
  async start() {
    const s = await startIntacctSandbox({ cb: { customers: 12, seed: 11 } });
    for (let i = 1; i <= 4; i++) {
      customer(s.cb, `cust_m${i}`);
      invoice(s.cb, `inv_m${i}`, `cust_m${i}`, [{ id: `l${i}`, amount: 5_000, entityId: 'x', description: 'Open invoice' }]);
    }
    const forward = await s.run();
    if (forward.exitCode !== 0) throw new Error(`forward run failed: ${JSON.stringify(forward.error ?? forward.streams)}`);
    const gateway = intacctGateway(intacctInput(s.intacct));
    for (let i = 1; i <= 4; i++) {
      const doc = [...s.intacct.state.arDocuments.values()].find((d) => d.RECORDID === `inv_m${i}`)!;
      const [paid] = await gateway.execute([
        {
          controlId: `clerk-${i}`,
          name: 'create_arpayment',
          body: {
            customerid: `cust_m${i}`,
            paymentamount: '30.00',
            bankaccountid: 'BOA',
            refid: `CHK-${1000 + i}`,
            datereceived: { year: '2024', month: '03', day: '10' },
            paymentmethod: 'Printed Check',
            arpaymentitem: [{ invoicekey: doc.RECORDNO, amount: '30.00' }],
          },
        },
      ]);
      if (paid?.status !== 'success') throw new Error('the clerk’s payment was refused');
    }
    const clerkPayments = new Set([...s.intacct.state.arPayments.values()].filter((p) => p.DOCNUMBER.startsWith('CHK-')).map((p) => p.RECORDNO));
    const proxy = await startFaultProxy(s.cb.url);
    const reversePath = join(s.dir, 'reverse.yaml');
    writeFileSync(
      reversePath,
      readFileSync(REVERSE, 'utf8')
        .replace('  connector: sage-intacct\n', `  connector: sage-intacct\n  ${fastRetry}\n`)
        .replace('  connector: chargebee\n', `  connector: chargebee\n  ${fastRetry}\n`),
    );
    const env = { ...s.env, CHARGEBEE_BASE_URL: proxy.url };
    return {
      proxy,
      writes: { method: 'POST', path: /\/record_payment/ },
      reads: { method: 'GET' },
      label: /Chargebee site '[a-z0-9-]+'/,
      run: () => runPipeline({ connectors: installedConnectors, pipelinePath: reversePath, statePath: join(s.dir, 'reverse.db'), env, log: silentLogger }),
      documents: () =>
        s.cb.state
          .all('transactions')
          .filter((t) => clerkPayments.has(String((t as { id_at_gateway?: string }).id_at_gateway)))
          .map(
            (t) =>
              `payment ${String((t as { id_at_gateway?: string }).id_at_gateway)} on ${String((t as { linked_invoices?: { invoice_id: string }[] }).linked_invoices?.[0]?.invoice_id)}`,
          ),
      async close() {
        await proxy.close();
        await s.close();
      },
    };
  },
};

/** Every sink the matrix drives. */
export const sinks: readonly SinkUnderTest[] = [quickbooks, intacct, dualentry, acumatica, chargebeeSink];
