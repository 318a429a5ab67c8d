/**
 * The functions and values every JSONata expression of a pipeline can use. Built once per run;
 * `$deleted` is the only per-record binding.
 */
import { LedgersyncError } from '../errors.js';
import { excerpt } from '../log.js';
import type { LookupTable } from '../config/plan.js';
import { money } from '../../domain/money/money.js';
import { monthlyAmount } from '../../domain/metrics/normalise.js';
import { isoDate, isoDateTime } from './dates.js';
import { sha256Hex } from './hash.js';
import { isFunction } from './compiler/runtime.js';

/** Names bound by the engine (without `$`), for validation of expressions. */
export const BINDING_NAMES = ['options', 'lookup', 'money', 'monthly', 'date', 'datetime', 'truncate', 'digest', 'ref', 'refOrNull', 'deleted'] as const;

export interface BindingInput {
  options: Readonly<Record<string, unknown>>;
  lookups: Readonly<Record<string, LookupTable>>;
  timezone: string;
  /** Target id recorded in the ledger for a source record of a stream. */
  resolveTarget(stream: string, sourceId: string): string | undefined;
}

export function truncate(value: unknown, limit: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 0)
    throw new LedgersyncError('invalid_argument', 'record', `$truncate() limit must be a whole number, received ${JSON.stringify(limit)}`);
  // Count characters as code points so a truncated name never ends in half a surrogate pair.
  const chars = Array.from(String(value));
  return chars.length <= n ? String(value) : chars.slice(0, n).join('');
}

/** SHA-256 hex digits a digest can have. */
const DIGEST_MAX = 64;

/**
 * A short stable fingerprint of a text: the first `length` lowercase hex digits of the SHA-256 of its
 * UTF-8 bytes. The same text gives the same digest on every run and machine, so it can key a record a
 * target must find again (a composite id longer than the target's field).
 */
export function digest(value: unknown, length: unknown): string | undefined {
  const n = Number(length);
  if (!Number.isInteger(n) || n < 1 || n > DIGEST_MAX)
    throw new LedgersyncError('invalid_argument', 'record', `$digest() length must be a whole number from 1 to ${DIGEST_MAX}, received ${shown(length)}`, {
      fix: `pass the number of hex digits wanted, e.g. $digest(text, 16)`,
    });
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
    throw new LedgersyncError('invalid_argument', 'record', `$digest() takes one text, received ${shown(value)}`, {
      fix: 'join the values into one text first, e.g. $digest(id & ">" & invoice_id, 20)',
    });
  return sha256Hex(String(value)).slice(0, n);
}

/** A value as a message shows it: JSON, cut short; a function value (possibly circular) by its kind. */
function shown(value: unknown): string {
  if (isFunction(value)) return 'a function';
  try {
    return excerpt(JSON.stringify(value) ?? String(value), 80);
  } catch {
    return Array.isArray(value) ? 'an array' : 'an object';
  }
}

/**
 * The key of `$lookup` / the id of `$ref` as text. A path that matched several values (the codes of
 * an invoice's lines) arrives as an array, and String() would make it "A,B", a key no table holds:
 * with a default the record would silently take the default. Several values, an object or a
 * function are refused. A list of one value (a path that matched once, kept a list by `[]` or
 * `$sort`) is that value, and an empty list (a path that matched nothing) no key, as an absent value
 * is: `$lookup` then answers the table's default.
 */
function singleKey(value: unknown, helper: string, lookedUpIn: 'lookup table' | 'stream', name: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value === undefined || value === null) return '';
  if (Array.isArray(value) && value.length <= 1) return value.length ? singleKey(value[0], helper, lookedUpIn, name) : '';
  if (typeof value !== 'object' && typeof value !== 'function') return String(value);
  const text = shown(value);
  const what = isFunction(value) ? 'a function' : !Array.isArray(value) ? 'an object' : `${value.length} values`;
  const of = `${lookedUpIn} '${String(name)}'`;
  const noun = lookedUpIn === 'stream' ? 'id' : 'key';
  throw new LedgersyncError(
    'invalid_argument',
    'record',
    `${helper}() for ${of} was given ${what}${text === what ? '' : ` (${text})`} where one ${noun} belongs`,
    {
      fix: 'pass one value: map one line at a time, e.g. inside line_items.( … ), or pick one (e.g. line_items[0].…)',
      details: { helper, of, value: text },
    },
  );
}

export function createBindings(input: BindingInput): Record<string, unknown> {
  const lookup = (table: unknown, key: unknown): unknown => {
    const t = input.lookups[String(table)];
    if (!t) throw new LedgersyncError('unknown_lookup_table', 'config', `lookup table '${String(table)}' is not declared under lookups:`);
    const k = singleKey(key, '$lookup', 'lookup table', t.name);
    if (Object.hasOwn(t.values, k)) return t.values[k];
    if (t.hasDefault) return t.default;
    throw new LedgersyncError('lookup_missing', 'record', `no entry for '${k}' in lookup table '${t.name}' and the table has no default`, {
      fix: t.file
        ? `add a row for '${k}' to ${t.file} (lookup table '${t.name}', ${t.position.file}:${t.position.line}) or give the table a default`
        : `add '${k}' under lookups.${t.name}.values (${t.position.file}:${t.position.line}) or give the table a default`,
      details: { table: t.name, key: k },
    });
  };
  const ref = (stream: unknown, sourceId: unknown): string => {
    const id = singleKey(sourceId, '$ref', 'stream', stream);
    const target = id ? input.resolveTarget(String(stream), id) : undefined;
    if (target === undefined) {
      throw new LedgersyncError(
        'reference_not_synced',
        'record',
        `${String(stream)} record '${id}' has not been synced to the target yet (it failed, was filtered out, or is missing)`,
        {
          fix: `fix the ${String(stream)} record '${id}' (see its dead letter, if any) and re-run; this record will be retried`,
          details: { stream: String(stream), sourceId: id },
        },
      );
    }
    return target;
  };
  const refOrNull = (stream: unknown, sourceId: unknown): string | null => {
    const id = singleKey(sourceId, '$refOrNull', 'stream', stream);
    return (id && input.resolveTarget(String(stream), id)) || null;
  };
  return {
    options: input.options,
    lookup,
    money: (amount: unknown, currency: unknown) => (amount === undefined || amount === null ? undefined : money(amount, String(currency))),
    monthly: monthlyAmount,
    date: (seconds: unknown) => (seconds === undefined || seconds === null ? undefined : isoDate(seconds, input.timezone)),
    datetime: (seconds: unknown) => (seconds === undefined || seconds === null ? undefined : isoDateTime(seconds)),
    truncate,
    digest,
    ref,
    refOrNull,
    deleted: false,
  };
}
