import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDescriptorFile } from '../../../engine/config/descriptors.js';
import { isLedgersyncError } from '../../../engine/errors.js';
import { createDualEntrySink, formatRevrecStatus, revrecStatus } from '../../../connectors/dualentry/index.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { describeDualEntryError } from '../../../connectors/dualentry/api.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { annualInvoice, at, documentRecord, dualEntryDescriptor, factoryInput, memoryKv, revrecBlock, revrecLookups, sinkContext } from './helpers.js';
import { installedConnectors } from '../../../app/registry.js';

let fake: FakeDualEntry;
beforeEach(async () => {
  fake = await startFakeDualEntry();
});
afterEach(async () => {
  await fake.close();
});

const posts = () => fake.state.requests.filter((r) => r.method === 'POST');
const base = () => ({ url: fake.url, apiKey: fake.apiKey, companyId: fake.companyId });

/** An invoice of one SAAS line of `amount` minor units, served 2026-01-15 to 2026-02-15. */
const januaryInvoice = (id: string, currency: string, amount: number) =>
  documentRecord(id, {
    kind: 'invoice',
    date: at(2026, 1, 15),
    currency,
    lines: [{ id: 'l', amount, date_from: at(2026, 1, 15), date_to: at(2026, 2, 15), accounting_code: 'SAAS' }],
  });

/** A ready-made KWD journal (`journal_entry`) of the given lines. */
const kwdJournal = (id: string, lines: Array<Record<string, string>>) => ({
  stream: 'export',
  object: 'journal_entry',
  sourceId: id,
  deleted: false,
  action: 'upsert' as const,
  contentHash: id,
  data: { date: '2026-10-31', memo: `RevRec ${id}`, currency: 'KWD', lines },
});

describe('DualEntry descriptor', () => {
  it('passes the connector schema and declares the revenue_recognition block', () => {
    const loaded = loadDescriptorFile(dualEntryDescriptor().dir + '/connector.yaml', 'dualentry');
    expect(loaded.problems).toEqual([]);
    expect(loaded.secrets).toEqual(['api_key']);
    expect(loaded.extensions.map((e) => e.key)).toEqual(['revenue_recognition']);
    const validate = loaded.extensions[0]!.validate;
    expect(validate(revrecBlock)).toBe(true);
    expect(validate({ ...revrecBlock, period: 'week' })).toBe(false);
  });
});

describe('DualEntry connection', () => {
  it("honours the pipeline's retry: override (it was silently dropped before the engine built connections)", async () => {
    fake.faults.unavailableNext(3);
    const impatient = createDualEntrySink(factoryInput({ ...base(), connection: { retry: { max_attempts: 2 } } }));
    await expect(impatient.open!(sinkContext())).rejects.toMatchObject({ code: 'dualentry_http_503', kind: 'transient' });
    expect(fake.state.requests).toHaveLength(2);

    fake.faults.unavailableNext(3);
    const patient = createDualEntrySink(factoryInput(base())); // the descriptor's 5 attempts
    await patient.open!(sinkContext());
    expect(fake.state.requests.slice(2).map((r) => r.path)).toEqual(Array(4).fill(`/public/v2/companies/${fake.companyId}/`));
  });

  it('sends the key in the X-API-KEY header the descriptor declares, under the API prefix of its base URL', async () => {
    const sink = createDualEntrySink(factoryInput({ ...base(), url: `${fake.url}/` }));
    await sink.open!(sinkContext());
    expect(fake.state.requests.map((r) => r.path)).toEqual([`/public/v2/companies/${fake.companyId}/`]);
    const refused = createDualEntrySink(factoryInput({ ...base(), url: `${fake.url}/elsewhere` }));
    await expect(refused.open!(sinkContext())).rejects.toMatchObject({ code: 'dualentry_company_not_found' });
    expect(fake.state.requests[1]!.path).toBe(`/elsewhere/companies/${fake.companyId}/`);
  });
});

