/**
 * The mapping fingerprint: what a stream's output depends on, found by walking its expressions, and
 * nothing else — so editing a table another stream reads, or a connection URL, is not a mapping edit.
 */
import { DEFAULT_MAPPING_LIMITS } from '../../../engine/transform/budget.js';
import { describe, expect, it } from 'vitest';
import type { CompiledExpression, LookupTable, Plan, StreamPlan } from '../../../engine/config/plan.js';
import type { ConnectorDescriptor } from '../../../engine/connector/descriptor.js';
import { changedParts, streamFingerprint, streamReads } from '../../../engine/transform/fingerprint.js';

const position = { file: 'p.yaml', line: 1, column: 1 };

function expr(source: string): CompiledExpression {
  return { source, position, path: '/streams/0/mapping/expression', evaluate: async () => undefined, engine: { kind: 'compiled' } };
}

function stream(source: string, extra: Partial<StreamPlan> = {}): StreamPlan {
  const expression = expr(source);
  return {
    name: 'invoices',
    endpoint: 'invoices',
    params: {},
    lookbackSeconds: 0,
    mapping: { kind: 'expression', expression },
    target: { object: 'Invoice', key: 'DocNumber' },
    position,
    limits: DEFAULT_MAPPING_LIMITS,
    ...extra,
  };
}

function table(name: string, values: Record<string, unknown>, fallback?: unknown): LookupTable {
  return { name, description: '', values, ...(fallback !== undefined ? { default: fallback } : {}), hasDefault: fallback !== undefined, position };
}

const sinkDescriptor = {
  name: 'memory',
  connection: {
    properties: { record_status: { description: 'x', shapes_payload: true }, base_url: { description: 'x' }, api_key: { description: 'x', secret: true } },
  },
} as unknown as ConnectorDescriptor;

function plan(overrides: Partial<Plan> = {}, sinkConfig: Record<string, unknown> = {}): Plan {
  return {
    file: 'p.yaml',
    dir: '.',
    name: 'p',
    limits: DEFAULT_MAPPING_LIMITS,
    description: '',
    timezone: 'UTC',
    source: { config: { connector: 'chargebee' }, descriptor: {} as ConnectorDescriptor },
    sink: {
      config: { connector: 'memory', record_status: 'posted', base_url: 'http://127.0.0.1:1', api_key: 'k1', ...sinkConfig },
      descriptor: sinkDescriptor,
    },
    options: { home: 'USD', fallback: true, unrelated: 1 },
    lookups: { accounts: table('accounts', { SAAS: '80' }), methods: table('methods', { card: '3' }, '4') },
    streams: [],
    extensions: {},
    ...overrides,
  };
}

const MAPPING = '{ "DocNumber": id, "Account": $lookup("accounts", code), "Home": $options.home, "Fallback": $options.`fallback` }';

describe('what a stream reads', () => {
  it('finds literal $lookup tables and $options.<name> paths, and nothing the expression does not name', () => {
    const reads = streamReads(stream(MAPPING));
    expect([...reads.lookups]).toEqual(['accounts']);
    expect([...reads.options].sort()).toEqual(['fallback', 'home']);
    expect(reads.anyLookup).toBe(false);
    expect(reads.anyOption).toBe(false);
  });

  it('counts every table or option when the expression uses $lookup or $options in a way it cannot follow', () => {
    expect(streamReads(stream('$lookup(table_name, code)')).anyLookup).toBe(true);
    expect(streamReads(stream('$map(codes, function($c) { $lookup("accounts", $c) }) ~> $f($lookup)')).anyLookup).toBe(true);
    expect(streamReads(stream('$keys($options)')).anyOption).toBe(true);
    expect(streamReads(stream('$options[0]')).anyOption).toBe(true);
  });

  it('reads the filter and every field of a fields mapping', () => {
    const withFields: StreamPlan = {
      ...stream('', { filter: expr('$options.home = "USD"') }),
      mapping: { kind: 'fields', fields: [{ name: 'Method', expression: expr('$lookup("methods", m)') }] },
    };
    const reads = streamReads(withFields);
    expect([...reads.lookups]).toEqual(['methods']);
    expect([...reads.options]).toEqual(['home']);
  });
});

describe('streamFingerprint', () => {
  const invoices = stream(MAPPING);

  it('is stable for the same plan, and ignores tables, options and settings the stream does not read', () => {
    const base = streamFingerprint(plan(), invoices).fingerprint;
    expect(streamFingerprint(plan(), invoices).fingerprint).toBe(base);
    expect(streamFingerprint(plan({ options: { home: 'USD', fallback: true, unrelated: 2 } }), invoices).fingerprint).toBe(base);
    expect(streamFingerprint(plan({ lookups: { ...plan().lookups, methods: table('methods', { card: '9' }, '4') } }), invoices).fingerprint).toBe(base);
    // Where the target is and the credentials used do not shape what is written.
    expect(streamFingerprint(plan({}, { base_url: 'http://127.0.0.1:2', api_key: 'k2' }), invoices).fingerprint).toBe(base);
  });

  it('changes with the expression text, an option or a lookup value it reads, the timezone, a payload setting or a connector block', () => {
    const base = streamFingerprint(plan(), invoices);
    const variants: Array<[string, Plan, StreamPlan]> = [
      ['mapping', plan(), stream(MAPPING.replace('"DocNumber"', '"DocNum"'))],
      ['options.home', plan({ options: { home: 'EUR', fallback: true, unrelated: 1 } }), invoices],
      ['lookups.accounts', plan({ lookups: { ...plan().lookups, accounts: table('accounts', { SAAS: '81' }) } }), invoices],
      ['lookups.accounts', plan({ lookups: { ...plan().lookups, accounts: table('accounts', { SAAS: '80' }, '79') } }), invoices],
      ['timezone', plan({ timezone: 'Europe/Paris' }), invoices],
      ['sink settings', plan({}, { record_status: 'draft' }), invoices],
      ['sink settings', plan({ extensions: { revenue_recognition: { period: 'month' } } }), invoices],
      ['mapping', plan(), { ...invoices, target: { object: 'CreditMemo', key: 'DocNumber' } }],
    ];
    for (const [part, p, s] of variants) {
      const changed = streamFingerprint(p, s);
      expect(changed.fingerprint, part).not.toBe(base.fingerprint);
      expect(changedParts(base.components, changed.components), part).toEqual([part]);
    }
  });

  it('an option the stream reads but the pipeline does not set is part of it: setting it later is a change', () => {
    const reading = stream('{ "x": $options.later }');
    const before = streamFingerprint(plan(), reading);
    const after = streamFingerprint(plan({ options: { ...plan().options, later: 'y' } }), reading);
    expect(changedParts(before.components, after.components)).toEqual(['options.later']);
  });
});
