/**
 * The compiled, frozen form of a pipeline file: what `loadPipeline` returns and everything after
 * it reads. Nothing later re-reads YAML.
 */
import type { ConnectorDescriptor } from '../connector/descriptor.js';
import type { ConnectionConfig } from '../connector/types.js';
import type { MappingLimits } from '../transform/budget.js';

/** Where a value came from in the pipeline file, for error messages. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** A JSONata expression compiled once at load time. */
export interface CompiledExpression {
  /** The expression text as written. */
  source: string;
  /** Where it stands in the file (the start of the expression text). */
  position: SourcePosition;
  /**
   * Where each line of the expression text starts in the file (index = line of the text), so that an
   * offset inside the expression (a runtime error's) is told as the file's line and column.
   */
  lineStarts?: ReadonlyArray<{ line: number; column: number }>;
  /** Pipeline path, e.g. `/streams/1/mapping/fields/DocNumber`. */
  path: string;
  /** Evaluate against `input` with the given extra bindings (lookup tables, options, helpers), by the jsonata interpreter. */
  evaluate(input: unknown, bindings: Record<string, unknown>): Promise<unknown>;
  /**
   * The same evaluation compiled to synchronous closures (engine/transform/compiler), present
   * when the compiler covers the whole expression. Same result; on any error the caller re-runs
   * `evaluate` so that errors are the interpreter's own.
   */
  evaluateSync?: (input: unknown, bindings: Readonly<Record<string, unknown>>) => unknown;
  /** How it runs: `compiled`, or `interpreted` with the reason and where the construct the compiler declined stands. */
  engine: ExpressionEngine;
}

export type ExpressionEngine =
  | { kind: 'compiled' }
  | {
      kind: 'interpreted';
      reason: string;
      /** Offset of the construct inside `source`. */
      offset: number;
      /** The construct's place in the pipeline file. */
      at: SourcePosition;
    };

export interface LookupTable {
  name: string;
  description: string;
  values: Readonly<Record<string, unknown>>;
  /** Value for keys not in `values`; undefined means a missing key is an error for that record. */
  default?: unknown;
  hasDefault: boolean;
  position: SourcePosition;
  /** Absolute path of the file the rows were read from (`lookups.<name>.file`); absent for inline `values`. */
  file?: string;
  /** Line of each key: in `file`, or in the pipeline file for inline `values` (for messages that say where to edit). */
  lines?: ReadonlyMap<string, number>;
  /** Line of `default:` in the pipeline file. */
  defaultLine?: number;
  /** What the values identify in the sink (`references: Account`), for `ledgersync check`. */
  references?: string;
}

export interface StreamPlan {
  name: string;
  /** Source endpoint name in the source connector's descriptor. */
  endpoint: string;
  /** Extra query parameters for the source. */
  params: Readonly<Record<string, string>>;
  lookbackSeconds: number;
  /** Records for which this is falsy are skipped (counted as skipped). */
  filter?: CompiledExpression;
  /**
   * The pipeline's `start_date` on the field the source filters its reads by (the endpoint's
   * `start_date_field`): a record dated before it is skipped however it arrives (a dead letter kept
   * from before, a webhook, a replay), as the read itself would not return it.
   */
  startsAt?: { field: string; seconds: number; format?: 'MM/DD/YYYY'; day?: string };
  /** Either one expression producing the whole record (or an array of records), or one per field. */
  mapping: { kind: 'expression'; expression: CompiledExpression } | { kind: 'fields'; fields: ReadonlyArray<{ name: string; expression: CompiledExpression }> };
  target: {
    /** Sink object (e.g. `Invoice`), overridable per record with `_object`. */
    object: string;
    /** Field of the mapped record that is its natural key in the target (e.g. `DocNumber`). */
    key?: string;
  };
  /** Records per sink batch (≤ the sink's maximum). */
  batchSize?: number;
  /**
   * What the sink is asked to do with a part (`<id>#<part>`) written before that a later version of
   * its record no longer maps to (`removed_parts:`). Absent: such a part is left as written.
   */
  removedParts?: 'void' | 'delete';
  /** What mapping one record may spend (the pipeline's `limits:`). */
  limits: Readonly<MappingLimits>;
  position: SourcePosition;
}

export interface Plan {
  /** Absolute path of the pipeline file. */
  file: string;
  dir: string;
  name: string;
  description: string;
  /** IANA timezone for date helpers. Default `UTC`. */
  timezone: string;
  /** Unix seconds; nothing older is read. */
  startDate?: number;
  source: { config: ConnectionConfig; descriptor: ConnectorDescriptor };
  sink: { config: ConnectionConfig; descriptor: ConnectorDescriptor };
  options: Readonly<Record<string, unknown>>;
  /** Line of each option in the pipeline file. */
  optionLines?: Readonly<Record<string, number>>;
  /** `option_references:` option → the kind its value identifies in the sink, for `ledgersync check`. */
  optionReferences?: Readonly<Record<string, string>>;
  lookups: Readonly<Record<string, LookupTable>>;
  streams: readonly StreamPlan[];
  /** What mapping one record may spend (`limits:`, defaults filled in). */
  limits: Readonly<MappingLimits>;
  /** Connector-specific top-level blocks (e.g. `revenue_recognition:`), validated by the connector's schema. */
  extensions: Readonly<Record<string, unknown>>;
}