describe('DualEntry sink: period posting', () => {
  it('posts one balanced entry per period, dated the close date, on the mapped accounts, in 3 API calls', async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput(base()));
    const results = await sink.write([annualInvoice()], ctx);
    expect(results[0]).toMatchObject({ status: 'created' });

    const outcome = await sink.post('2026-01', { repost: false }, ctx);
    expect(outcome).toMatchObject({ period: '2026-01', status: 'posted', apiCalls: 3 });
    expect(fake.state.entries).toHaveLength(1);
    const entry = fake.state.entries[0]!;
    expect(entry.date).toBe('2026-01-31');
    expect(entry.memo).toMatch(/^Chargebee RevRec 2026-01 USD \[ls-[0-9a-f]{8}-2026-01-USD-j1\]$/);
    expect(entry.record_status).toBe('posted');
    expect(entry.company_id).toBe(fake.companyId);
    expect(entry.items.map((i) => [i.account_number, i.debit, i.credit])).toEqual([
      [1200, '1200.00', '0.00'],
      [2400, '0.00', '1200.00'],
      [2400, '101.92', '0.00'],
      [4000, '0.00', '101.92'],
    ]);
    expect(entry.amount).toBe('1301.92');

    // Posting the same period again sends nothing.
    const before = fake.state.requests.length;
    expect(await sink.post('2026-01', { repost: false }, ctx)).toMatchObject({ status: 'already_posted', apiCalls: 0 });
    expect(fake.state.requests.length).toBe(before);
  });

  it('posts closed periods automatically in close(), oldest first, and an idle re-run posts nothing', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput({ ...base(), extensions: { revenue_recognition: { ...revrecBlock, close_after_days: 3 } } }), {
      now: () => at(2026, 3, 3, 12),
    });
    await sink.write([annualInvoice()], sinkContext(kv));
    await sink.close!(sinkContext(kv));
    // February closes on March 4 (last day + 3), so only January is posted.
    expect(sink.lastAutomaticPostings.map((o) => [o.period, o.status])).toEqual([['2026-01', 'posted']]);
    expect(fake.state.entries.map((e) => e.date)).toEqual(['2026-01-31']);

    const later = createDualEntrySink(
      factoryInput({ ...base(), extensions: { revenue_recognition: { ...revrecBlock, close_after_days: 3, entry_date: 'close_date' } } }),
      {
        now: () => at(2026, 3, 5),
      },
    );
    await later.close!(sinkContext(kv));
    expect(later.lastAutomaticPostings.map((o) => [o.period, o.status])).toEqual([['2026-02', 'posted']]);
    expect(fake.state.entries.map((e) => e.date)).toEqual(['2026-01-31', '2026-03-03']);
    expect(fake.state.entries[1]!.items.find((i) => i.account_number === 4000)?.credit).toBe('92.05');

    const idle = createDualEntrySink(factoryInput({ ...base(), extensions: { revenue_recognition: { ...revrecBlock, close_after_days: 3 } } }), {
      now: () => at(2026, 3, 5),
    });
    const requests = fake.state.requests.length;
    await idle.write([annualInvoice()], sinkContext(kv));
    await idle.close!(sinkContext(kv));
    expect(idle.lastAutomaticPostings).toEqual([]);
    expect(fake.state.requests.length).toBe(requests);
    expect(fake.state.entries).toHaveLength(2);
  });

  it('carries a late change to a posted period into the next posting, never re-posting the closed one', async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput(base()));
    await sink.write([annualInvoice()], ctx);
    await sink.post('2026-01', { repost: false }, ctx);
    // A credit note dated in February reverses half of January's service.
    await sink.write(
      [
        documentRecord('cn_1', {
          kind: 'credit_note',
          date: at(2026, 2, 2),
          currency: 'USD',
          lines: [{ id: 'c1', amount: 5096, date_from: at(2026, 1, 1), date_to: at(2026, 1, 16), accounting_code: 'SAAS' }],
        }),
      ],
      ctx,
    );
    const outcome = await sink.post('2026-02', { repost: false }, ctx);
    expect(outcome.status).toBe('posted');
    const feb = fake.state.entries[1]!;
    // February recognises 92.05 of its own, less the 50.96 credited for January.
    expect(feb.items.find((i) => i.account_number === 4000)?.credit).toBe('41.09');
    expect(feb.items.find((i) => i.account_number === 1200)?.credit).toBe('50.96');
  });

  it('a voided invoice takes back what was billed and recognised, in the next posting', async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput(base()));
    await sink.write([annualInvoice()], ctx);
    await sink.post('2026-01', { repost: false }, ctx);
    const voided = { ...annualInvoice(), action: 'delete' as const, data: {} };
    expect(await sink.write([voided], ctx)).toMatchObject([{ status: 'updated' }]);
    await sink.post('2026-02', { repost: false }, ctx);
    expect(fake.state.entries[1]!.items.map((i) => [i.account_number, i.debit, i.credit])).toEqual([
      [1200, '0.00', '1200.00'],
      [2400, '1200.00', '0.00'],
      [2400, '0.00', '101.92'],
      [4000, '101.92', '0.00'],
    ]);
  });

  it('refuses to post a period while an earlier one has amounts not posted', async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput(base()));
    await sink.write([annualInvoice()], ctx);
    await expect(sink.post('2026-03', { repost: false }, ctx)).rejects.toThrow(/cannot be posted before 2026-01, 2026-02/);
    expect(posts()).toHaveLength(0);
  });

  it('reposts after a mapping change with a reversing entry and a corrected one, both recorded', async () => {
    const kv = memoryKv();
    const first = createDualEntrySink(factoryInput(base()));
    await first.write([annualInvoice()], sinkContext(kv));
    await first.post('2026-01', { repost: false }, sinkContext(kv));

    const remapped = createDualEntrySink(factoryInput({ ...base(), lookups: revrecLookups({ SAAS: '4010' }) }));
    const outcome = await remapped.post('2026-01', { repost: true }, sinkContext(kv));
    expect(outcome.status).toBe('reposted');
    expect(outcome.entries.map((e) => [e.kind, e.amount])).toEqual([
      ['reversal', '1301.92'],
      ['correction', '1301.92'],
    ]);
    const [original, reversal, correction] = fake.state.entries;
    expect(reversal!.date).toBe(original!.date);
    expect(reversal!.memo).toMatch(/^Reversal of Chargebee RevRec 2026-01 USD \[.*-r2\]$/);
    expect(reversal!.items.map((i) => [i.account_number, i.debit, i.credit])).toEqual(original!.items.map((i) => [i.account_number, i.credit, i.debit]));
    expect(correction!.items.find((i) => i.credit === '101.92')?.account_number).toBe(4010);
    expect(remapped.status(sinkContext(kv)).periods[0]!.entries.map((e) => e.kind)).toEqual(['journal', 'reversal', 'correction']);

    // Nothing changed since: a second repost sends nothing.
    const again = createDualEntrySink(factoryInput({ ...base(), lookups: revrecLookups({ SAAS: '4010' }) }));
    expect(await again.post('2026-01', { repost: true }, sinkContext(kv))).toMatchObject({ status: 'unchanged' });
    expect(fake.state.entries).toHaveLength(3);
  });

  it('finds an entry whose POST answered 500 after landing, and records it instead of posting it twice', async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput(base()));
    await sink.write([annualInvoice()], ctx);
    fake.faults.failAfterNextPost();
    const posted = await sink.post('2026-01', { repost: false }, ctx);
    expect(posted.status).toBe('posted');
    expect(fake.state.entries).toHaveLength(1);
    expect(fake.state.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(posted.entries[0]!.number).toBe(String(fake.state.entries[0]!.number));
    expect(sink.status(ctx).retry).toBeUndefined();
    const again = await sink.post('2026-01', { repost: false }, ctx);
    expect(again.status).toBe('already_posted');
    expect(fake.state.entries).toHaveLength(1);
  });

  describe('an entry whose answer was lost and could not be looked up', () => {
    /** Posts January with its first journal landing unanswered and DualEntry unreachable for the look-up: the attempt is left pending. */
    async function lostJanuary(sink: ReturnType<typeof createDualEntrySink>, ctx: ReturnType<typeof sinkContext>) {
      fake.faults.failAfterNextPost(50);
      const lost = await sink.post('2026-01', { repost: false }, ctx);
      fake.faults.unavailableNext(0);
      expect(lost.status).toBe('failed');
      expect(fake.state.entries).toHaveLength(1);
    }
    const perCurrency = () => {
      const counts: Record<string, number> = {};
      for (const e of fake.state.entries) counts[e.currency_iso_4217_code] = (counts[e.currency_iso_4217_code] ?? 0) + 1;
      return counts;
    };

    it('is recorded before the period is planned again: never posted twice when another currency posts first', async () => {
      const ctx = sinkContext(memoryKv());
      const sink = createDualEntrySink(factoryInput(base()));
      await sink.write([januaryInvoice('inv_usd', 'USD', 31000)], ctx);
      await lostJanuary(sink, ctx);
      // A EUR invoice of January arrives; EUR is planned before USD, so USD's entry would get another reference.
      await sink.write([januaryInvoice('inv_eur', 'EUR', 31000)], ctx);
      expect((await sink.post('2026-01', { repost: false }, ctx)).status).toBe('posted');
      expect(perCurrency()).toEqual({ USD: 1, EUR: 1 });
      expect(
        sink
          .status(ctx)
          .periods[0]!.entries.map((e) => e.currency)
          .sort(),
      ).toEqual(['EUR', 'USD']);
    });

    it('is recorded even when its documents were voided since, so the void is reversed in the next period', async () => {
      const kv = memoryKv();
      const ctx = sinkContext(kv);
      const sink = createDualEntrySink(factoryInput(base()));
      await sink.write([januaryInvoice('inv_usd', 'USD', 31000)], ctx);
      await lostJanuary(sink, ctx);
      await sink.write([{ ...januaryInvoice('inv_usd', 'USD', 31000), deleted: true }], ctx);
      expect((await sink.post('2026-01', { repost: false }, ctx)).status).toBe('nothing_to_post');
      // The entry DualEntry holds is in the ledger, and February carries its reversal.
      expect(sink.status(ctx).periods.find((p) => p.period === '2026-01')!.entries).toHaveLength(1);
      expect((await sink.post('2026-02', { repost: false }, ctx)).status).toBe('posted');
      const receivable = fake.state.entries
        .flatMap((e) => e.items.filter((i) => i.account_number === 1200))
        .reduce((sum, i) => sum + Number(i.debit) * 100 - Number(i.credit) * 100, 0);
      expect(Math.round(receivable)).toBe(0);
    });
  });

  it('a --repost whose reversal answer was lost is finished by the next post: the correction goes out, the period is not lost', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput(base()));
    await sink.write([annualInvoice()], sinkContext(kv));
    expect((await sink.post('2026-01', { repost: false }, sinkContext(kv))).status).toBe('posted');
    const remapped = createDualEntrySink(factoryInput({ ...base(), lookups: revrecLookups({ SAAS: '4010' }) }));
    fake.faults.failAfterNextPost(50);
    expect((await remapped.post('2026-01', { repost: true }, sinkContext(kv))).status).toBe('failed');
    fake.faults.unavailableNext(0);
    // The reversal landed; the next post finds it, records it, and posts the correction.
    expect((await remapped.post('2026-01', { repost: false }, sinkContext(kv))).status).toBe('posted');
    expect(remapped.status(sinkContext(kv)).periods[0]!.entries.map((e) => e.kind)).toEqual(['journal', 'reversal', 'correction']);
    const revenue = (account: number) =>
      fake.state.entries
        .flatMap((e) => e.items.filter((i) => i.account_number === account))
        .reduce((sum, i) => sum + Math.round(Number(i.credit) * 100) - Math.round(Number(i.debit) * 100), 0);
    expect([revenue(4000), revenue(4010)]).toEqual([0, 10192]);
  });

  it('a period that is not one (2026-13, 2026-1) is a configuration error naming the form, not an unexpected error', async () => {
    const sink = createDualEntrySink(factoryInput(base()));
    for (const period of ['2026-13', '2026-1', 'garbage']) {
      await expect(sink.post(period, { repost: false }, sinkContext())).rejects.toMatchObject({
        code: 'invalid_arguments',
        kind: 'config',
        message: expect.stringMatching(new RegExp(`^period ${period}: expected a month like "2026-10"`)),
        fix: 'give the period as revenue_recognition.period has it: YYYY-MM, e.g. 2026-10',
      });
    }
  });

  it('waits out 429 with Retry-After', async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput(base()));
    await sink.write([annualInvoice()], ctx);
    fake.faults.throttleNext(2, 0);
    expect((await sink.post('2026-01', { repost: false }, ctx)).status).toBe('posted');
    expect(fake.state.entries).toHaveLength(1);
  });

  it('posts JPY and KWD in their own journals with their own decimals', async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput(base()));
    await sink.write(
      [
        januaryInvoice('inv_jpy', 'JPY', 10000),
        // 31.000 KWD over 31 days: 17.000 in January, an amount DualEntry's 2 decimals hold exactly.
        januaryInvoice('inv_kwd', 'KWD', 31000),
      ],
      ctx,
    );
    const outcome = await sink.post('2026-01', { repost: false }, ctx);
    expect(outcome.entries.map((e) => [e.currency, e.amount])).toEqual([
      ['JPY', '15484'],
      ['KWD', '48.000'],
    ]);
    expect(fake.state.entries.map((e) => e.items.find((i) => i.account_number === 4000)?.credit)).toEqual(['5484', '17.00']);
  });

  it("with a rounding account, rounds a period's KWD journal to DualEntry's 2 decimals line by line, balanced (no difference left for it here)", async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput({ ...base(), connection: { rounding_account: '7990' } }));
    await sink.write([januaryInvoice('inv_kwd', 'KWD', 1000)], ctx);
    const outcome = await sink.post('2026-01', { repost: false }, ctx);
    expect(outcome.status).toBe('posted');
    const [entry] = fake.state.entries;
    const items = entry!.items.map((i) => [i.account_number, i.debit, i.credit, i.memo]);
    // 0.548 recognised in January: every amount rounded to 2 decimals, the difference on 7990.
    for (const [, debit, credit] of items) expect(`${debit} ${credit}`).toMatch(/^\d+\.\d{2} \d+\.\d{2}$/);
    const cents = (text: unknown) => Math.round(Number(text) * 100);
    expect(items.reduce((sum, [, debit, credit]) => sum + cents(debit) - cents(credit), 0)).toBe(0);
    expect(items).toEqual([
      [1200, '1.00', '0.00', 'Billed to accounts receivable (SAAS)'],
      [2400, '0.00', '1.00', 'Billed to deferred revenue (SAAS)'],
      [2400, '0.55', '0.00', 'Deferred revenue released (SAAS)'],
      [4000, '0.00', '0.55', 'Revenue recognized (SAAS)'],
    ]);
  });

  it('refuses a KWD journal whose fils DualEntry cannot hold (it keeps 2 decimals), posting nothing of the period', async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput(base()));
    await sink.write([januaryInvoice('inv_jpy', 'JPY', 10000), januaryInvoice('inv_kwd', 'KWD', 1000)], ctx);
    const outcome = await sink.post('2026-01', { repost: false }, ctx);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({ code: 'dualentry_amount_precision', kind: 'record' });
    expect(outcome.error!.message).toMatch(
      /^period 2026-01 KWD \w+: DualEntry keeps 2 decimal places, and \d+ KWD line\(s\) need 3 \(.*4000 0\.548.*\); nothing was posted$/,
    );
    expect(outcome.error!.fix).toMatch(/sink.rounding_account/);
    expect(fake.state.entries).toEqual([]);
  });

  it('dead-letters a document whose accounting code has no account and no default', async () => {
    const lookups = { ...revrecLookups(), revrec_revenue: { values: { SAAS: '4000' } } };
    const sink = createDualEntrySink(factoryInput({ ...base(), lookups }));
    const [result] = await sink.write([annualInvoice('inv_x', 1000, 'HARDWARE')], sinkContext());
    expect(result).toMatchObject({ status: 'failed' });
    expect(result!.status === 'failed' && result!.error.message).toMatch(/accounting code "HARDWARE": lookups.revrec_revenue has no such key and no default/);
  });

  it('dead-letters a document in a currency ISO 4217 does not list, schedules nothing for it, and posts the rest', async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput(base()));
    const inCurrency = (id: string, currency: string) =>
      documentRecord(id, {
        kind: 'invoice',
        date: at(2026, 1, 15),
        currency,
        lines: [{ id: 'l', amount: 10000, date_from: at(2026, 1, 15), date_to: at(2026, 2, 15), accounting_code: 'SAAS' }],
      });
    const results = await sink.write([inCurrency('inv_xyz', 'XYZ'), inCurrency('inv_gold', 'xau'), inCurrency('inv_usd', 'USD')], ctx);
    expect(results.map((r) => r.status)).toEqual(['failed', 'failed', 'created']);
    const [unknown, gold] = results.map((r) => (r.status === 'failed' ? r.error : undefined));
    expect(unknown).toMatchObject({ code: 'unknown_currency', kind: 'record', details: { currency: 'XYZ', field: 'currency' } });
    expect(unknown!.message).toMatch(/^record inv_xyz: unknown currency code 'XYZ'/);
    expect(unknown!.fix).toMatch(/currency code/);
    expect(gold).toMatchObject({ code: 'unknown_currency', details: { currency: 'XAU' } });

    // Only the USD document reached the schedule: January posts one USD entry and nothing else.
    const outcome = await sink.post('2026-01', { repost: false }, ctx);
    expect(outcome.entries.map((e) => [e.currency, e.amount])).toEqual([['USD', '154.84']]);
    expect(fake.state.entries.map((e) => e.currency_iso_4217_code)).toEqual(['USD']);
  });
});

