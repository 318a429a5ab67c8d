/**
 * Source records are normalised before any expression sees them: a property whose value is JSON
 * `null` is dropped, at any depth, so it reads as absent. JSONata then treats it as every example
 * mapping already treats a missing field (`[first_name, last_name]` skips it, `$join` and
 * `$substring` never receive a null, `x ? x : y` falls back), instead of throwing T0412 and
 * dead-lettering the record. Elements of arrays are kept in place (`null` stays at its index), as
 * a position can carry meaning; objects inside arrays are normalised.
 */

/**
 * Sets an own, enumerable property whatever its name: a source record's `__proto__` (or a mapped
 * field of that name) is data, where an assignment would replace the object's prototype and drop it.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** The value without null-valued properties; the same object when it holds none (no copy). */
export function withoutNullProperties<T>(value: T): T {
  return strip(value) as T;
}

// Walked for every source record: indexed loops and `Object.keys`, no entry pairs, and no call for
// a value that is not an object, since most values are strings and numbers.
function strip(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') continue;
      const next = strip(item);
      if (next !== item) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = record[key];
    if (item === null) {
      copy ??= { ...record };
      delete copy[key];
      continue;
    }
    if (typeof item !== 'object') continue;
    const next = strip(item);
    if (next !== item) {
      copy ??= { ...record };
      setOwn(copy, key, next);
    }
  }
  return copy ?? value;
}
