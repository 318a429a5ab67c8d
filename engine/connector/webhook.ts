/**
 * What a source connector offers `ledgersync serve`: reading a webhook delivery, and fetching the
 * event it names again, because a delivery proves nothing (Chargebee does not sign its webhooks).
 * Only the event id of a delivery is used; everything written comes from the source's API.
 */

/** A delivery as the connector reads it: the event id to fetch again, or why the body is refused. */
export type WebhookDelivery = { eventId: string; eventType?: string } | { refused: string };

export interface WebhookReceiver {
  /** Reads a delivered body (already parsed JSON). Pure: no request is made. */
  deliveryOf(body: unknown): WebhookDelivery;
}

/** An event as the source's API returns it: the records it concerns, by the endpoint that lists them. */
export interface SourceEvent {
  id: string;
  type: string;
  /** Unix seconds. */
  occurredAt?: number;
  /** The records the event changed; the engine syncs them through every stream reading that endpoint. */
  references: ReadonlyArray<{ endpoint: string; id: string; version?: string }>;
}
