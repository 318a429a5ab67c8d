import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import { isLedgersyncError } from '../../../engine/errors.js';
import type { Sink, SinkResult } from '../../../engine/connector/types.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';
import { factoryInput, previous, record, sinkContext, type MemoryContext } from './harness.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';

let fake: FakeQbo;
let sink: Sink;
let ctx: MemoryContext;

async function start(options: Parameters<typeof startFakeQbo>[0] = {}, connection: Record<string, unknown> = {}) {
  fake = await startFakeQbo(options);
  sink = connector.createSink!(factoryInput(fake, connection));
  ctx = sinkContext();
  await sink.open!(ctx);
}

afterEach(async () => {
  await fake?.close();
});

const customer = (id: string, name: string, extra: Record<string, unknown> = {}) =>
  record('Customer', id, { DisplayName: name, Notes: id, CurrencyRef: { value: 'USD' }, ...extra });
const item = (name: string) => record('Item', name, { Name: name, Type: 'Service', IncomeAccountRef: { value: '80' }, UnitPrice: '10.00' });
const invoice = (doc: string, customerId: string, itemId: string, amount = '20.00', extra: Record<string, unknown> = {}) =>
  record('Invoice', doc, {
    DocNumber: doc,
    TxnDate: '2024-03-01',
    CustomerRef: { value: customerId },
    Line: [{ DetailType: 'SalesItemLineDetail', Amount: amount, SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: 1, UnitPrice: amount } }],
    ...extra,
  });

function ok(result: SinkResult | undefined): { targetId: string; targetVersion?: string } {
  if (!result || result.status === 'failed')
    throw new Error(`expected success, got ${JSON.stringify(result && 'error' in result ? result.error.toJSON() : result)}`);
  return { targetId: result.targetId!, ...(result.targetVersion ? { targetVersion: result.targetVersion } : {}) };
}

async function seedBasics(): Promise<{ customerId: string; itemId: string }> {
  const [c, i] = await sink.write([customer('cb_1', 'Acme Corp'), item('Pro plan')], ctx);
  return { customerId: ok(c).targetId, itemId: ok(i).targetId };
}

