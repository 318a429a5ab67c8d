/** A mapping case passes only when the mapping does what it says, and a failure says exactly where. */
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../engine/config/load.js';
import { parseCases } from '../../../engine/config/cases.js';
import { differences, runMappingCase, type CaseResult } from '../../../engine/run/mapping-test.js';
import { JSONL_PIPELINE } from '../../e2e/helpers.js';
import { installedConnectors } from '../../../app/registry.js';

describe('differences', () => {
  it('compares the expected fields only, and lists item by item', () => {
    const actual = { id: 'inv_1', total: '30.00', lines: [{ amount: '10.00' }, { amount: '10.00' }, { amount: '10.0', memo: 'x' }] };
    expect(differences({ total: '30.00', lines: [{ amount: '10.00' }, {}, { amount: '10.00' }] }, actual)).toEqual([
      { path: ['lines', 2, 'amount'], message: 'lines[2].amount: expected "10.00", got "10.0"' },
    ]);
  });

  it('names a missing item, an extra item and a missing field', () => {
    expect(differences({ lines: [{ a: 1 }, { a: 2 }] }, { lines: [{ a: 1 }] }).map((d) => d.message)).toEqual([
      'lines: expected 2 items, got 1',
      'lines[1]: missing, expected {"a":2}',
    ]);
    expect(differences({ lines: [{ a: 1 }] }, { lines: [{ a: 1 }, { a: 9 }] }).map((d) => d.message)).toEqual([
      'lines: expected 1 item, got 2',
      'lines[1]: unexpected extra item {"a":9}',
    ]);
    expect(differences({ fax: null }, {}).map((d) => d.message)).toEqual([
      'fax: expected null, got nothing (for a field that must not be there, use expect_absent)',
    ]);
  });

  it('never takes a number for its string, nor a mapping for a list', () => {
    expect(differences({ total: '10' }, { total: 10 }).map((d) => d.message)).toEqual(['total: expected "10", got 10']);
    expect(differences({ lines: [] }, { lines: {} }).map((d) => d.message)).toEqual(['lines: expected a list of 0 items, got {}']);
    expect(differences({ address: { city: 'Paris' } }, { address: 'Paris' }).map((d) => d.message)).toEqual(['address: expected a mapping, got "Paris"']);
  });
});

