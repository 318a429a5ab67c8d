/** Small checks and conversions the entity rules share. */
import { currencyDecimals, roundUnits, unitsToText } from './decimal.js';
import type { PlainRecord } from './openapi.js';
import { type FieldErrors, label, type TenantContext } from './tenant.js';

export function text(record: PlainRecord, field: string): string | undefined {
  const value = record[field];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function units(record: PlainRecord, field: string): bigint | undefined {
  const value = record[field];
  return typeof value === 'bigint' ? value : undefined;
}

export function rows(record: PlainRecord, field: string): PlainRecord[] {
  const value = record[field];
  return Array.isArray(value) ? value : [];
}

export function required(record: PlainRecord, field: string, errors: FieldErrors, path = field): string | undefined {
  const value = text(record, field);
  if (value === undefined) errors[path] = `'${label(field)}' cannot be empty.`;
  return value;
}

/** A segmented key (an AccountCD…) longer than its segments is refused, as the dimension's mask does. */
export function maxLength(record: PlainRecord, field: string, length: number, errors: FieldErrors, path = field): void {
  const value = record[field];
  if (typeof value === 'string' && [...value].length > length) errors[path] = `${label(field)} '${value}' is too long: at most ${length} characters.`;
}

/**
 * A plain text field (PXDBString(length)) as PXStringAttribute.FieldUpdating stores it: trailing
 * white space dropped, and a longer value cut to the length without an error (`Substring(0,
 * _Length)`, so in UTF-16 code units).
 */
export function trimToLength(record: PlainRecord, field: string, length: number): void {
  const value = record[field];
  if (typeof value === 'string') record[field] = value.trimEnd().slice(0, length);
}

export function oneOf(record: PlainRecord, field: string, allowed: readonly string[], errors: FieldErrors, path = field): void {
  const value = text(record, field);
  if (value !== undefined && !allowed.includes(value)) errors[path] = `${label(field)} '${value}' is not one of ${allowed.map((a) => `'${a}'`).join(', ')}.`;
}

export function notFound(field: string, value: string): string {
  return `${label(field)} '${value}' cannot be found in the system.`;
}

/**
 * Checks that `record[field]` names an existing, active record of `entity` (by its key `keyField`)
 * and rewrites it the way the tenant stores it (segmented keys upper case). Returns the record.
 */
export function reference(
  record: PlainRecord,
  field: string,
  entity: string,
  keyField: string,
  ctx: TenantContext,
  errors: FieldErrors,
  path = field,
): PlainRecord | undefined {
  const value = text(record, field);
  if (value === undefined) return undefined;
  const found = ctx.lookup(entity, { [keyField]: value });
  if (!found) {
    errors[path] = notFound(field, value);
    return undefined;
  }
  if (found['Active'] === false) {
    errors[path] = `${label(field)} '${String(found[keyField])}' is inactive.`;
    return undefined;
  }
  record[field] = found[keyField] as string;
  return found;
}

export function enabledCurrency(record: PlainRecord, field: string, ctx: TenantContext, errors: FieldErrors, path = field): string {
  const currency = (text(record, field) ?? ctx.config.baseCurrency).toUpperCase();
  if (!ctx.config.currencies.includes(currency)) errors[path] = notFound(field, currency);
  record[field] = currency;
  return currency;
}

/** Rounds an amount field to the currency's precision, as Acumatica stores it, and notes the change. */
export function roundAmount(record: PlainRecord, field: string, currency: string, ctx: TenantContext, entity: string, path = field): bigint {
  const value = units(record, field) ?? 0n;
  const rounded = roundUnits(value, currencyDecimals(currency));
  if (rounded !== value) ctx.noteRounding({ entity, path, sent: unitsToText(value), stored: unitsToText(rounded) });
  record[field] = rounded;
  return rounded;
}

/** A date-only field: defaulted to today, kept at midnight. */
export function documentDate(record: PlainRecord, field: string, ctx: TenantContext, fallback = ctx.today()): string {
  const value = text(record, field) ?? fallback;
  const date = `${value.slice(0, 10)}T00:00:00+00:00`;
  record[field] = date;
  return date;
}

/** The financial period of a date, as the API shows it: `MMYYYY`. */
export function postPeriod(date: string): string {
  return date.slice(5, 7) + date.slice(0, 4);
}

/** `PostPeriod` as sent, or the period of the document date; a value that is no `MMYYYY` period is refused. */
export function financialPeriod(record: PlainRecord, date: string, errors: FieldErrors): void {
  const sent = text(record, 'PostPeriod');
  if (sent !== undefined && !/^(0[1-9]|1[0-2])\d{4}$/.test(sent))
    errors['PostPeriod'] = `Financial period '${sent}' does not exist: the API takes periods as MMYYYY.`;
  record['PostPeriod'] = sent ?? postPeriod(date);
}

/** Changes to these fields of a released document are refused. */
export function releasedChanges(previous: PlainRecord, incoming: PlainRecord, editable: readonly string[], errors: FieldErrors): void {
  for (const [field, value] of Object.entries(incoming)) {
    if (field === 'id' || field === 'note' || editable.includes(field) || value === undefined) continue;
    const before = previous[field];
    const same =
      typeof value === 'string' && typeof before === 'string'
        ? value.toUpperCase() === before.toUpperCase()
        : JSON.stringify(value, bigintText) === JSON.stringify(before, bigintText);
    if (!same) {
      errors[field] = `${label(field)} cannot be changed: the document has been released.`;
    }
  }
}

function bigintText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Branches are not an entity of the Default endpoint (they are read through CompaniesStructure), so they live beside the tables. */
export function branchExists(record: PlainRecord, field: string, ctx: TenantContext, errors: FieldErrors, path = field): void {
  const value = text(record, field);
  if (value === undefined) return;
  const found = ctx.store.find(BRANCHES, (candidate) => String(candidate['BranchID']).toUpperCase() === value.toUpperCase());
  if (!found) errors[path] = notFound('Branch', value);
  else if (found['BranchStatus'] === false) errors[path] = `Branch '${String(found['BranchID'])}' is inactive.`;
  else record[field] = String(found['BranchID']);
}

/** The store's table of branches (rows of the CompaniesStructure inquiry). */
export const BRANCHES = '__Branch';