describe('QuickBooks Online sink against the fake QBO', () => {
  beforeEach(async () => start());

  it('creates documents in one batch after one look-up per object, with minorversion on every call', async () => {
    const { customerId, itemId } = await seedBasics();
    const before = fake.state.requests.length;
    const invoices = Array.from({ length: 12 }, (_, i) => invoice(`INV-${i}`, customerId, itemId));
    const results = await sink.write(invoices, ctx);
    expect(results.map((r) => r.status)).toEqual(Array(12).fill('created'));
    const used = fake.state.requests.slice(before);
    expect(used.map((r) => r.path.split('/').pop())).toEqual(['query', 'batch']);
    expect(fake.state.requests.every((r) => r.query['minorversion'] === '75')).toBe(true);
    expect(fake.state.entities('Invoice')).toHaveLength(12);
    expect(fake.state.entities('Invoice')[0]!['TotalAmt']).toBe(20);
  });

  it('sends one request per document when batching is off', async () => {
    await fake.close();
    await start({}, { use_batch: false });
    const { customerId, itemId } = await seedBasics();
    const before = fake.state.requests.length;
    await sink.write(
      Array.from({ length: 5 }, (_, i) => invoice(`N-${i}`, customerId, itemId)),
      ctx,
    );
    expect(fake.state.requests.length - before).toBe(6); // one look-up + five creates
  });

  it('updates sparsely with the ledger SyncToken, and refetches it once when someone edited the document (5010)', async () => {
    const { customerId, itemId } = await seedBasics();
    const created = ok((await sink.write([invoice('INV-1', customerId, itemId)], ctx))[0]);
    const [updated] = await sink.write(
      [invoice('INV-1', customerId, itemId, '30.00', { previous: undefined })].map((r) => ({
        ...r,
        previous: previous(created.targetId, created.targetVersion!),
      })),
      ctx,
    );
    expect(ok(updated)).toEqual({ targetId: created.targetId, targetVersion: '1' });
    expect(fake.state.company.get('Invoice', created.targetId)!['TotalAmt']).toBe(30);

    fake.state.company.touch('Invoice', created.targetId, { PrivateNote: 'edited in QBO' });
    const stale = { ...invoice('INV-1', customerId, itemId, '40.00'), previous: previous(created.targetId, '1') };
    const [again] = await sink.write([stale], ctx);
    expect(ok(again).targetVersion).toBe('3');
    const stored = fake.state.company.get('Invoice', created.targetId)!;
    expect(stored['TotalAmt']).toBe(40);
    expect(stored['PrivateNote']).toBe('edited in QBO'); // sparse: untouched fields stay
    expect(fake.state.entities('Invoice')).toHaveLength(1);
  });

  it('finds a document whose create was never confirmed instead of posting it twice, and sends nothing it already holds', async () => {
    const { customerId, itemId } = await seedBasics();
    await sink.write([invoice('INV-9', customerId, itemId)], ctx);
    const writes = fake.state.writes.length;
    const retried = { ...invoice('INV-9', customerId, itemId), previous: previous(null, null, true) };
    const [result] = await sink.write([retried], ctx);
    expect(result).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/already in QuickBooks as mapped/) });
    expect(fake.state.writes.length).toBe(writes);
    const changed = { ...invoice('INV-9', customerId, itemId, '25.00'), previous: previous(null, null, true) };
    expect((await sink.write([changed], ctx))[0]!.status).toBe('updated');
    expect(fake.state.entities('Invoice').filter((i) => i['DocNumber'] === 'INV-9')).toHaveLength(1);
  });

  it('does not send again an update an interrupted run had landed, and sends one it had not', async () => {
    const { customerId, itemId } = await seedBasics();
    const created = ok((await sink.write([invoice('INV-R', customerId, itemId)], ctx))[0]);
    ok((await sink.write([{ ...invoice('INV-R', customerId, itemId, '30.00'), previous: previous(created.targetId, created.targetVersion!) }], ctx))[0]);
    const writes = fake.state.writes.length;
    // The ledger still has the version before the update, flagged pending: the update's answer never reached it.
    const [landed] = await sink.write(
      [{ ...invoice('INV-R', customerId, itemId, '30.00'), previous: previous(created.targetId, created.targetVersion!, true) }],
      ctx,
    );
    expect(landed).toMatchObject({ status: 'skipped', targetId: created.targetId, targetVersion: '1' });
    expect(fake.state.writes.length).toBe(writes);
    const [lost] = await sink.write(
      [{ ...invoice('INV-R', customerId, itemId, '35.00'), previous: previous(created.targetId, created.targetVersion!, true) }],
      ctx,
    );
    expect(lost).toMatchObject({ status: 'updated', targetVersion: '2' });
  });

  it('adopts documents keyed before go-live (same DocNumber; customer whose Notes hold the source id) without touching them', async () => {
    const oldCustomer = fake.state.company.preload('Customer', { DisplayName: 'Old name Ltd', Notes: 'cb_77' });
    const { customerId, itemId } = await seedBasics();
    const old = fake.state.company.preload('Invoice', { DocNumber: 'LEGACY-1', CustomerRef: { value: customerId }, Line: [] });
    const writesBefore = fake.state.writes.length;
    const [inv, cust] = await sink.write([invoice('LEGACY-1', customerId, itemId), customer('cb_77', 'New name Ltd')], ctx);
    expect(inv).toMatchObject({ status: 'skipped', targetId: old.Id });
    expect(cust).toMatchObject({ status: 'skipped', targetId: oldCustomer.Id });
    expect(fake.state.writes.length).toBe(writesBefore);
  });

  it('never renames around a customer it did not create: the record is dead-lettered, saying whose the name is and what to do', async () => {
    const keyed = fake.state.company.preload('Customer', { DisplayName: 'Hooli' });
    const [result] = await sink.write([customer('cb_h', 'Hooli')], ctx);
    expect(result).toMatchObject({ status: 'failed', error: { code: 'qbo_name_taken', kind: 'record' } });
    const error = result!.status === 'failed' ? result!.error : undefined;
    expect(error?.message).toMatch(new RegExp(`DisplayName 'Hooli' of source record cb_h is already used in QuickBooks by Customer ${keyed.Id}`));
    expect(error?.fix).toMatch(/put 'cb_h' in its Notes/);
    expect(fake.state.entities('Customer').map((c) => c['DisplayName'])).toEqual(['Hooli']);
    fake.state.company.touch('Customer', keyed.Id, { Notes: 'cb_h' });
    const next = connector.createSink!(factoryInput(fake));
    await next.open!(ctx);
    expect((await next.write([customer('cb_h', 'Hooli')], ctx))[0]).toMatchObject({ status: 'skipped', targetId: keyed.Id });
  });

  it('a customer that appeared with this record’s id in its Notes after the run read its index is adopted, not renamed', async () => {
    await sink.write([customer('cb_x', 'Someone else')], ctx);
    const landed = fake.state.company.preload('Customer', { DisplayName: 'Umbrella', Notes: 'cb_u' });
    const writes = fake.state.writes.length;
    const [result] = await sink.write([customer('cb_u', 'Umbrella')], ctx);
    expect(result).toMatchObject({ status: 'skipped', targetId: landed.Id });
    expect(fake.state.writes.length).toBe(writes);
    expect(fake.state.entities('Customer').filter((c) => String(c['DisplayName']).startsWith('Umbrella'))).toHaveLength(1);
  });

  it('keeps DisplayName unique when two source customers share a name, and remembers the suffix for updates', async () => {
    const [a, b] = await sink.write([customer('cb_a', 'Globex'), customer('cb_b', 'Globex')], ctx);
    const names = fake.state
      .entities('Customer')
      .map((c) => c['DisplayName'])
      .sort();
    expect(names).toEqual(['Globex', 'Globex (cb_b)']);
    const bId = ok(b).targetId;
    expect(ok(a).targetId).not.toBe(bId);
    const [update] = await sink.write([{ ...customer('cb_b', 'Globex', { CompanyName: 'Globex Inc' }), previous: previous(bId, ok(b).targetVersion!) }], ctx);
    expect(ok(update).targetId).toBe(bId);
    expect(fake.state.company.get('Customer', bId)).toMatchObject({ DisplayName: 'Globex (cb_b)', CompanyName: 'Globex Inc' });
  });

  it('voids and deletes, and voids a document that was never synced by creating it first', async () => {
    const { customerId, itemId } = await seedBasics();
    const a = ok((await sink.write([invoice('V-1', customerId, itemId)], ctx))[0]);
    const [voided] = await sink.write([{ ...invoice('V-1', customerId, itemId), action: 'void', previous: previous(a.targetId, a.targetVersion!) }], ctx);
    expect(ok(voided).targetId).toBe(a.targetId);
    expect(fake.state.company.get('Invoice', a.targetId)).toMatchObject({ TotalAmt: 0, TxnStatus: 'Voided' });

    const [fresh] = await sink.write([{ ...invoice('V-2', customerId, itemId), action: 'void' }], ctx);
    expect(fake.state.company.get('Invoice', ok(fresh).targetId)).toMatchObject({ DocNumber: 'V-2', TotalAmt: 0 });

    const [deleted] = await sink.write([{ ...invoice('V-1', customerId, itemId), action: 'delete', previous: previous(a.targetId, null) }], ctx);
    expect(deleted!.status).toBe('updated');
    expect(fake.state.company.get('Invoice', a.targetId)).toBeUndefined();
    const [again] = await sink.write([{ ...invoice('V-1', customerId, itemId), action: 'delete', previous: previous(a.targetId, null) }], ctx);
    expect(again!.status).toBe('skipped');
  });

  it('refuses what QBO cannot hold before sending it: a 22-character DocNumber, voiding a credit memo, deleting a customer', async () => {
    const before = fake.state.requests.length;
    const results = await sink.write(
      [
        record('Invoice', 'x', { DocNumber: 'X'.repeat(22) }),
        record('CreditMemo', 'y', { DocNumber: 'CN-1' }, { action: 'void' }),
        record('Customer', 'z', { DisplayName: 'Z' }, { action: 'delete' }),
      ],
      ctx,
    );
    expect(results.map((r) => (r.status === 'failed' ? r.error.code : r.status))).toEqual(['qbo_field_too_long', 'qbo_cannot_void', 'qbo_cannot_delete']);
    const first = results[0]!;
    expect(first.status === 'failed' && first.error.fix).toMatch(/21/);
    expect(fake.state.requests.length).toBe(before);
  });

  it('turns a batch item fault into a dead letter with the QBO fault and a fix, while the rest of the batch lands', async () => {
    const { customerId, itemId } = await seedBasics();
    const results = await sink.write(
      [
        invoice('OK-1', customerId, itemId),
        invoice('BAD-1', customerId, itemId, '20.00', { Unknown: 1 }),
        invoice('BAD-2', customerId, '99999'),
        invoice('BAD-3', customerId, itemId, '20.00', { CurrencyRef: { value: 'XTS' } }),
      ],
      ctx,
    );
    expect(results[0]!.status).toBe('created');
    const errors = results.slice(1).map((r) => (r.status === 'failed' ? r.error : undefined));
    expect(errors.map((e) => e?.code)).toEqual(['qbo_2010', 'qbo_2500', 'qbo_6000']);
    expect(errors[1]!.fix).toMatch(/lookup table/);
    expect(errors[0]!.message).toMatch(/Unknown/);
  });

  it('waits out 429 throttling and posts each document once', async () => {
    const { customerId, itemId } = await seedBasics();
    fake.faults.throttleNext(3);
    const results = await sink.write([invoice('T-1', customerId, itemId), invoice('T-2', customerId, itemId)], ctx);
    expect(results.map((r) => r.status)).toEqual(['created', 'created']);
    expect(fake.state.throttled).toBe(3);
    expect(fake.state.entities('Invoice')).toHaveLength(2);
  });
});