describe('DualEntry sink: the four posting errors', () => {
  it('API key authentication failed: names the fix, fails open(), and leaves the batch in retry', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput({ ...base(), apiKey: 'revoked-key-123' }));
    let opened: unknown;
    await sink.open!(sinkContext(kv)).catch((e: unknown) => (opened = e));
    expect(isLedgersyncError(opened) && opened.kind).toBe('auth');
    expect(isLedgersyncError(opened) && opened.fix).toMatch(/Settings → Developers → API Keys/);

    await sink.write([annualInvoice()], sinkContext(kv));
    const outcome = await sink.post('2026-01', { repost: false }, sinkContext(kv));
    expect(outcome.error).toMatchObject({ code: 'dualentry_auth_failed', kind: 'auth' });
    expect(outcome.error!.message).toMatch(/API key authentication failed \(HTTP 403/);
    expect(sink.status(sinkContext(kv)).retry).toMatchObject({ period: '2026-01', code: 'dualentry_auth_failed', attempts: 1 });
    expect(JSON.stringify(sink.status(sinkContext(kv)))).not.toContain('revoked-key-123');

    const fixed = createDualEntrySink(factoryInput(base()));
    expect((await fixed.post('2026-01', { repost: false }, sinkContext(kv))).status).toBe('posted');
    expect(fixed.status(sinkContext(kv)).retry).toBeUndefined();
  });

  it('a missing key answers 401 and reads the same; an empty key is refused before any request', async () => {
    const response = await fetch(`${fake.url}/public/v2/companies/${fake.companyId}/`);
    expect(response.status).toBe(401);
    const text = await response.text();
    const error = describeDualEntryError(
      { status: 401, headers: response.headers, url: response.url, text, json: <T>() => JSON.parse(text) as T },
      { method: 'GET', path: `/public/v2/companies/${fake.companyId}/` },
      fake.companyId,
    );
    expect(error).toMatchObject({ code: 'dualentry_auth_failed', kind: 'auth' });
    expect(error.message).toBe('DualEntry API key authentication failed (HTTP 401: __all__: Authentication credentials were not provided.)');
    expect(error.fix).toMatch(/Settings → Developers → API Keys/);

    let thrown: unknown;
    try {
      createDualEntrySink(factoryInput({ ...base(), apiKey: ' ' }));
    } catch (e) {
      thrown = e;
    }
    expect(isLedgersyncError(thrown) && thrown.code).toBe('dualentry_api_key_missing');
    expect(isLedgersyncError(thrown) && thrown.fix).toMatch(/DUALENTRY_API_KEY/);
    expect(fake.state.requests).toHaveLength(1);
  });

  it('company not found: the company_id does not exist or the key cannot reach it', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput({ ...base(), companyId: 999 }));
    await sink.write([annualInvoice()], sinkContext(kv));
    const outcome = await sink.post('2026-01', { repost: false }, sinkContext(kv));
    expect(outcome.error).toMatchObject({ code: 'dualentry_company_not_found', kind: 'config' });
    expect(outcome.error!.message).toMatch(/company 999 not found/);
    expect(outcome.error!.fix).toMatch(/Companies in DualEntry .* sink.company_id .* no access/);
    expect(posts()).toHaveLength(0);
  });

  it('account not found: names the mapping and the Chargebee accounting code to remap, before any POST', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput({ ...base(), lookups: revrecLookups({ SAAS: '4999' }) }));
    await sink.write([annualInvoice()], sinkContext(kv));
    const outcome = await sink.post('2026-01', { repost: false }, sinkContext(kv));
    expect(outcome.error).toMatchObject({ code: 'dualentry_account_not_found' });
    expect(outcome.error!.message).toBe(
      `DualEntry account 4999 not found in company ${fake.companyId}; it is what lookups.revrec_revenue.values["SAAS"] (revenue, Chargebee accounting code "SAAS") points at`,
    );
    expect(outcome.error!.fix).toMatch(/^remap lookups.revrec_revenue.values\["SAAS"\] in the pipeline's lookups/);
    expect(posts()).toHaveLength(0);

    fake.archiveAccount(2400);
    const other = createDualEntrySink(factoryInput(base()));
    const archived = await other.post('2026-01', { repost: false }, sinkContext(kv));
    expect(archived.error!.message).toMatch(
      /account 2400 is archived .* lookups.revrec_deferred.default \(deferred revenue, Chargebee accounting code "SAAS"\)/,
    );
  });

  it('account not found on the POST itself (archived between check and post) is explained the same way', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput(base()));
    await sink.write([annualInvoice()], sinkContext(kv));
    const originalFind = fake.state.accounts.find.bind(fake.state.accounts);
    // Archive 4000 right after the preflight listed it as active.
    let listed = false;
    fake.state.accounts.find = ((...args: Parameters<typeof originalFind>) => {
      if (listed) fake.archiveAccount(4000);
      return originalFind(...args);
    }) as typeof fake.state.accounts.find;
    listed = true;
    const outcome = await sink.post('2026-01', { repost: false }, sinkContext(kv));
    expect(outcome.error).toMatchObject({ code: 'dualentry_account_not_found' });
    expect(outcome.error!.message).toMatch(/account 4000 not found .*lookups.revrec_revenue.values\["SAAS"\]/);
  });

  it('period is locked: names the period, stays in retry, blocks later periods, and posts once reopened', async () => {
    const kv = memoryKv();
    fake.lockPeriod('2026-01');
    const sink = createDualEntrySink(factoryInput(base()), { now: () => at(2026, 3, 10) });
    await sink.write([annualInvoice()], sinkContext(kv));
    // The rest of the run went through: the period waits in retry, reported, not thrown (exit 1, like a dead letter).
    const closed = await sink.close!(sinkContext(kv));
    expect(closed).toMatchObject({ waiting: [{ subject: 'DualEntry period 2026-01', error: { code: 'dualentry_period_locked' } }] });
    const [locked] = sink.lastAutomaticPostings;
    expect(locked!.error!.message).toMatch(/^DualEntry period 2026-01 is locked: the entry dated 2026-01-31 falls inside a closed accounting period/);
    expect(locked!.error!.fix).toMatch(/reopen 2026-01 under Period locking in DualEntry, or change revenue_recognition.entry_date/);
    expect(sink.lastAutomaticPostings).toHaveLength(1); // February waits behind January
    expect(sink.status(sinkContext(kv)).retry).toMatchObject({ period: '2026-01', code: 'dualentry_period_locked' });

    // Still locked on the next run: the attempt count grows.
    const again = createDualEntrySink(factoryInput(base()), { now: () => at(2026, 3, 11) });
    expect((await again.close!(sinkContext(kv)))?.waiting?.[0]?.error.message).toMatch(/locked/);
    expect(again.status(sinkContext(kv)).retry!.attempts).toBe(2);

    fake.reopenPeriod('2026-01');
    const reopened = createDualEntrySink(factoryInput(base()), { now: () => at(2026, 3, 12) });
    await reopened.close!(sinkContext(kv));
    expect(reopened.lastAutomaticPostings.map((o) => [o.period, o.status])).toEqual([
      ['2026-01', 'posted'],
      ['2026-02', 'posted'],
    ]);
    expect(reopened.status(sinkContext(kv)).retry).toBeUndefined();
    expect(fake.state.entries.map((e) => e.date)).toEqual(['2026-01-31', '2026-02-28']);
  });
});

