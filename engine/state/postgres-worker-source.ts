/**
 * The code of the thread that holds the PostgreSQL connection of a synchronous state driver. It is
 * evaluated as a CommonJS worker (`new Worker(source, { eval: true })`) so it runs the same from the
 * TypeScript sources under test and from dist/, and needs no build step of its own.
 *
 * Protocol: the caller posts one request (numbered `id`) on `port`, then blocks on `signal[0]` with Atomics.wait;
 * this thread answers on `port` and only then sets `signal[0] = 1` and notifies, so the answer is
 * there when the caller wakes (it reads it with receiveMessageOnPort). `signal[1] = 1` says the
 * thread started.
 *
 * Requests: `{ op: 'query', text, params, prepare, reconnect }`, `{ op: 'batch', statements: [{ text,
 * params, prepare }], reconnect }` (run in order, up to the first failure; sent as one query string
 * when each is a single statement), `{ op: 'close' }`.
 * Answers carry the request's `id` and how many queries went to the server for it (`queries`): `{ rows, rowCount }`, `{ results: [{ rows, rowCount }] }`, or
 * `{ error: { message, code, connection, index? } }`.
 */
export const POSTGRES_WORKER_SOURCE = String.raw`
'use strict';
const { workerData } = require('node:worker_threads');
const pg = require(workerData.pgPath);
const { port, url, schema, applicationName, connectTimeoutMs, queryTimeoutMs } = workerData;
const signal = new Int32Array(workerData.signal);

// Counts and row ids come back as numbers, as from SQLite; only integers past 2^53 stay text.
const integerOrText = (text) => {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
};
pg.types.setTypeParser(20, integerOrText);
pg.types.setTypeParser(1700, (text) => (/^-?\d+$/.test(text) ? integerOrText(text) : text));

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03']);
// 08P01 (protocol_violation) is the server refusing one message it could not parse (a query string
// cut short by a U+0000): the connection is still there.
const isConnectionError = (error) =>
  CONNECTION_CODES.has(error.code) ||
  (typeof error.code === 'string' && error.code.startsWith('08') && error.code !== '08P01') ||
  /Connection terminated|connection error|not queryable|timeout expired|Client was closed|ECONNRESET/i.test(String(error.message));

let client = null;
let broken = null;
/** Queries sent to the server since the last answer (the driver adds them up for the benchmark). */
let queriesSent = 0;
const names = new Map();

async function connect() {
  const next = new pg.Client({
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: connectTimeoutMs,
    query_timeout: queryTimeoutMs,
    keepAlive: true,
    options: '-c search_path=' + schema,
  });
  next.on('error', (error) => {
    broken = error;
  });
  await next.connect();
  client = next;
  broken = null;
  names.clear();
}

async function drop() {
  const old = client;
  client = null;
  if (old) await old.end().catch(() => undefined);
}

const toBuffer = (value) => (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value);

async function ready(reconnect) {
  if (!client || broken) {
    if (client && !reconnect) throw broken;
    await drop();
    await connect();
  }
}

async function run(statement) {
  let name = names.get(statement.text);
  if (name === undefined && statement.prepare) {
    name = 'ledgersync_' + names.size;
    names.set(statement.text, name);
  }
  queriesSent++;
  const result = await client.query({ text: statement.text, values: statement.params.map(toBuffer), ...(name ? { name } : {}) });
  return { rows: result.rows || [], rowCount: result.rowCount || 0 };
}

// A batch whose every statement is one statement (prepared ones, and the driver's BEGIN, COMMIT,
// SAVEPOINT…) goes as one query string, its parameters written in as literals: one round trip to
// the server instead of one per statement (node-postgres waits for each answer before sending the
// next). The literals are the text node-postgres itself would send as parameters (its
// prepareValue), quoted by its escapeLiteral; bytes go as bytea hex. Like parameters, they reach the
// server as untyped literals, so it infers their types from the statement the same way.
const pgUtils = require(require('node:path').join(require('node:path').dirname(workerData.pgPath), 'utils.js'));

function literal(value) {
  const text = pgUtils.prepareValue(toBuffer(value));
  if (text === null) return 'NULL';
  if (Buffer.isBuffer(text)) return "E'\\\\x" + text.toString('hex') + "'";
  // The query string is NUL-terminated on the wire: a U+0000 would cut it short. Refused as the
  // server refuses it as a parameter.
  if (text.includes('\u0000')) throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
  return pgUtils.escapeLiteral(text);
}

const sentWhole = (statement) => statement.prepare || !statement.text.includes(';');

function inlined(statement) {
  if (!statement.params.length) return statement.text;
  return statement.text.replace(/\$(\d+)/g, (_, n) => literal(statement.params[Number(n) - 1]));
}

async function runTogether(statements) {
  const texts = statements.map((statement, index) => {
    try {
      return inlined(statement);
    } catch (error) {
      error.batchIndex = index;
      throw error;
    }
  });
  queriesSent++;
  // Each ';' on a line of its own, so a statement's closing line comment cannot swallow it.
  const answers = await client.query(texts.join('\n;\n'));
  const list = Array.isArray(answers) ? answers : [answers];
  if (list.length !== statements.length) throw new Error('the state database answered ' + list.length + ' results for ' + statements.length + ' statements sent together');
  return list.map((result) => ({ rows: result.rows || [], rowCount: result.rowCount || 0 }));
}

async function answer(request) {
  if (request.op === 'close') {
    await drop();
    return { rows: [], rowCount: 0 };
  }
  await ready(request.reconnect);
  if (request.op === 'query') return run(request);
  if (request.statements.length > 1 && request.statements.every(sentWhole)) return { results: await runTogether(request.statements) };
  // A batch holding DDL of several statements: in order, up to the first that fails (its index says which).
  const results = [];
  for (const statement of request.statements) {
    try {
      results.push(await run(statement));
    } catch (error) {
      error.batchIndex = results.length;
      throw error;
    }
  }
  return { results };
}

port.on('message', async (request) => {
  let reply;
  try {
    reply = await answer(request);
  } catch (error) {
    const connection = isConnectionError(error);
    if (connection) broken = broken || error;
    reply = { error: { message: String(error && error.message), code: error && error.code, connection, index: error && error.batchIndex } };
  }
  port.postMessage({ ...reply, id: request.id, queries: queriesSent });
  queriesSent = 0;
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
// Ready: the caller gives up early on a thread that never gets here.
Atomics.store(signal, 1, 1);
`;
