/**
 * What the endpoint's contract says about the entities the connector writes: each field's value
 * type, detail collections and linked entities, and the actions. Read from `contract.json` beside the
 * descriptor, which is derived from Acumatica's own OpenAPI file of `Default/24.200.001` (a test keeps
 * them equal). Custom endpoints extending Default keep these fields.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LedgersyncError } from '../../engine/errors.js';

export type ValueType = 'String' | 'Decimal' | 'Double' | 'Boolean' | 'Int' | 'Short' | 'Long' | 'Byte' | 'DateTime' | 'Guid';
export type FieldSpec = ValueType | { linked: string } | { detail: string };
export type SchemaFields = Readonly<Record<string, FieldSpec>>;

interface ContractFile {
  endpoint: string;
  topLevel: Record<string, { actions: string[] }>;
  schemas: Record<string, Record<string, FieldSpec>>;
}

export class Contract {
  private constructor(private readonly file: ContractFile) {}

  static load(dir: string): Contract {
    const path = join(dir, 'contract.json');
    try {
      return new Contract(JSON.parse(readFileSync(path, 'utf8')) as ContractFile);
    } catch (error) {
      throw new LedgersyncError('unexpected_error', 'system', `the Acumatica connector cannot read ${path}: ${(error as Error).message} (a broken install)`);
    }
  }

  /** Top-level entities the connector writes. */
  get entities(): string[] {
    return Object.keys(this.file.topLevel);
  }

  writes(entity: string): boolean {
    return Object.hasOwn(this.file.topLevel, entity);
  }

  hasAction(entity: string, action: string): boolean {
    return this.file.topLevel[entity]?.actions.includes(action) ?? false;
  }

  /** Fields of a top-level, detail or linked schema. */
  fields(schema: string): SchemaFields {
    return this.file.schemas[schema] ?? {};
  }
}

export function isValueType(spec: FieldSpec): spec is ValueType {
  return typeof spec === 'string';
}