describe('status and the example pipeline', () => {
  it('shows periods, entries and the batch in retry for ledgersync status', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput(base()));
    await sink.write([annualInvoice()], sinkContext(kv));
    await sink.post('2026-01', { repost: false }, sinkContext(kv));
    fake.lockPeriod('2026-02');
    await sink.post('2026-02', { repost: false }, sinkContext(kv));
    const lines = formatRevrecStatus(revrecStatus(kv));
    expect(lines[1]).toMatch(/^ {2}RETRY 2026-02: \[dualentry_period_locked\] DualEntry period 2026-02 is locked.* — fix: reopen 2026-02 under Period locking/);
    expect(lines[2]).toMatch(/^ {2}2026-01 {2}posted {3}journal #1 USD 1301.92 dated 2026-01-31$/);
    expect(lines[3]).toMatch(/^ {2}2026-02 {2}open/);
  });

  it('a wrong revenue_recognition block is a config problem at its line', async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const example = `${dualEntryDescriptor().dir}/../../pipelines/examples/chargebee-revrec-to-dualentry.yaml`;
    const file = `${mkdtempSync(`${tmpdir()}/revrec-`)}/bad.yaml`;
    writeFileSync(file, readFileSync(example, 'utf8').replace('  period: month\n', '  period: week\n'));
    const { problems } = await loadPipeline(file, { mode: 'validate', env: {}, connectorsDir: installedConnectors.descriptorsDir });
    expect(problems.map((p) => [p.path, p.line])).toContainEqual(['/revenue_recognition/period', 43]);
  });

  it('the example pipeline validates without problems', async () => {
    const { plan, problems } = await loadPipeline(`${dualEntryDescriptor().dir}/../../pipelines/examples/chargebee-revrec-to-dualentry.yaml`, {
      mode: 'validate',
      env: {},
      connectorsDir: installedConnectors.descriptorsDir,
    });
    expect(problems).toEqual([]);
    expect(plan?.extensions['revenue_recognition']).toMatchObject({ period: 'month', close_after_days: 5 });
  });
});

