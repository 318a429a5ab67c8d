/** Every connector this installation offers, by the name pipelines use in `connector:`, and the folder of their descriptors. */
import { join } from 'node:path';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { packageRoot } from '../engine/package-root.js';
import { connector as acumatica } from '../connectors/acumatica/index.js';
import { connector as chargebee } from '../connectors/chargebee/index.js';
import { connector as dualentry } from '../connectors/dualentry/index.js';
import { connector as file } from '../connectors/file/index.js';
import { connector as jsonl } from '../connectors/jsonl/index.js';
import { connector as quickbooksOnline } from '../connectors/quickbooks-online/index.js';
import { connector as sageIntacct } from '../connectors/sage-intacct/index.js';
import { connector as sql } from '../connectors/sql/index.js';

export const installedConnectors: ConnectorRegistry = {
  descriptorsDir: join(packageRoot(), 'connectors'),
  modules: {
    acumatica,
    chargebee,
    dualentry,
    file,
    jsonl,
    'quickbooks-online': quickbooksOnline,
    'sage-intacct': sageIntacct,
    sql,
  },
};
