import type { ConnectorModule } from '../../engine/connector/types.js';
import { resolveBaseUrl } from '../../engine/connector/base-url.js';
import { ChargebeeSource } from './source.js';
import { createChargebeeSink } from './sink.js';

export const connector: ConnectorModule = {
  name: 'chargebee',
  createSource: (input) => new ChargebeeSource(input),
  createSink: createChargebeeSink,
  baseUrl: (input) => resolveBaseUrl(input.descriptor, input.connection),
};