describe('DualEntry sink: quarters and ready-made journals', () => {
  it('posts quarterly periods dated the quarter end', async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput({ ...base(), extensions: { revenue_recognition: { ...revrecBlock, period: 'quarter' } } }));
    await sink.write([annualInvoice()], ctx);
    expect((await sink.post('2026-Q1', { repost: false }, ctx)).status).toBe('posted');
    const entry = fake.state.entries[0]!;
    expect(entry.date).toBe('2026-03-31');
    expect(entry.items.find((i) => i.account_number === 4000)?.credit).toBe('295.89');
    await expect(sink.post('2026-04', { repost: false }, ctx)).rejects.toThrow(/expected a quarter like "2026-Q4", received "2026-04"/);
  });

  it('reverses a posted journal whose record is deleted, once, and skips one never posted', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput({ ...base(), extensions: {} }));
    const journal = (action: 'upsert' | 'delete', id = 'J-1') => ({
      stream: 'export',
      object: 'journal_entry',
      sourceId: id,
      deleted: false,
      action,
      contentHash: action,
      data: {
        date: '2026-10-31',
        memo: `RevRec ${id}`,
        currency: 'USD',
        lines: [
          { account_number: '2400', debit: '10.00' },
          { account_number: '4000', credit: '10.00' },
        ],
      },
    });
    expect(await sink.write([journal('upsert')], sinkContext(kv))).toMatchObject([{ status: 'created' }]);
    expect(await sink.write([journal('delete'), journal('delete', 'J-2')], sinkContext(kv))).toMatchObject([{ status: 'updated' }, { status: 'skipped' }]);
    expect(await sink.write([journal('delete')], sinkContext(kv))).toMatchObject([{ status: 'skipped', reason: 'already reversed' }]);
    expect(fake.state.entries.map((e) => [e.memo.replace(/ \[.*\]$/, ''), e.items[0]!.debit, e.items[0]!.credit])).toEqual([
      ['RevRec J-1', '10.00', '0.00'],
      ['Reversal of RevRec J-1', '0.00', '10.00'],
    ]);
    // Deleting the revrec block leaves documents unschedulable, with a message that says so.
    const [result] = await sink.write([annualInvoice()], sinkContext(kv));
    expect(result!.status === 'failed' && result!.error.code).toBe('revenue_recognition_missing');
  });
});

