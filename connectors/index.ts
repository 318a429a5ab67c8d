/** Every connector the engine knows, by the name pipelines use in `connector:`. */
import type { ConnectorModule } from '../engine/connector/types.js';
import { connector as chargebee } from './chargebee/index.js';
import { connector as dualentry } from './dualentry/index.js';
import { connector as file } from './file/index.js';
import { connector as jsonl } from './jsonl/index.js';
import { connector as quickbooksOnline } from './quickbooks-online/index.js';
import { connector as sageIntacct } from './sage-intacct/index.js';

export const connectors: Readonly<Record<string, ConnectorModule>> = {
  chargebee,
  dualentry,
  file,
  jsonl,
  'quickbooks-online': quickbooksOnline,
  'sage-intacct': sageIntacct,
};
