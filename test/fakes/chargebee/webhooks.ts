/**
 * Chargebee's side of webhooks, for tests: the body Chargebee POSTs for an event (the Event
 * resource itself, unsigned), and a sender that delivers it the way Chargebee's webhook settings
 * allow (HTTP Basic with a user name and password, or a secret in the URL).
 */
import type { FakeEvent } from './resources.js';
import { cloneJson, type FakeChargebeeState } from './state.js';

/** The events the site logged about one record, oldest first. */
export function eventsAbout(state: FakeChargebeeState, singular: string, id: string): FakeEvent[] {
  return state
    .all('events')
    .filter((e) => (e.content[singular] as { id?: string } | undefined)?.id === id)
    .sort((a, b) => (a.occurred_at ?? 0) - (b.occurred_at ?? 0));
}

/** What Chargebee POSTs to a webhook URL for this event: the event as `GET /events/{id}` returns it, with its delivery status. */
export function webhookBody(event: FakeEvent): string {
  return JSON.stringify({ ...cloneJson(event), webhook_status: 'scheduled' });
}

export type WebhookAuth = { basic: { user: string; password: string } } | { token: string } | { none: true };

export interface Delivery {
  status: number;
  body: string;
}

/** POSTs a body to a webhook URL as Chargebee does (application/json). */
export async function deliverWebhook(url: string, body: string, auth: WebhookAuth): Promise<Delivery> {
  const target = new URL(url);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'ChargeBee' };
  if ('basic' in auth) headers['authorization'] = `Basic ${Buffer.from(`${auth.basic.user}:${auth.basic.password}`).toString('base64')}`;
  if ('token' in auth) target.searchParams.set('token', auth.token);
  const response = await fetch(target, { method: 'POST', headers, body });
  return { status: response.status, body: await response.text() };
}
