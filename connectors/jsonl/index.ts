import type { ConnectorModule } from '../../engine/connector/types.js';
import { JsonlSink } from './sink.js';

export const connector: ConnectorModule = {
  name: 'jsonl',
  createSink: (input) => new JsonlSink(input),
};
