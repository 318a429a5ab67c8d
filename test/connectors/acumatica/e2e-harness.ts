/** The fake Chargebee, the fake Acumatica tenant, a temp state dir and a copy of the example pipeline, run through the engine's runner. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { type RunOptions, type RunSummary, runPipeline } from '../../../engine/run/runner.js';
import { editFile } from '../../e2e/helpers.js';
import { type FakeAcumatica, type FakeAcumaticaOptions, startFakeAcumatica } from '../../fakes/acumatica/index.js';
import { type FakeChargebee, type FakeChargebeeOptions, startFakeChargebee } from '../../fakes/chargebee/index.js';
import { type Fault, type FaultProxy, type FaultRule, startFaultProxy } from '../../support/fault-proxy.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const examplePipeline = join(root, 'pipelines', 'examples', 'chargebee-to-acumatica.yaml');
export const SECRET_KEY = 'test-secret-key-0123456789abcdef';

export interface Sandbox {
  cb: FakeChargebee;
  acu: FakeAcumatica;
  dir: string;
  statePath: string;
  pipelinePath: string;
  env: Record<string, string>;
  run(options?: Partial<RunOptions>): Promise<RunSummary>;
  /** Text replacements in the pipeline copy; each must hit. */
  edit(replacements: [string, string][]): void;
  close(): Promise<void>;
}

export interface SandboxOptions {
  chargebee?: FakeChargebeeOptions;
  acumatica?: FakeAcumaticaOptions;
  /** `cookie` drops the OAuth client from the environment. Default oauth2. */
  auth?: 'oauth2' | 'cookie';
  /** Fast retries (the default): throttling tests stay quick; false keeps the descriptor's policy. */
  fastRetries?: boolean;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const cb = await startFakeChargebee({ customers: 12, ...options.chargebee });
  const acu = await startFakeAcumatica(options.acumatica ?? {});
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-acumatica-'));
  const pipelinePath = join(dir, 'chargebee-to-acumatica.yaml');
  let text = readFileSync(examplePipeline, 'utf8');
  // The fake tenant has no request limit unless a test gives it one: run at loopback speed.
  text = text.replace(
    'rate_limit: { requests: 100, per_seconds: 60, concurrency: 3 }',
    options.fastRetries === false
      ? 'rate_limit: { requests: 100000, per_seconds: 60, concurrency: 4 }'
      : 'rate_limit: { requests: 100000, per_seconds: 60, concurrency: 4 }\n  retry: { base_delay_ms: 10, max_delay_ms: 100, max_attempts: 30 }',
  );
  writeFileSync(pipelinePath, text);
  const env = acumaticaEnv(cb, acu, options.auth ?? 'oauth2');
  const statePath = join(dir, 'state.db');
  return {
    cb,
    acu,
    dir,
    statePath,
    pipelinePath,
    env,
    run: (runOptions = {}) => runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env, log: silentLogger, ...runOptions }),
    edit: (replacements) => editFile(pipelinePath, replacements),
    async close() {
      await Promise.all([cb.close(), acu.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The environment the example pipeline reads, pointed at the two fakes. */
export function acumaticaEnv(cb: FakeChargebee, acu: FakeAcumatica, auth: 'oauth2' | 'cookie' = 'oauth2'): Record<string, string> {
  return {
    CHARGEBEE_SITE: cb.site,
    CHARGEBEE_API_KEY: cb.apiKey,
    CHARGEBEE_BASE_URL: cb.url,
    ACUMATICA_URL: acu.url,
    ACUMATICA_TENANT: acu.tenant,
    ACUMATICA_USERNAME: acu.username,
    ACUMATICA_PASSWORD: acu.password,
    ...(auth === 'oauth2' ? { ACUMATICA_CLIENT_ID: acu.clientId, ACUMATICA_CLIENT_SECRET: acu.clientSecret } : {}),
    LEDGERSYNC_SECRET_KEY: SECRET_KEY,
  };
}

/** Points the sandbox's runs at a fault proxy in front of the fake tenant, through ACUMATICA_URL as a user would set it. */
export async function behindFaultProxy(s: Sandbox): Promise<FaultProxy> {
  const target = new URL(s.acu.url);
  const proxy = await startFaultProxy(target.origin);
  s.env['ACUMATICA_URL'] = `${proxy.url}${target.pathname}`;
  return proxy;
}

/** Two unpaid USD invoices of one customer in Chargebee: a seeded one of at least 10.00, and a copy of it (`inv_second_unpaid`). */
export function unpaidInvoicePair(s: Sandbox) {
  const first = s.cb.state
    .all('invoices')
    .find((i) => (i.status === 'payment_due' || i.status === 'not_paid') && i.currency_code === 'USD' && (i.amount_due ?? 0) >= 1000);
  if (!first) throw new Error('the seeded site has no unpaid USD invoice of at least 10.00');
  const { id: _firstId, ...copy } = structuredClone(first);
  const second = s.cb.state.create('invoices', { ...copy, id: 'inv_second_unpaid' });
  return { first, second };
}

/** An unpaid invoice of the seeded site that no payment, credit note or transaction refers to: one a test may void alone. */
export function unreferencedUnpaidInvoice(s: Sandbox) {
  const referenced = (id: string) =>
    s.cb.state.all('credit_notes').some((c) => (c.allocations ?? []).some((a) => a.invoice_id === id)) ||
    s.cb.state.all('transactions').some((t) => (t.linked_invoices ?? []).some((l) => l.invoice_id === id));
  const invoice = s.cb.state
    .all('invoices')
    .find((i) => !i.deleted && (i.status === 'payment_due' || i.status === 'not_paid') && !(i.linked_payments ?? []).length && !referenced(i.id));
  if (!invoice) throw new Error('the seeded site has no unpaid invoice nothing refers to');
  return invoice;
}

/** A payment's released applications (its ApplicationHistory) as [adjusted document, amount] pairs. */
export function releasedApplications(payment: Record<string, unknown>): unknown[][] {
  return ((payment['ApplicationHistory'] as Record<string, unknown>[] | undefined) ?? []).map((row) => [row['AdjustedRefNbr'], row['AmountPaid']]);
}

/** How many times the fake tenant has run `action` (ReleasePayment…). */
export function actionsRun(s: Sandbox, action: string): number {
  return s.acu.state.writes.filter((w) => w.operation === 'action' && w.action === action).length;
}

/** The proxy spoils the next release of a Payment. */
export const paymentRelease = (fault: Fault): FaultRule => ({ method: 'POST', path: /\/Payment\/ReleasePayment$/, times: 1, fault });
/** The proxy spoils the next update of a Payment that carries applications. */
export const paymentApplicationsUpdate = (fault: Fault): FaultRule => ({ method: 'PUT', path: /\/Payment(\?|$)/, body: /DocumentsToApply/, times: 1, fault });
