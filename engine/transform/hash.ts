import { createHash } from 'node:crypto';

/** JSON with keys sorted at every level, so equal records hash equally whatever their key order. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i) out += ',';
      const item: unknown = value[i];
      out += item === undefined ? 'null' : stableStringify(item);
    }
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(key) + ':' + stableStringify(item);
  }
  return out + '}';
}

/**
 * `stableStringify({ object, action, data })` from the data's canonical text, without walking the
 * data again: the keys `action` < `data` < `object` are already in order.
 */
export function canonicalOfMapped(object: string, action: string, dataCanonical: string): string {
  return `{"action":${JSON.stringify(action)},"data":${dataCanonical},"object":${JSON.stringify(object)}}`;
}

export function contentHash(value: unknown): string {
  return hashOfCanonical(stableStringify(value));
}

/** The content hash of a value already written by `stableStringify`. */
export function hashOfCanonical(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}