describe('DualEntry sink: ready-made journals in 3-decimal currencies', () => {
  it('posts a KWD journal whose third decimals are 0, and dead-letters one DualEntry cannot hold, sending nothing for it', async () => {
    const sink = createDualEntrySink(factoryInput({ ...base(), extensions: {} }));
    const journal = (id: string, amount: string) =>
      kwdJournal(id, [
        { account_number: '2400', debit: amount },
        { account_number: '4000', credit: amount },
      ]);
    const [exact, inexact] = await sink.write([journal('J-KWD-1', '12.340'), journal('J-KWD-2', '12.345')], sinkContext(memoryKv()));
    expect(exact).toMatchObject({ status: 'created' });
    expect(inexact).toMatchObject({ status: 'failed', error: { code: 'dualentry_amount_precision', kind: 'record' } });
    expect(inexact!.status === 'failed' && inexact!.error.message).toBe(
      'journal J-KWD-2: DualEntry keeps 2 decimal places, and 2 KWD line(s) need 3 (2400 12.345, 4000 12.345); nothing was posted',
    );
    expect(fake.state.entries.map((e) => e.items.map((i) => [i.debit, i.credit]))).toEqual([
      [
        ['12.34', '0.00'],
        ['0.00', '12.34'],
      ],
    ]);
  });

  it('with a rounding account, posts each line at 2 decimals and the difference rounding made on that account', async () => {
    const sink = createDualEntrySink(factoryInput({ ...base(), extensions: {}, connection: { rounding_account: '7990' } }));
    const [result] = await sink.write(
      [
        kwdJournal('J-KWD-3', [
          { account_number: '2400', debit: '12.345' },
          { account_number: '4000', credit: '6.172' },
          { account_number: '4010', credit: '6.173' },
        ]),
      ],
      sinkContext(memoryKv()),
    );
    expect(result).toMatchObject({ status: 'created' });
    expect(fake.state.entries.map((e) => e.items.map((i) => [i.account_number, i.debit, i.credit, i.memo]))).toEqual([
      [
        [2400, '12.35', '0.00', expect.any(String)],
        [4000, '0.00', '6.17', expect.any(String)],
        [4010, '0.00', '6.17', expect.any(String)],
        [7990, '0.00', '0.01', "Rounding to DualEntry's 2 decimal places"],
      ],
    ]);
  });
});

