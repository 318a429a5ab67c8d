/**
 * Chargebee's events as webhooks bring them. Chargebee does not sign its webhooks, so a delivery
 * is only a hint: its `id` is read here, and the event is fetched again with `GET /events/{id}`
 * before anything is written. Both shapes are Chargebee's Event resource:
 * `{id, occurred_at, event_type, api_version, webhook_status, content: {<resource>: {...}}}`.
 */
import type { ConnectorDescriptor } from '../../engine/connector/descriptor.js';
import type { SourceEvent, WebhookDelivery, WebhookReceiver } from '../../engine/connector/webhook.js';

/** Chargebee ids are letters, digits, `_` and `-` (`ev_16BHbhF4s42tO2lK`); anything else is not a Chargebee event. */
const EVENT_ID = /^[A-Za-z0-9_-]{1,100}$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export const chargebeeWebhooks: WebhookReceiver = {
  deliveryOf(body: unknown): WebhookDelivery {
    if (!isObject(body)) return { refused: 'the body is not a JSON object (a Chargebee event)' };
    if (body['object'] !== undefined && body['object'] !== 'event') return { refused: `the body is a Chargebee '${String(body['object'])}', not an event` };
    const id = body['id'];
    if (typeof id !== 'string' || !EVENT_ID.test(id)) return { refused: 'the body has no event id (letters, digits, _ and - only)' };
    const type = body['event_type'];
    return { eventId: id, ...(typeof type === 'string' ? { eventType: type } : {}) };
  },
};

/**
 * The records an event changed, by the endpoint that lists them: each resource under `content`
 * (`invoice`, `customer`, `credit_note`, `transaction`, `subscription`…) whose key is an
 * endpoint's `record_key` in the descriptor. Resources no endpoint lists (a `card`) are left out.
 */
export function eventOf(body: unknown, descriptor: ConnectorDescriptor): SourceEvent | undefined {
  const event = isObject(body) && isObject(body['event']) ? body['event'] : undefined;
  if (!event || typeof event['id'] !== 'string') return undefined;
  const content = isObject(event['content']) ? event['content'] : {};
  const references: Array<{ endpoint: string; id: string; version?: string }> = [];
  for (const [endpointName, endpoint] of Object.entries(descriptor.endpoints ?? {})) {
    if (!endpoint.record_key || endpointName === 'events') continue;
    const resource = content[endpoint.record_key];
    if (!isObject(resource)) continue;
    const id = resource[endpoint.id_field ?? 'id'];
    if (typeof id !== 'string' && typeof id !== 'number') continue;
    const version = resource[endpoint.version_field ?? 'resource_version'];
    references.push({ endpoint: endpointName, id: String(id), ...(version === undefined || version === null ? {} : { version: String(version) }) });
  }
  return {
    id: event['id'],
    type: typeof event['event_type'] === 'string' ? event['event_type'] : 'unknown',
    ...(typeof event['occurred_at'] === 'number' ? { occurredAt: event['occurred_at'] } : {}),
    references,
  };
}
