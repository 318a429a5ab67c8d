/** Every connector the engine knows, by the name pipelines use in `connector:`. */
import type { ConnectorModule } from '../engine/connector/types.js';
import { connector as chargebee } from '../connectors/chargebee/index.js';
import { connector as dualentry } from '../connectors/dualentry/index.js';
import { connector as file } from '../connectors/file/index.js';
import { connector as jsonl } from '../connectors/jsonl/index.js';
import { connector as quickbooksOnline } from '../connectors/quickbooks-online/index.js';
import { connector as sageIntacct } from '../connectors/sage-intacct/index.js';
import { connector as sql } from '../connectors/sql/index.js';

export const connectors: Readonly<Record<string, ConnectorModule>> = {
  chargebee,
  dualentry,
  file,
  jsonl,
  'quickbooks-online': quickbooksOnline,
  'sage-intacct': sageIntacct,
  sql,
};
