import { describe, expect, it } from 'vitest';
import { brokenReferences, type ConnectionReferenceRule } from '../../../engine/config/connection-references.js';

const rules: ConnectionReferenceRule[] = [
  { values: '/tables/*/primary_key/*', keys_of: '/tables/*/columns', what: 'column' },
  { values: '/tables/*/indexes/*/*', keys_of: '/tables/*/columns', what: 'column' },
];
const none = { isPlaceholder: () => false, name: 'sink' };

describe('connection references', () => {
  it('finds every value that names no key, binding each * of keys_of to what values matched', () => {
    const block = {
      tables: {
        a: { primary_key: ['id', 'nope'], columns: { id: {}, x: {} }, indexes: [['x'], ['id', 'y']] },
        b: { primary_key: ['x'], columns: { x: {} } },
      },
    };
    expect(brokenReferences(block, rules, none)).toEqual([
      { pointer: '/tables/a/primary_key/1', message: "'nope' is not a column declared in sink.tables.a.columns" },
      { pointer: '/tables/a/indexes/1/1', message: "'y' is not a column declared in sink.tables.a.columns (did you mean 'x'?)" },
    ]);
  });

  it('leaves alone what the schema reports (wrong shapes, non-strings) and values from unset variables', () => {
    const block = { tables: { a: { primary_key: [1, 'z'], columns: ['id'] }, b: { primary_key: ['q'], columns: { id: {} } } } };
    expect(brokenReferences(block, rules, { isPlaceholder: (p) => p === '/tables/b/primary_key/0', name: 'sink' })).toEqual([]);
    expect(brokenReferences('nothing', rules, none)).toEqual([]);
  });

  it('matches fixed segments exactly', () => {
    const block = { tables: { a: { primary_key: ['k'], columns: { id: {} } } } };
    expect(brokenReferences(block, [{ values: '/tables/b/primary_key/*', keys_of: '/tables/b/columns', what: 'column' }], none)).toEqual([]);
  });
});
