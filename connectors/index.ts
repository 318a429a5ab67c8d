/** Every connector the engine knows, by the name pipelines use in `connector:`. */
import type { ConnectorModule } from '../engine/connector/types.js';
import { connector as chargebee } from './chargebee/index.js';
import { connector as jsonl } from './jsonl/index.js';

export const connectors: Readonly<Record<string, ConnectorModule>> = {
  chargebee,
  jsonl,
};
