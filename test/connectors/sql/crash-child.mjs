// Writes batches through the built sql sink until killed, saying on stdout when each batch begins
// and when it is committed, so the test knows whether its SIGKILL landed inside a transaction.
import { SqlSink } from '../../../dist/connectors/sql/sink.js';
import { silentLogger } from '../../../dist/engine/log.js';

const connection = JSON.parse(process.argv[2]);
const rows = Number(process.argv[3]);
let batch = Number(process.argv[4]);
const tables = {
  batches: {
    primary_key: ['batch', 'row'],
    columns: { batch: { type: 'integer' }, row: { type: 'integer' }, payload: { type: 'text' }, amount: { type: 'decimal' } },
  },
};
const sink = new SqlSink({ connection: { connector: 'sql', ...connection, tables }, pipeline: 'crash', pipelineDir: '/', log: silentLogger });
const kv = new Map();
const ctx = { now: () => 1_767_225_600, kv: { get: (k) => kv.get(k), set: (k, v) => kv.set(k, v), delete: (k) => kv.delete(k) } };
await sink.open(ctx);
for (;;) {
  const records = Array.from({ length: rows }, (_, row) => ({
    stream: 'batches',
    object: 'batches',
    sourceId: `${batch}:${row}`,
    deleted: false,
    action: 'upsert',
    data: { batch, row, payload: 'x'.repeat(200), amount: `${row}.25` },
    contentHash: '',
  }));
  process.stdout.write(`begin ${batch}\n`);
  await sink.write(records, ctx);
  process.stdout.write(`committed ${batch}\n`);
  batch++;
}
