/**
 * The tenant's database: records per entity in the plain form (values unwrapped, decimals as BigInt
 * units), the numbering sequences that assign document numbers, and the log of committed writes.
 * Fields whose names start with `__` are the fake's own bookkeeping and are never rendered.
 */
import type { PlainRecord } from './openapi.js';

export interface WriteEvent {
  entity: string;
  operation: 'insert' | 'update' | 'delete' | 'action';
  /** The action's name for `operation: 'action'` (ReleaseInvoice…). */
  action?: string;
  id: string;
  /** Key field values of the record, e.g. `{ Type: 'Invoice', ReferenceNbr: 'AR000001' }`. */
  keys: Record<string, string>;
  at: number;
}

export class TenantStore {
  private readonly tables = new Map<string, Map<string, PlainRecord>>();
  private readonly sequences = new Map<string, number>();
  readonly writes: WriteEvent[] = [];

  all(entity: string): PlainRecord[] {
    return [...(this.tables.get(entity)?.values() ?? [])];
  }

  byId(entity: string, id: string): PlainRecord | undefined {
    return this.tables.get(entity)?.get(id.toLowerCase());
  }

  find(entity: string, predicate: (record: PlainRecord) => boolean): PlainRecord | undefined {
    for (const record of this.tables.get(entity)?.values() ?? []) if (predicate(record)) return record;
    return undefined;
  }

  put(entity: string, record: PlainRecord): void {
    const table = this.tables.get(entity) ?? new Map<string, PlainRecord>();
    table.set(String(record['id']), record);
    this.tables.set(entity, table);
  }

  remove(entity: string, id: string): void {
    this.tables.get(entity)?.delete(id);
  }

  /** The next number of a numbering sequence: `AR000001`, `AR000002`… */
  nextNumber(sequence: string, prefix: string, width = 6): string {
    const next = (this.sequences.get(sequence) ?? 0) + 1;
    this.sequences.set(sequence, next);
    return prefix + String(next).padStart(width, '0');
  }

  nextInteger(sequence: string, start: number): number {
    const next = (this.sequences.get(sequence) ?? start - 1) + 1;
    this.sequences.set(sequence, next);
    return next;
  }
}
