/**
 * Fields a released document keeps (descriptor `settings.fixed_once_released`). Acumatica refuses to
 * change them once a document is released ("Branch cannot be changed: the document has been
 * released"), so a mapping that now gives another value (a corrected `branches` table, a newer
 * example sending a branch the older one left to Acumatica) would make every released document a
 * dead letter no run settles. Such a field is left out of the update of a released document, and
 * named with what Acumatica holds and what was mapped, for the run's log and the plan.
 */
import type { Contract } from './contract.js';
import { type CompareOptions, changes, isPlainObject, type Plain } from './values.js';

/** A field a released document keeps although the mapping gives it another value. */
export interface KeptField {
  /** `Branch`, or a detail row's `Details[2].Branch`. */
  path: string;
  held: unknown;
  mapped: unknown;
}

/**
 * `mapped` without the fields of `fixed` (`Branch`, or `Details.Branch` for the detail rows
 * Acumatica holds) whose values differ from `current`'s, and those fields. A new detail row keeps its
 * values: it is not on the released document yet.
 */
export function withoutFixedFields(
  contract: Contract,
  entity: string,
  mapped: Plain,
  current: Plain,
  fixed: readonly string[],
  options: CompareOptions,
): { data: Plain; kept: KeptField[] } {
  const kept: KeptField[] = [];
  let data = mapped;
  for (const path of fixed) {
    const [field, inner] = path.split('.', 2) as [string, string | undefined];
    if (inner === undefined) {
      if (!differs(contract, entity, field, data[field], current, options)) continue;
      kept.push({ path: field, held: current[field], mapped: data[field] });
      data = withoutKey(data, field);
      continue;
    }
    const spec = contract.fields(entity)[field];
    const rows = data[field];
    if (spec === undefined || typeof spec === 'string' || !('detail' in spec) || !Array.isArray(rows)) continue;
    const held = Array.isArray(current[field]) ? (current[field] as unknown[]).filter(isPlainObject) : [];
    let changed = false;
    const next = rows.map((row, index) => {
      const there = held[index];
      if (!isPlainObject(row) || !there || !differs(contract, spec.detail, inner, row[inner], there, options)) return row;
      kept.push({ path: `${field}[${index}].${inner}`, held: there[inner], mapped: row[inner] });
      changed = true;
      return withoutKey(row, inner);
    });
    if (changed) data = { ...data, [field]: next };
  }
  return { data, kept };
}

/** For messages: `Branch 'MAIN' (the mapping gives 'US')`, one per field. */
export function describeKept(kept: readonly KeptField[]): string {
  return kept.map((k) => `${k.path} ${shown(k.held)} (the mapping gives ${shown(k.mapped)})`).join(', ');
}

function differs(contract: Contract, schema: string, field: string, value: unknown, current: Plain, options: CompareOptions): boolean {
  return value !== undefined && changes(contract, schema, { [field]: value }, current, options) !== undefined;
}

function shown(value: unknown): string {
  return value === undefined || value === null || value === '' ? 'empty' : `'${String(value)}'`;
}

function withoutKey(record: Plain, key: string): Plain {
  const { [key]: _dropped, ...rest } = record;
  return rest;
}
