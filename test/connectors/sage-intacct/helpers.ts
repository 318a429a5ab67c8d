/** Builds what the engine would hand the Intacct connector, pointed at the fake gateway. */
import { memoryKeyValue, memorySecrets } from '../../e2e/helpers.js';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { settingsOf, type ConnectorDescriptor } from '../../../engine/connector/descriptor.js';
import { objectSpecsOf, type Lookup, type ObjectSpec } from '../../../connectors/sage-intacct/documents.js';
import type { IntacctSinkSettings } from '../../../connectors/sage-intacct/sink.js';
import { loadedDescriptor } from '../descriptors.js';
import type { ConnectorFactoryInput, LedgerEntry, SinkContext, SinkRecord } from '../../../engine/connector/types.js';
import { createConnection } from '../../../engine/http/connection.js';
import { silentLogger } from '../../../engine/log.js';
import type { FakeIntacct } from '../../fakes/intacct/index.js';

const root = join(import.meta.dirname, '../../..');

export function descriptorOf(name: string): ConnectorDescriptor {
  return loadedDescriptor(name);
}

/** The sink's object specs, from the descriptor as the connector builds them. */
export function intacctSpecs(): Record<string, ObjectSpec> {
  const descriptor = descriptorOf('sage-intacct');
  return objectSpecsOf(descriptor.objects ?? {}, settingsOf<{ lookup_by: Record<string, Lookup> }>(descriptor).lookup_by);
}

/** The sink settings the connector derives from its descriptor. */
export function intacctSinkSettings(functionsPerRequest = 25): IntacctSinkSettings {
  const { void_states } = settingsOf<{ void_states: IntacctSinkSettings['voidStates'] }>(descriptorOf('sage-intacct'));
  return { functionsPerRequest, maxBatchSize: 100, specs: intacctSpecs(), voidStates: void_states };
}

export function intacctInput(fake: FakeIntacct, overrides: Record<string, unknown> = {}): ConnectorFactoryInput {
  const c = fake.credentials;
  return {
    connection: {
      connector: 'sage-intacct',
      sender_id: c.senderId,
      sender_password: c.senderPassword,
      company_id: c.companyId,
      user_id: c.userId,
      user_password: c.userPassword,
      endpoint_url: fake.url,
      retry: { base_delay_ms: 5, max_delay_ms: 20 },
      ...overrides,
    },
    descriptor: descriptorOf('sage-intacct'),
    pipelineDir: root,
    pipeline: 'test',
    timezone: 'UTC',
    extensions: {},
    lookups: {},
    options: {},
    log: silentLogger,
    http: { connect: (o) => createConnection(o) },
  };
}

export function sinkContext(targets: Record<string, string> = {}): SinkContext {
  return {
    pipeline: 'test',
    runId: 'run-1',
    log: silentLogger,
    signal: new AbortController().signal,
    resolveTarget: (stream, sourceId) => targets[`${stream}/${sourceId}`],
    kv: memoryKeyValue(),
    secrets: memorySecrets(),
  };
}

let hashCounter = 0;

export function record(object: string, sourceId: string, data: Record<string, unknown>, previous?: Partial<LedgerEntry>): SinkRecord {
  return {
    stream: object.toLowerCase(),
    object,
    sourceId,
    deleted: false,
    action: 'upsert',
    data,
    contentHash: createHash('sha256')
      .update(`${++hashCounter}:${JSON.stringify(data)}`)
      .digest('hex'),
    ...(previous
      ? { previous: { sourceId, sourceVersion: null, contentHash: null, targetId: null, targetVersion: null, pendingWrite: false, updatedAt: 0, ...previous } }
      : {}),
  };
}

/** Seeds customers straight into the fake's books. */
export function seedCustomers(fake: FakeIntacct, ...ids: string[]): void {
  for (const id of ids) {
    fake.state.lastRecordNo++;
    fake.state.customers.set(id, {
      RECORDNO: String(fake.state.lastRecordNo),
      CUSTOMERID: id,
      NAME: id,
      STATUS: 'active',
      contact: {},
      WHENCREATED: '',
      WHENMODIFIED: '',
      updates: 0,
    });
  }
}
