import type { ConnectorModule } from '../../engine/connector/types.js';
import { SqlSink } from './sink.js';

export const connector: ConnectorModule = {
  name: 'sql',
  createSink: (input) => new SqlSink(input),
};
