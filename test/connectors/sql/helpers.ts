/** Shared set-up of the sql sink tests: a sink over a table declaration, records, a context, the two backends. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ConnectorDescriptor } from '../../../engine/connector/descriptor.js';
import type { ConnectorFactoryInput, SinkContext, SinkRecord } from '../../../engine/connector/types.js';
import { createLogger, silentLogger, type Logger } from '../../../engine/log.js';
import { SqlSink } from '../../../connectors/sql/sink.js';
import { memoryKeyValue, memorySecrets } from '../../e2e/helpers.js';

export type Tables = Record<string, { primary_key: string[]; columns: Record<string, { type: string; nullable?: boolean }>; indexes?: string[][] }>;

export interface Backend {
  name: 'SQLite' | 'PostgreSQL';
  /** A connection block (without tables) for a database of its own. */
  connection(): Record<string, unknown>;
}

export function backends(work: () => string, postgresUrl: () => string): Backend[] {
  const unique = () => `t_${randomBytes(5).toString('hex')}`;
  return [
    { name: 'SQLite', connection: () => ({ path: join(work(), `${unique()}.db`) }) },
    { name: 'PostgreSQL', connection: () => ({ url: postgresUrl(), schema: unique() }) },
  ];
}

export function sinkInput(connection: Record<string, unknown>, tables: Tables, options: { log?: Logger; pipelineDir?: string } = {}): ConnectorFactoryInput {
  return {
    connection: { connector: 'sql', ...connection, tables },
    descriptor: { name: 'sql' } as ConnectorDescriptor,
    pipelineDir: options.pipelineDir ?? '/nonexistent',
    pipeline: 'sql-test',
    timezone: 'UTC',
    extensions: {},
    lookups: {},
    options: {},
    log: options.log ?? silentLogger,
    http: (() => {
      throw new Error('the sql sink makes no HTTP connection');
    }) as unknown as ConnectorFactoryInput['http'],
  };
}

/** Opens a sink (creating / migrating its tables); `ctx` stands for the pipeline's state (a fresh one by default). */
export async function openSink(connection: Record<string, unknown>, tables: Tables, log?: Logger, ctx: SinkContext = context()): Promise<SqlSink> {
  const sink = new SqlSink(sinkInput(connection, tables, log ? { log } : {}));
  await sink.open(ctx);
  return sink;
}

export function context(now = 1_767_225_600): SinkContext {
  return {
    pipeline: 'sql-test',
    runId: 'run-1',
    log: silentLogger,
    signal: new AbortController().signal,
    resolveTarget: () => undefined,
    kv: memoryKeyValue(),
    secrets: memorySecrets(),
    now: () => now,
  };
}

export function record(object: string, data: Record<string, unknown>, extra: Partial<SinkRecord> = {}): SinkRecord {
  return {
    stream: 'test',
    object,
    sourceId: String(data['id'] ?? JSON.stringify(data)),
    deleted: false,
    action: 'upsert',
    data,
    contentHash: 'x',
    ...extra,
  };
}

/** A logger that keeps the lines it printed (redacted, as a user would see them). */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ level: 'debug', write: (line) => void lines.push(line) }), { lines });
}
