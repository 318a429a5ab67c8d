/**
 * One naming convention for every `--json` output: snake_case keys. TypeScript objects are
 * camelCase; reports built from them (a command's summary, an error's details) pass through here.
 */

/** `apiCalls` → `api_calls`, `sourceId` → `source_id`; a key already in snake_case is kept. */
export function snakeCaseKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** A copy with every key of every plain object snake_cased, at any depth; values are kept. */
export function withSnakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSnakeCaseKeys);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snakeCaseKey(k), withSnakeCaseKeys(v)]));
}