describe("QBO's batch allowance", () => {
  it('with the minute’s batch requests spent, the next operations go as single requests at once instead of waiting out the window', async () => {
    // One batch request a minute on both sides, so a second batch would wait a minute (and time the test out).
    fake = await startFakeQbo({ limits: { batchPerMinute: 1 } });
    const input = factoryInput(fake);
    const settings = input.descriptor.settings as { batch: { requests: number } };
    input.descriptor = { ...input.descriptor, settings: { ...settings, batch: { ...settings.batch, requests: 1 } } };
    sink = connector.createSink!(input);
    ctx = sinkContext();
    await sink.open!(ctx);
    const customers = (from: number) => Array.from({ length: 30 }, (_, i) => customer(`cb_${from + i}`, `Customer ${from + i}`));

    const before = fake.state.requests.length;
    expect((await sink.write(customers(0), ctx)).map((r) => r.status)).toEqual(Array(30).fill('created'));
    expect((await sink.write(customers(30), ctx)).map((r) => r.status)).toEqual(Array(30).fill('created'));
    const writes = fake.state.requests.slice(before).filter((r) => r.method === 'POST' && !r.path.endsWith('/query'));
    expect(writes.filter((r) => r.path.endsWith('/batch'))).toHaveLength(1);
    expect(writes.filter((r) => r.path.endsWith('/customer'))).toHaveLength(30);
    expect(fake.state.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(new Set(fake.state.entities('Customer').map((c) => c['Notes']))).toEqual(new Set(Array.from({ length: 60 }, (_, i) => `cb_${i}`)));
  }, 20_000);
});

describe('QuickBooks answers lost behind a gateway', () => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    await start({ rejectDuplicateDocNumber: false });
    proxy = await startFaultProxy(fake.url);
    sink = connector.createSink!(factoryInput(fake, { base_url: proxy.url }));
    await sink.open!(ctx);
  });
  afterEach(async () => proxy.close());

  it('a batch QBO applied and a gateway answered 503 is looked up, not sent again: every document once, reported created', async () => {
    const { customerId, itemId } = await seedBasics();
    const seen = proxy.log.length;
    proxy.inject({ method: 'POST', path: /\/batch/, fault: { kind: 'status', status: 503 } });
    const results = await sink.write(
      Array.from({ length: 5 }, (_, i) => invoice(`LOST-${i}`, customerId, itemId)),
      ctx,
    );
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('created'));
    expect(fake.state.entities('Invoice')).toHaveLength(5);
    expect(proxy.log.slice(seen).filter((r) => r.method === 'POST')).toEqual([
      { method: 'POST', path: expect.stringMatching(/\/batch/), forwarded: true, fault: 'status', status: 200 },
    ]);
  });

  it('a customer create whose answer was reset is found by its name and Notes, never created twice nor suffixed', async () => {
    proxy.inject({ method: 'POST', fault: { kind: 'reset-after' } });
    const [c] = await sink.write([customer('cb_r', 'Reset Ltd')], ctx);
    expect(c).toMatchObject({ status: 'created' });
    expect(fake.state.entities('Customer').map((e) => e['DisplayName'])).toEqual(['Reset Ltd']);
  });

  it('a batch that never reached QBO is sent again once the look-up finds nothing; a sparse update whose answer was lost is compared, not repeated', async () => {
    const { customerId, itemId } = await seedBasics();
    proxy.inject({ method: 'POST', fault: { kind: 'reset-before' } });
    const created = await sink.write([invoice('NEW-1', customerId, itemId), invoice('NEW-2', customerId, itemId)], ctx);
    expect(created.map((r) => r.status)).toEqual(['created', 'created']);
    expect(fake.state.entities('Invoice')).toHaveLength(2);
    const target = ok(created[0]);
    proxy.inject({ method: 'POST', fault: { kind: 'html-200' } });
    const writes = fake.state.writes.length;
    const [updated] = await sink.write([{ ...invoice('NEW-1', customerId, itemId, '50.00'), previous: previous(target.targetId, target.targetVersion!) }], ctx);
    expect(updated).toMatchObject({ status: 'updated', targetVersion: '1' });
    expect(fake.state.writes.length).toBe(writes + 1);
  });
});

