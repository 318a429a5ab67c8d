import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../engine/config/load.js';
import { readCases, runMappingCase } from '../../../engine/run/mapping-test.js';
import { installedConnectors } from '../../../app/registry.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('example RevRec pipeline mappings', async () => {
  const { plan, problems } = await loadPipeline(join(here, '..', '..', '..', 'pipelines', 'examples', 'chargebee-revrec-to-dualentry.yaml'), {
    mode: 'validate',
    env: {},
    connectorsDir: installedConnectors.descriptorsDir,
  });
  it('loads', () => expect(problems).toEqual([]));
  for (const c of readCases(join(here, '..', '..', '..', 'pipelines', 'examples', 'chargebee-revrec-to-dualentry.cases.yaml'))) {
    it(c.name, async () => {
      expect((await runMappingCase(plan!, c)).problems).toEqual([]);
    });
  }
});
