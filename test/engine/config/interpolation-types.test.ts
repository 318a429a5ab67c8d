import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadPipeline } from '../../../engine/config/load.js';
import { installedConnectors } from '../../../app/registry.js';

const pipeline = fileURLToPath(new URL('../../../pipelines/examples/chargebee-to-quickbooks.yaml', import.meta.url));
const env = (realm: string) => ({
  CHARGEBEE_SITE: 'acme',
  CHARGEBEE_API_KEY: 'key-1234',
  QBO_REALM_ID: realm,
  QBO_CLIENT_ID: 'client',
  QBO_CLIENT_SECRET: 'secret-123',
  QBO_REFRESH_TOKEN: 'refresh-123',
});

describe('interpolated values keep the type their property needs', () => {
  it('an all-digit realm id stays exactly the string it was, short or beyond 2^53', async () => {
    for (const realm of ['123145678', '9130355377386836', '4620816365257778987']) {
      const { plan, problems } = await loadPipeline(pipeline, { env: env(realm), mode: 'run', connectorsDir: installedConnectors.descriptorsDir });
      expect(problems).toEqual([]);
      expect(plan?.sink.config['realm_id']).toBe(realm);
    }
  });
});
