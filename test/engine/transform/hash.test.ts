import { describe, expect, it } from 'vitest';
import { canonicalOfMapped, contentHash, hashOfCanonical, stableStringify } from '../../../engine/transform/hash.js';

describe('content hashes', () => {
  it('writes keys sorted at every level and leaves undefined out, so key order does not change the hash', () => {
    expect(stableStringify({ b: 1, a: [{ d: 'x', c: null }, undefined], e: undefined })).toBe('{"a":[{"c":null,"d":"x"},null],"b":1}');
    expect(contentHash({ x: 1, y: { b: 2, a: 1 } })).toBe(contentHash({ y: { a: 1, b: 2 }, x: 1 }));
    expect(contentHash({ x: 1 })).not.toBe(contentHash({ x: 2 }));
    // Integer-like keys come first and in numeric order from Object.keys; the text sorts them as strings.
    expect(stableStringify({ 9: 'a', 10: 'b', a: 1 })).toBe('{"10":"b","9":"a","a":1}');
    expect(stableStringify({ a: { y: 1, x: 2 }, b: { x: 1, y: 2 } })).toBe('{"a":{"x":2,"y":1},"b":{"x":1,"y":2}}');
  });

  it('builds the canonical text of a mapped record from its data text alone, equal to serialising the whole record', () => {
    const records = [
      { object: 'invoices', action: 'upsert', data: { id: 'in_1', total: '10.00', lines: [{ b: 2, a: 'é"\\' }] } },
      { object: 'journal "entry"', action: 'void', data: {} },
      { object: 'x', action: 'delete', data: { nested: { z: null, a: [1, 'two', true] } } },
    ];
    for (const { object, action, data } of records) {
      const canonical = canonicalOfMapped(object, action, stableStringify(data));
      expect(canonical).toBe(stableStringify({ data, object, action }));
      // The hashes stored in existing ledgers stay valid: nothing is written again after an upgrade.
      expect(hashOfCanonical(canonical)).toBe(contentHash({ object, action, data }));
    }
  });
});
