/**
 * Fields a mapping sends empty to clear them. QuickBooks updates are sparse (a field left out keeps
 * its value), so a value removed at the source must be sent empty: `""` for text, an aggregate whose
 * parts are all `""` (`PrimaryEmailAddr: { Address: "" }`, an address of empty lines). Intuit's SDKs
 * never send JSON null (Java: Include.NON_NULL; .NET: NullValueHandling.Ignore), so empty text is
 * the one "no value" QuickBooks is sent; it holds no empty value, and answers without the field.
 */

/** Whether a value is empty text, or an object of nothing but empty text (at any depth). */
export function isCleared(value: unknown): boolean {
  if (value === '') return true;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const parts = Object.values(value).filter((part) => part !== undefined && part !== null);
  return parts.length > 0 && parts.every(isCleared);
}

/**
 * A create's body without its cleared fields: a new document has nothing to clear, and an email
 * or address of empty parts is noise at best. Arrays keep every element (a line's position counts).
 */
export function withoutClearedFields<T>(body: T): T {
  if (!body || typeof body !== 'object') return body;
  if (Array.isArray(body)) return body.map((item: unknown) => withoutClearedFields(item)) as T;
  const kept = Object.entries(body as Record<string, unknown>).filter(([, value]) => !isCleared(value));
  return Object.fromEntries(kept.map(([key, value]) => [key, withoutClearedFields(value)])) as T;
}
