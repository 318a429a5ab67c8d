/**
 * `$digest(text, n)`: the first n hex digits of the SHA-256 of the text, for a key a target must find
 * again that would not fit its field whole (a composite of two document numbers). Same text, same
 * digest, on every run and on both engines; a length out of range or several values is an
 * `invalid_argument` record error, never a silently different key.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digest } from '../../../engine/transform/bindings.js';
import { mapRecord, streamIsCompiled } from '../../../engine/transform/mapper.js';
import { bindingsFor, ENGINES, oneStream, settled } from '../../support/one-stream.js';

const invoice = { id: 'inv_1', deleted: false, data: { id: 'CN-2025-000045', invoice_id: 'INV-2025-000123', lines: [{ n: 'a' }, { n: 'b' }] } };

async function mapped(expression: string, engine: (typeof ENGINES)[number][1]) {
  const { stream, plan } = await oneStream(expression);
  return settled(mapRecord(engine(stream), invoice, bindingsFor(plan, {})));
}

describe('$digest', () => {
  it('is the first n lowercase hex digits of the SHA-256 of the text’s UTF-8 bytes', () => {
    const text = 'CN-2025-000045>INV-2025-000123';
    expect(digest(text, 20)).toBe(createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 20));
    expect(digest(text, 20)).toMatch(/^[0-9a-f]{20}$/);
    // A known value, so a change of algorithm or encoding (which would re-key every record built with it) fails here.
    expect(digest('abc', 16)).toBe('ba7816bf8f01cfea');
    expect(digest('é', 8)).toBe(createHash('sha256').update('é', 'utf8').digest('hex').slice(0, 8));
    expect(digest(12345, 64)).toBe(createHash('sha256').update('12345').digest('hex'));
  });

  it('tells apart texts that differ in one character, and keeps an absent value absent', () => {
    expect(digest('CN-1>INV-2', 20)).not.toBe(digest('CN-1>INV-3', 20));
    expect(digest(undefined, 20)).toBeUndefined();
    expect(digest(null, 20)).toBeUndefined();
  });

  it('refuses a length that is not a whole number from 1 to 64, or a value that is not one text', () => {
    for (const bad of [0, 65, 2.5, 'x', undefined]) expect(() => digest('a', bad)).toThrow(/\$digest\(\) length must be a whole number from 1 to 64/);
    expect(() => digest(['a', 'b'], 8)).toThrow(/\$digest\(\) takes one text/);
    expect(() => digest({ a: 1 }, 8)).toThrow(/\$digest\(\) takes one text/);
  });
});

describe.each(ENGINES)('%s: $digest in a mapping', (_name, engine) => {
  it('gives the same key on every run, and a key of the length asked', async () => {
    const expression = '{ "id": id, "key": $digest(id & ">" & invoice_id, 20) }';
    const first = await mapped(expression, engine);
    const second = await mapped(expression, engine);
    expect(first).toMatchObject({ kind: 'mapped', records: [{ data: { key: digest('CN-2025-000045>INV-2025-000123', 20) } }] });
    expect(second).toEqual(first);
  });

  it('compiles (the compiler calls the helper directly, as it does $truncate)', async () => {
    const { stream } = await oneStream('{ "id": id, "key": $digest(id, 8) }');
    expect(streamIsCompiled(stream)).toBe(true);
  });

  it('several values is an invalid_argument record error with the fix', async () => {
    const out = await mapped('{ "id": id, "key": $digest(lines.n, 8) }', engine);
    expect(out).toMatchObject({ error: 'invalid_argument', message: expect.stringContaining('$digest() takes one text') });
  });
});