describe('runMappingCase on the JSONL example', async () => {
  const { plan } = await loadPipeline(JSONL_PIPELINE, { connectorsDir: installedConnectors.descriptorsDir, mode: 'validate', env: {} });
  const streams = plan!.streams.map((s) => s.name);

  async function run(text: string): Promise<{ result: CaseResult; at: (pointer: string) => string }> {
    const loaded = parseCases(`cases:\n${text}`, 'x.cases.yaml', { streams, options: Object.keys(plan!.options), lookups: Object.keys(plan!.lookups) });
    expect(loaded.problems).toEqual([]);
    const c = loaded.cases[0]!;
    const result = await runMappingCase(plan!, c);
    return {
      result,
      at: (pointer) => {
        const p = c.positionOf(pointer);
        return `${p.line}:${p.column}`;
      },
    };
  }

  const invoice = `    input:
      id: inv_1
      date: 1700000000
      currency_code: USD
      total: 3000
      line_items:
        - { id: a, amount: 1000, date_from: 1700000000, date_to: 1700000000 }
        - { id: b, amount: 2000, date_from: 1700000000, date_to: 1700000000 }`;

  it('passes when every expectation holds, and shows the whole record', async () => {
    const { result } = await run(`  - name: ok
    stream: invoices
${invoice}
    expect: { total: "30.00", lines: [{ amount: "10.00" }, { amount: "20.00" }] }
    expect_absent: ['lines[0].tax', discount]
    expect_action: upsert
`);
    expect(result).toMatchObject({ passed: true, problems: [] });
    expect(result.output).toMatchObject({ kind: 'records', records: [{ object: 'invoices', action: 'upsert', sourceId: 'inv_1' }] });
    if (result.output.kind === 'records') expect(result.output.records[0]!.data).toMatchObject({ id: 'inv_1', date: '2023-11-14', currency: 'USD' });
  });

  it('points each failure at the expectation it broke', async () => {
    const { result, at } = await run(`  - name: wrong
    stream: invoices
${invoice}
    expect:
      total: "30.00"
      lines:
        - { amount: "10.00" }
        - { amount: "20.0" }
    expect_absent: [currency]
    expect_action: void
`);
    expect(result.passed).toBe(false);
    expect(result.mismatches.map((m) => `${at(m.pointer)} ${m.message}`)).toEqual([
      '16:13 lines[1].amount: expected "20.0", got "20.00"',
      '17:21 currency: expected absent, got "USD"',
      '18:5 expected _action void, got upsert',
    ]);
  });

  it('expect_error: the code must match, and a record that maps fails the case', async () => {
    const failing = `    stream: transactions
    input: { id: t1, date: 1700000000, currency_code: XAU, amount: 5, payment_method: card }`;
    expect((await run(`  - name: e\n${failing}\n    expect_error: unknown_currency\n`)).result.passed).toBe(true);
    const other = await run(`  - name: e\n${failing}\n    expect_error: lookup_missing\n`);
    expect(other.result.problems[0]).toMatch(/^expected error lookup_missing, got \[unknown_currency\] record t1: currency 'XAU'/);
    // A misspelt code is pointed out, next to the one the record failed with.
    const misspelt = await run(`  - name: e\n${failing}\n    expect_error: unknown_curency\n`);
    expect(misspelt.result.problems[0]).toMatch(/^expected error unknown_curency \(did you mean 'unknown_currency'\?\), got \[unknown_currency\]/);
    const mapped = await run(`  - name: e\n    stream: customers\n    input: { id: c1 }\n    expect_error: lookup_missing\n`);
    expect(mapped.result.problems).toEqual(['expected error lookup_missing, but the record mapped']);
    const unexpected = await run(`  - name: e\n${failing}\n    expect: { amount: "5" }\n`);
    expect(unexpected.result.problems[0]).toMatch(/^mapping failed: \[unknown_currency\]/);
    expect(unexpected.result.output).toMatchObject({ kind: 'error', code: 'unknown_currency' });
  });

  it('lookups: values for the case only, added to the pipeline table (its other rows and its default stay)', async () => {
    const payment = (method: string) => `    stream: transactions
    input: { id: t1, type: payment, status: success, date: 1700000000, currency_code: USD, amount: 500, payment_method: ${method} }`;
    const given = await run(
      `  - name: given\n${payment('card')}\n    lookups: { payment_methods: { card: Company card } }\n    expect: { payment_method: Company card }\n`,
    );
    expect(given.result.problems).toEqual([]);
    const kept = await run(
      `  - name: kept\n${payment('bank_transfer')}\n    lookups: { payment_methods: { card: Company card } }\n    expect: { payment_method: Bank transfer }\n`,
    );
    expect(kept.result.problems).toEqual([]);
    const plain = await run(`  - name: plain\n${payment('card')}\n    expect: { payment_method: Company card }\n`);
    expect(plain.result.problems).toEqual(['payment_method: expected "Company card", got "Credit card"']);
  });

  it('counts records: a list expects as many records as it lists', async () => {
    const { result } = await run(`  - name: two
    stream: customers
    input: { id: c1, company: Acme }
    expect: [{ name: Acme }, { name: Other }]
`);
    expect(result.problems).toEqual(['expected 2 records, got 1', '[1] missing record, expected {"name":"Other"}']);
  });

  it('expect: null passes only when nothing is written', async () => {
    const { result } = await run(`  - name: none
    stream: customers
    input: { id: c1 }
    expect: null
`);
    expect(result.problems).toEqual(['expected the record to be filtered out or skipped, got 1 record(s)']);
  });
});
