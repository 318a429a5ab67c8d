import { hash as oneShotHash } from 'node:crypto';

/** Keys as JSON strings, quoted once: mapped records repeat the same few keys on every record. */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_KEPT = 4096;

function quoted(key: string): string {
  let text = quotedKeys.get(key);
  if (text === undefined) {
    text = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEYS_KEPT) quotedKeys.set(key, text);
  }
  return text;
}

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
  const keys = Object.keys(record);
  // Sorting is skipped for objects already in order (nested records often are).
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += quoted(key) + ':' + stableStringify(item);
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
  return sha256Hex(canonical).slice(0, 32);
}

/** sha256 of a text's UTF-8 bytes, in hex. One call, no Hash object: several run for every record written. */
export function sha256Hex(text: string): string {
  return oneShotHash('sha256', text, 'hex');
}