describe('Intuit OAuth', () => {
  it('refreshes an access token that expires mid-run and keeps every rotated refresh token in the secret store', async () => {
    await start();
    const first = ctx.secretValues.get('qbo_refresh_token');
    expect(first).toBe(fake.state.currentRefreshToken);
    expect(first).not.toBe(fake.refreshToken);
    await seedBasics();
    fake.faults.expireAccessTokens();
    const [c] = await sink.write([customer('cb_2', 'Initech')], ctx);
    expect(c!.status).toBe('created');
    expect(fake.state.tokenRequests.filter((t) => t.ok)).toHaveLength(2);
    expect(ctx.secretValues.get('qbo_refresh_token')).toBe(fake.state.currentRefreshToken);
    expect(ctx.secretValues.get('qbo_refresh_token')).not.toBe(first);
  });

  it('prefers the stored rotated refresh token over the configured one on the next run', async () => {
    await start();
    const secrets = ctx.secretValues;
    secrets.delete('qbo_token_state');
    const next = connector.createSink!(factoryInput(fake));
    await next.open!(sinkContext(secrets));
    expect(fake.state.tokenRequests.map((t) => t.ok)).toEqual([true, true]);
  });

  it('reuses a stored access token that is still valid instead of refreshing', async () => {
    await start();
    const next = connector.createSink!(factoryInput(fake));
    await next.open!(sinkContext(ctx.secretValues));
    expect(fake.state.tokenRequests).toHaveLength(1);
  });

  it('fails with an auth error telling the user to reconnect when the refresh token is revoked', async () => {
    fake = await startFakeQbo();
    fake.faults.revokeRefreshToken();
    const s = connector.createSink!(factoryInput(fake));
    const error = await s.open!(sinkContext()).catch((e: unknown) => e);
    expect(isLedgersyncError(error) && error.kind).toBe('auth');
    expect(isLedgersyncError(error) && error.actionable).toMatch(/reconnect/i);
  });

  it('fails with an auth error naming the client credentials when they are wrong, and never prints the secret', async () => {
    fake = await startFakeQbo();
    const s = connector.createSink!(factoryInput(fake, { client_secret: 'wrong-secret-value' }));
    const error = await s.open!(sinkContext()).catch((e: unknown) => e);
    expect(isLedgersyncError(error) && error.code).toBe('qbo_invalid_client');
    expect(JSON.stringify(isLedgersyncError(error) && error.toJSON())).not.toContain('wrong-secret-value');
  });
});
