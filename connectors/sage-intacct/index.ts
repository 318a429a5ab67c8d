/** Sage Intacct over the XML Web Services gateway: a sink for AR/AP documents and a source of AR payments. */
import type { ConnectorFactoryInput, ConnectorModule } from '../../engine/connector/types.js';
import { settingsOf } from '../../engine/connector/descriptor.js';
import { openConnection } from '../../engine/connector/open-connection.js';
import { LedgersyncError } from '../../engine/errors.js';
import { excerpt } from '../../engine/log.js';
import { objectSpecsOf, type Lookup } from './documents.js';
import { IntacctGateway, type IntacctCredentials } from './gateway.js';
import { IntacctSink } from './sink.js';
import { IntacctSource } from './source.js';
import { parseResponse } from './xml.js';

export { IntacctGateway } from './gateway.js';
export { IntacctSink } from './sink.js';
export { IntacctSource } from './source.js';

function credentialsOf(input: ConnectorFactoryInput): IntacctCredentials {
  const c = input.connection;
  const value = (name: string): string => {
    const v = c[name];
    if (typeof v !== 'string' || v === '') {
      throw new LedgersyncError('missing_connection_value', 'config', `the Sage Intacct connection needs '${name}'`, {
        fix: `set ${name} in the pipeline's ${input.descriptor.name} block (secrets as \${VAR})`,
      });
    }
    return v;
  };
  const entity = c['entity_id'];
  return {
    senderId: value('sender_id'),
    senderPassword: value('sender_password'),
    companyId: value('company_id'),
    userId: value('user_id'),
    userPassword: value('user_password'),
    ...(typeof entity === 'string' && entity !== '' ? { entityId: entity } : {}),
  };
}

/** Mirrors settings.schema.json, which the descriptor loader checked. */
interface IntacctSettings {
  functions_per_request: number;
  page_size: number;
  lookup_by: Record<string, Lookup>;
  void_states: { voided: string; voiding: string };
}

/** The gateway of one connection: the engine's HTTP client with Intacct's limits and error text. */
export function intacctGateway(input: ConnectorFactoryInput): IntacctGateway {
  const credentials = credentialsOf(input);
  const label = `Sage Intacct company '${credentials.companyId}'`;
  // Session auth is the gateway's own: credentials and the session id travel inside the XML envelope.
  const http = openConnection(input, {
    label,
    hooks: {
      // A 2xx that is not the gateway's <response> document (an HTML page, truncated XML) is garbage:
      // retried for reads, looked up for writes.
      parseBody: (response) => parseResponse(response.text),
      // Intacct's rate limit (GW-0010) may come back inside an XML answer: wait and retry it like a 429.
      detectThrottle: (response) =>
        response.status < 400 && response.text.includes('<errorno>GW-0010</errorno>') ? { retryAfter: response.headers.get('retry-after') ?? '2' } : undefined,
      describeError: (response, request) => {
        const status = response.status;
        const kind = status === 429 || status >= 500 ? 'transient' : status === 401 || status === 403 ? 'auth' : 'system';
        return new LedgersyncError(
          `intacct_http_${status}`,
          kind,
          `${label}: the XML gateway answered HTTP ${status} to ${request.method}: ${excerpt(response.text, 300)}`,
          {
            details: { status },
            fix: kind === 'transient' ? 'Intacct is busy or down; the run can be resumed as is' : 'check the endpoint URL of the Intacct connection',
          },
        );
      },
    },
  });
  return new IntacctGateway(http, credentials, input.log);
}

export const connector: ConnectorModule = {
  name: 'sage-intacct',
  createSink: (input) => {
    const settings = settingsOf<IntacctSettings>(input.descriptor);
    return new IntacctSink(
      intacctGateway(input),
      {
        functionsPerRequest: settings.functions_per_request,
        maxBatchSize: input.descriptor.max_batch ?? 100,
        specs: objectSpecsOf(input.descriptor.objects ?? {}, settings.lookup_by),
        voidStates: { ...settings.void_states },
      },
      input.log,
    );
  },
  createSource: (input) =>
    new IntacctSource(intacctGateway(input), input.descriptor.endpoints ?? {}, settingsOf<IntacctSettings>(input.descriptor).page_size, input.timezone),
};
