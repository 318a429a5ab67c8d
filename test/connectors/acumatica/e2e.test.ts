/**
 * Chargebee → Acumatica end to end: the example pipeline, run through the engine's runner against
 * the fake Chargebee and the fake Acumatica tenant, reached only through the environment a user sets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { formatMinor } from '../../../domain/money/money.js';
import { StateStore } from '../../../engine/state/store.js';
import { REFRESH_TOKEN_SECRET } from '../../../connectors/acumatica/auth.js';
import { SECRET_KEY, type Sandbox, type SandboxOptions, startSandbox } from './e2e-harness.js';
import { checkExactSync, live, type Rec, same } from './expect-sync.js';

let sandbox: Sandbox | undefined;
async function open(options: SandboxOptions = {}): Promise<Sandbox> {
  sandbox = await startSandbox(options);
  return sandbox;
}
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const PIPELINE = 'chargebee-to-acumatica';

function writesOf(s: Sandbox, from = 0): { entity: string; operation: string }[] {
  return s.acu.state.writes.slice(from).map((w) => ({ entity: w.entity, operation: w.operation }));
}

describe('Chargebee → Acumatica, first sync and re-runs', () => {
  it('posts every customer, invoice, credit memo, payment and refund exactly, then an idle re-run writes nothing', async () => {
    const s = await open({ chargebee: { customers: 20 } });
    const first = await s.run();
    expect(first.error).toBeUndefined();
    expect(first.exitCode).toBe(0);
    const counts = checkExactSync(s);
    expect(counts.jpy).toBeGreaterThan(0);
    expect(counts.refunds).toBeGreaterThan(0);
    const documents = counts.invoices + counts.creditMemos + counts.payments + counts.refunds + s.acu.state.records('Customer').length;
    const requests = s.acu.state.requests.length + s.acu.state.tokenRequests.length;
    console.log(`first sync: ${documents} documents in ${requests} requests = ${(requests / documents).toFixed(2)} requests per document`);
    expect(s.acu.state.openSessions).toBe(0);

    const writes = s.acu.state.writes.length;
    const second = await s.run();
    expect(second.exitCode).toBe(0);
    expect(Object.values(second.streams).reduce((n, c) => n + c.written, 0)).toBe(0);
    expect(s.acu.state.writes.length).toBe(writes);
    expect(s.acu.state.openSessions).toBe(0);
  }, 120_000);

  it('a pending invoice that changes in Chargebee is one update of the invoice held in Acumatica', async () => {
    const s = await open();
    const candidate = live(s, 'invoices').find(
      (i) =>
        (i.status === 'payment_due' || i.status === 'not_paid') && (i.linked_payments ?? []).length === 0 && (i.adjustment_credit_notes ?? []).length === 0,
    )!;
    expect(candidate).toBeDefined();
    const allocated = live(s, 'credit_notes').some((c) => (c.allocations ?? []).some((a: Rec) => a.invoice_id === candidate.id));
    expect(allocated).toBe(false);
    s.cb.state.touch('invoices', candidate.id, { status: 'pending' } as never);
    expect((await s.run()).exitCode).toBe(0);
    const held = s.acu.state.records('Invoice').find((d) => d['CustomerOrder'] === candidate.id)!;
    expect(held['Status']).toBe('On Hold');

    const lines = candidate.line_items.map((l: Rec, i: number) => (i === 0 ? { ...l, amount: l.amount + 100, unit_amount: l.amount + 100 } : l));
    s.cb.state.touch('invoices', candidate.id, { line_items: lines, total: candidate.total + 100, sub_total: candidate.sub_total + 100 } as never);
    const before = s.acu.state.writes.length;
    const changed = await s.run();
    expect(changed.exitCode).toBe(0);
    expect(changed.streams['invoices']).toMatchObject({ updated: 1, created: 0, written: 1 });
    expect(writesOf(s, before)).toEqual([{ entity: 'Invoice', operation: 'update' }]);
    const after = s.acu.state.records('Invoice').filter((d) => d['CustomerOrder'] === candidate.id);
    expect(after).toHaveLength(1);
    expect(after[0]!['Details']).toHaveLength(candidate.line_items.length);
    expect(after[0]!['ReferenceNbr']).toBe(held['ReferenceNbr']);

    // Chargebee closes the invoice: it is taken off hold and released, still the same document.
    s.cb.state.touch('invoices', candidate.id, { status: 'payment_due' } as never);
    const closed = await s.run();
    expect(closed.streams['invoices']).toMatchObject({ updated: 1, written: 1 });
    const released = s.acu.state.records('Invoice').filter((d) => d['CustomerOrder'] === candidate.id);
    expect(released).toHaveLength(1);
    expect(released[0]!['Status']).toBe('Open');
    expect(same(candidate.total + 100, candidate.currency_code, released[0]!['Amount'])).toBe(true);
  }, 120_000);

  it('a change Acumatica refuses (a released invoice) is a dead letter with its message and field; the run goes on and exits 1', async () => {
    const s = await open();
    expect((await s.run()).exitCode).toBe(0);
    const invoice = live(s, 'invoices').find((i) => i.status === 'paid')!;
    s.cb.state.touch('invoices', invoice.id, { po_number: 'PO-CHANGED' } as never);
    const customer = live(s, 'customers')[0]!;
    s.cb.state.touch('customers', customer.id, { email: 'changed@example.com' } as never);
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(run.streams['invoices']).toMatchObject({ failed: 1 });
    expect(run.streams['customers']).toMatchObject({ updated: 1 });
    const store = StateStore.open(s.statePath);
    try {
      const letter = store.deadLetters(PIPELINE, 'invoices')[0]!;
      expect(letter.sourceId).toBe(invoice.id);
      expect(letter.errorCode).toBe('acumatica_refused');
      expect(letter.message).toMatch(/Description: .*released/);
    } finally {
      store.close();
    }
    expect(s.acu.state.record('Customer', customer.id)!['MainContact']).toMatchObject({ Email: 'changed@example.com' });
  }, 120_000);

  it('adopts documents entered before go-live instead of posting them again', async () => {
    const s = await open();
    const invoice = live(s, 'invoices').find((i) => i.status === 'paid' && i.currency_code === 'USD')!;
    const customer = s.cb.state.get('customers', invoice.customer_id) as Rec;
    s.acu.state.seed('Customer', { CustomerID: customer.id, CustomerName: 'Typed by hand', CurrencyID: 'USD' });
    s.acu.state.seed('Invoice', {
      Customer: customer.id,
      CustomerOrder: invoice.id,
      Hold: false,
      Details: [{ Amount: Number(formatMinor(invoice.total, 'USD')) }],
    });
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(s.acu.state.records('Invoice').filter((d) => d['CustomerOrder'] === invoice.id)).toHaveLength(1);
    expect(s.acu.state.records('Customer').filter((c) => c['CustomerID'] === String(customer.id).toUpperCase())).toHaveLength(1);
    expect(s.acu.state.record('Customer', customer.id)!['CustomerName']).toBe('Typed by hand');
    // Its content is left as it was; it is released (as Chargebee's invoice is final) so the payment applies to it.
    expect(s.acu.state.records('Invoice').find((d) => d['CustomerOrder'] === invoice.id)).toMatchObject({ Status: 'Closed', Balance: 0 });
  }, 120_000);
});

describe('Acumatica endpoint versions and sign-in', () => {
  it('a version the tenant does not serve exits 2 naming it and how to list the served ones, writing nothing', async () => {
    const s = await open();
    const run = await s.run({ env: { ...s.env, ACUMATICA_ENDPOINT_VERSION: '23.200.001' } });
    expect(run.exitCode).toBe(2);
    expect(run.error?.code).toBe('acumatica_endpoint_not_found');
    expect(run.error?.message).toContain('Default/23.200.001');
    expect(run.error?.message).toContain('Default/24.200.001');
    expect(run.error?.fix).toContain(`${s.acu.url}/entity`);
    expect(s.acu.state.writes).toHaveLength(0);
    expect(s.acu.state.openSessions).toBe(0);
  }, 60_000);

  it('OAuth: a password grant once, then each run refreshes with the rotated token stored encrypted, and signs out', async () => {
    const s = await open();
    const stored: string[] = [];
    for (let i = 0; i < 3; i++) {
      expect((await s.run()).exitCode).toBe(0);
      expect(s.acu.state.openSessions).toBe(0);
      const store = StateStore.open(s.statePath);
      try {
        stored.push(store.secretStore(PIPELINE, 'acumatica', SECRET_KEY).get(REFRESH_TOKEN_SECRET)!);
      } finally {
        store.close();
      }
      expect(s.acu.state.currentRefreshTokens).toContain(stored[i]);
    }
    expect(new Set(stored).size).toBe(3);
    expect(s.acu.state.tokenRequests.map((t) => `${t.grantType}:${t.ok}`)).toEqual(['password:true', 'refresh_token:true', 'refresh_token:true']);

    // The identity server forgot the refresh token (revoked): the password grant starts a new chain.
    s.acu.faults.revokeRefreshTokens();
    expect((await s.run()).exitCode).toBe(0);
    expect(s.acu.state.tokenRequests.slice(3).map((t) => `${t.grantType}:${t.ok}`)).toEqual(['refresh_token:false', 'password:true']);
  }, 120_000);

  it('an expired access token mid-run is renewed with the refresh token', async () => {
    const s = await open();
    let expired = false;
    s.acu.faults.afterWrite = () => {
      if (!expired && s.acu.state.writes.length === 5) {
        expired = true;
        s.acu.faults.expireAccessTokens();
      }
    };
    expect((await s.run()).exitCode).toBe(0);
    expect(expired).toBe(true);
    expect(s.acu.state.tokenRequests.map((t) => t.grantType)).toEqual(['password', 'refresh_token']);
    checkExactSync(s);
  }, 120_000);

  it('wrong credentials exit 3 naming the tenant and what to check, never the password', async () => {
    const s = await open();
    const password = 'Wrong-Pa55word-123';
    const run = await s.run({ env: { ...s.env, ACUMATICA_PASSWORD: password } });
    expect(run.exitCode).toBe(3);
    expect(run.error?.code).toBe('acumatica_login_failed');
    expect(run.error?.message).toContain(`tenant '${s.acu.tenant}'`);
    // The user is named (it is no secret: masking it hid whom to check, and every text that held it).
    expect(run.error?.message).toContain(`user '${s.env['ACUMATICA_USERNAME']}'`);
    expect(run.error?.fix).toContain('ACUMATICA_PASSWORD');
    expect(JSON.stringify(run)).not.toContain(password);
    const cookie = await s.run({ env: { ...s.env, ACUMATICA_PASSWORD: password, ACUMATICA_CLIENT_ID: '', ACUMATICA_CLIENT_SECRET: '' } });
    expect(cookie.exitCode).toBe(3);
    expect(cookie.error?.code).toBe('acumatica_login_failed');
    expect(JSON.stringify(cookie)).not.toContain(password);
    expect(s.acu.state.openSessions).toBe(0);
  }, 60_000);
});

describe('Acumatica cookie sessions hold licence seats', () => {
  it('signs out at the end of a run, so a one-seat licence serves run after run', async () => {
    const s = await open({ auth: 'cookie', acumatica: { licence: { maxApiUsers: 1 } } });
    for (let i = 0; i < 2; i++) {
      expect((await s.run()).exitCode).toBe(0);
      expect(s.acu.state.openSessions).toBe(0);
    }
    expect(s.acu.state.sessionsOpened).toBe(2);
    expect(s.acu.state.sessionsClosed).toBe(2);
    expect(s.acu.state.tokenRequests).toHaveLength(0);
    checkExactSync(s);
  }, 120_000);

  it('signs out when the run fails, and when it is stopped', async () => {
    const s = await open({ auth: 'cookie', acumatica: { licence: { maxApiUsers: 1 } } });
    // A failure that stops the run: Chargebee's listing breaks for good after some writes.
    s.acu.faults.afterWrite = () => {
      if (s.acu.state.writes.length === 10) s.cb.faults.failEvery(1, 401);
    };
    const failed = await s.run();
    expect(failed.exitCode).toBe(3);
    expect(s.acu.state.openSessions).toBe(0);
    s.cb.faults.clear();

    // A stop (SIGTERM) in the middle of the writes.
    const controller = new AbortController();
    const stopAt = s.acu.state.writes.length + 10;
    s.acu.faults.afterWrite = () => {
      if (s.acu.state.writes.length === stopAt) controller.abort();
    };
    const stopped = await s.run({ signal: controller.signal });
    expect(stopped.exitCode).toBe(3);
    expect(stopped.error?.code).toBe('run_aborted');
    expect(s.acu.state.openSessions).toBe(0);

    s.acu.faults.afterWrite = undefined;
    expect((await s.run()).exitCode).toBe(0);
    expect(s.acu.state.sessionsOpened).toBe(s.acu.state.sessionsClosed);
    checkExactSync(s);
  }, 120_000);
});

describe('Acumatica throttling and lost answers', () => {
  it('a 429 storm from the licence limits is waited out, and every document lands once', async () => {
    const s = await open({ acumatica: { licence: { maxConcurrentRequests: 1 }, latencyMs: 3 } });
    s.acu.faults.throttleNext(15);
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(s.acu.state.throttled).toBeGreaterThan(0);
    checkExactSync(s);
  }, 120_000);

  it('a create whose answer is lost is looked up before it is sent again: no duplicate', async () => {
    const s = await open();
    let dropped = 0;
    s.acu.faults.afterWrite = (event) => {
      if (event.operation === 'insert' && dropped < 4 && s.acu.state.writes.length % 7 === 0) {
        dropped++;
        s.acu.faults.dropResponseAfterWriteNext(1);
      }
    };
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(dropped).toBe(4);
    checkExactSync(s);
  }, 120_000);
});

describe('Chargebee → Acumatica GL journals (AR kept in Chargebee)', () => {
  it('posts each document as one balanced, released journal transaction, once', async () => {
    const s = await open();
    s.edit([['post_invoices_as: ar_documents', 'post_invoices_as: gl_journals']]);
    expect((await s.run()).exitCode).toBe(0);
    const journals = s.acu.state.records('JournalTransaction');
    const invoices = live(s, 'invoices').filter((i) => i.status !== 'voided');
    const documents = invoices.length + live(s, 'credit_notes').filter((c) => c.status !== 'voided').length;
    const transactions = live(s, 'transactions').filter((t) => t.status === 'success').length;
    expect(journals).toHaveLength(documents + transactions);
    expect(s.acu.state.records('Invoice')).toHaveLength(0);
    expect(s.acu.state.records('Customer')).toHaveLength(0);
    for (const inv of invoices) {
      const found = journals.filter((j) => j['Description'] === `Chargebee invoice ${inv.id}`);
      expect(found, inv.id).toHaveLength(1);
      const lines = found[0]!['Details'] as Rec[];
      const receivable = lines.find((l) => l['Account'] === '11000')!;
      expect(same(inv.total, inv.currency_code, receivable['DebitAmount']), inv.id).toBe(true);
      expect(found[0]!['Status']).toBe('Posted');
    }
    expect(s.acu.state.roundings).toEqual([]);
    const writes = s.acu.state.writes.length;
    expect((await s.run()).exitCode).toBe(0);
    expect(s.acu.state.writes.length).toBe(writes);
  }, 120_000);
});

describe('Acumatica licence seats', () => {
  it('waits for a seat when every one is taken (API Login Limit), then signs in', async () => {
    const s = await open({ auth: 'cookie', acumatica: { licence: { maxApiUsers: 1 } } });
    // Another program holds the only seat; its session times out two seconds later.
    const held = await fetch(`${s.acu.url}/entity/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: s.acu.username, password: s.acu.password }),
    });
    expect(held.status).toBe(204);
    const timer = setTimeout(() => s.acu.faults.expireSessions(), 1500);
    try {
      const run = await s.run();
      expect(run.exitCode).toBe(0);
    } finally {
      clearTimeout(timer);
    }
    expect(s.acu.state.loginRefusals).toBeGreaterThan(0);
    expect(s.acu.state.openSessions).toBe(0);
  }, 60_000);
});