describe('DualEntry sink: posting options', () => {
  it('automatic_posting false leaves closed periods to ledgersync post', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput({ ...base(), extensions: { revenue_recognition: { ...revrecBlock, automatic_posting: false } } }), {
      now: () => at(2026, 6, 1),
    });
    await sink.write([annualInvoice()], sinkContext(kv));
    await sink.close!(sinkContext(kv));
    expect(fake.state.entries).toHaveLength(0);
    expect((await sink.post('2026-01', { repost: false }, sinkContext(kv))).status).toBe('posted');
  });

  it('first_period leaves earlier periods to the opening balances and posts from there', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput({ ...base(), extensions: { revenue_recognition: { ...revrecBlock, first_period: '2026-03' } } }), {
      now: () => at(2026, 4, 2),
    });
    await sink.write([annualInvoice()], sinkContext(kv));
    await sink.close!(sinkContext(kv));
    expect(sink.lastAutomaticPostings.map((o) => o.period)).toEqual(['2026-03']);
    // March carries only March's recognition: the billing in January is in the opening balances.
    expect(fake.state.entries[0]!.items.map((i) => [i.account_number, i.debit, i.credit])).toEqual([
      [2400, '101.92', '0.00'],
      [4000, '0.00', '101.92'],
    ]);
    await expect(sink.post('2026-02', { repost: false }, sinkContext(kv))).rejects.toThrow(/before revenue_recognition.first_period \(2026-03\)/);
  });

  it('sends draft entries when the pipeline asks for drafts', async () => {
    const ctx = sinkContext();
    const sink = createDualEntrySink(factoryInput({ ...base(), recordStatus: 'draft' }));
    await sink.write([annualInvoice()], ctx);
    await sink.post('2026-01', { repost: false }, ctx);
    expect(fake.state.entries[0]!.record_status).toBe('draft');
  });
});
