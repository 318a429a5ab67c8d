import type { ConnectorModule } from '../../engine/connector/types.js';
import { ChargebeeSource } from './source.js';
import { createChargebeeSink } from './sink.js';
import { chargebeeWebhooks } from './events.js';

export const connector: ConnectorModule = {
  name: 'chargebee',
  createSource: (input) => new ChargebeeSource(input),
  createSink: createChargebeeSink,
  webhooks: chargebeeWebhooks,
};
