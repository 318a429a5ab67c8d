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

function strip(value: unknown): unknown {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = strip(item);
      if (next !== item) {
        copy ??= value.slice();
        copy[i] = next;
      }
    });
    return copy ?? value;
  }
  if (value === null || typeof value !== 'object') return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    if (item === null) {
      copy ??= { ...(value as Record<string, unknown>) };
      delete copy[key];
      continue;
    }
    const next = strip(item);
    if (next !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      setOwn(copy, key, next);
    }
  }
  return copy ?? value;
}
