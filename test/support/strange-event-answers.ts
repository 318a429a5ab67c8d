/**
 * The installed connectors, but Chargebee answers GET /events/{id} with an unexpected shape for the
 * event id `poisoned()` names at the time (a transient `unexpected_response`): for tests of an event
 * that must wait alone while the others are synced.
 */
import { installedConnectors } from '../../app/registry.js';
import type { ConnectorRegistry } from '../../engine/connector/registry.js';
import type { ConnectorModule, Source } from '../../engine/connector/types.js';
import { LedgersyncError } from '../../engine/errors.js';

export function withStrangeEventAnswers(poisoned: () => string): ConnectorRegistry {
  const chargebee = installedConnectors.modules['chargebee']!;
  const strangeAnswers: ConnectorModule = {
    ...chargebee,
    createSource: (input) => {
      const source = chargebee.createSource!(input);
      const fetchEvent = source.fetchEvent!.bind(source);
      const strange: Source = {
        ...source,
        read: source.read.bind(source),
        fetchEvent: (id, ctx) =>
          id === poisoned() ? Promise.reject(new LedgersyncError('unexpected_response', 'transient', `no event in the answer for ${id}`)) : fetchEvent(id, ctx),
      };
      if (source.open) strange.open = source.open.bind(source);
      if (source.fetch) strange.fetch = source.fetch.bind(source);
      if (source.close) strange.close = source.close.bind(source);
      return strange;
    },
  };
  return { ...installedConnectors, modules: { ...installedConnectors.modules, chargebee: strangeAnswers } };
}
