import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadConnector } from '../../../engine/config/descriptors.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { installedConnectors } from '../../../app/registry.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { silentLogger } from '../../../engine/log.js';
import { silentProgress } from '../../../engine/run/progress.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { readJsonl, tempDir } from '../../e2e/helpers.js';

const examples = fileURLToPath(new URL('../../../pipelines/examples/', import.meta.url));
const pipeline = join(examples, 'chargebee-to-quickbooks.yaml');
const env = (realm: string) => ({
  CHARGEBEE_SITE: 'acme',
  CHARGEBEE_API_KEY: 'key-1234',
  QBO_REALM_ID: realm,
  QBO_CLIENT_ID: 'client',
  QBO_CLIENT_SECRET: 'secret-123',
  QBO_REFRESH_TOKEN: 'refresh-123',
});

/** Texts YAML (or a careless loader) would turn into numbers, booleans or null. */
const TRICKY = ['1.50', '1e3', '+42', '0x1F', '007', 'true', 'null', '-0', '.5', '1_000', '0o17', '~', '12345678901234567890'];

/** Values the non-secret variables of the example pipelines need to validate. */
const PLAIN: Record<string, string> = {
  CHARGEBEE_SITE: 'acme',
  QBO_REALM_ID: '9130355377386836',
  DUALENTRY_COMPANY_ID: '0042',
  INTACCT_SENDER_ID: '0042',
  INTACCT_COMPANY_ID: '1e3',
  INTACCT_USER_ID: '+42',
  ACUMATICA_URL: 'https://acme.acumatica.example',
  ACUMATICA_ENDPOINT_VERSION: '24.200.001',
};

describe('interpolated values keep the type their property needs', () => {
  it('an all-digit realm id stays exactly the string it was, short or beyond 2^53', async () => {
    for (const realm of ['123145678', '9130355377386836', '4620816365257778987']) {
      const { plan, problems } = await loadPipeline(pipeline, { env: env(realm), mode: 'run', connectorsDir: installedConnectors.descriptorsDir });
      expect(problems).toEqual([]);
      expect(plan?.sink.config['realm_id']).toBe(realm);
    }
  });

  const files = readdirSync(examples).filter((f) => f.endsWith('.yaml') && !f.endsWith('.cases.yaml'));
  for (const file of files) {
    it(`${file}: every connection property given as \${VAR} receives its text exactly, secrets included`, async () => {
      const text = readFileSync(join(examples, file), 'utf8');
      // `  api_key: ${CHARGEBEE_API_KEY}` or `  company_id: "${DUALENTRY_COMPANY_ID}"` under source: or sink:
      const given: Array<{ role: 'source' | 'sink'; property: string; variable: string }> = [];
      for (const role of ['source', 'sink'] as const) {
        const block = text.slice(text.indexOf(`\n${role}:`) + 1).split(/\n(?=\S)/)[0] ?? '';
        for (const m of block.matchAll(/^ {2}([a-z_]+): "?\$\{([A-Z0-9_]+)\}"?$/gm)) given.push({ role, property: m[1] as string, variable: m[2] as string });
      }
      const secrets = new Set<string>();
      for (const role of ['source', 'sink'] as const) {
        const name = new RegExp(`\\n${role}:\\n(?: .*\\n)*? {2}connector: ([a-z-]+)`).exec(text)?.[1] ?? '';
        for (const property of loadConnector(installedConnectors.descriptorsDir, name)?.secrets ?? []) secrets.add(`${role}.${property}`);
      }
      const secretGiven = given.filter((g) => secrets.has(`${g.role}.${g.property}`));
      expect(secretGiven.length).toBeGreaterThan(0);
      for (let round = 0; round < TRICKY.length; round++) {
        const values: Record<string, string> = {};
        for (const g of given) values[g.variable] = PLAIN[g.variable] ?? 'x0';
        secretGiven.forEach((g, i) => {
          values[g.variable] = TRICKY[(round + i) % TRICKY.length] as string;
        });
        const { plan, problems } = await loadPipeline(join(examples, file), { connectorsDir: installedConnectors.descriptorsDir, env: values, mode: 'run' });
        expect(problems.filter((p) => p.code !== 'secret_too_short')).toEqual([]);
        for (const g of given) expect(plan?.[g.role].config[g.property], `${g.role}.${g.property} = \${${g.variable}}`).toBe(values[g.variable]);
      }
    });
  }

  it('converts interpolated text where the schema wants a number or a boolean, and says which variable did not parse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgersync-types-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      [
        'version: ${VERSION}',
        'name: typed',
        'source:',
        '  connector: chargebee',
        '  site: acme',
        '  api_key: ${KEY}',
        '  rate_limit:',
        '    requests: "${REQUESTS}"',
        '    per_seconds: ${PER}',
        'sink:',
        '  connector: jsonl',
        '  dir: out',
        '  fsync: ${PRETTY}',
        'options:',
        '  threshold: ${THRESHOLD}',
        '  flag: ${FLAG}',
        'streams:',
        '  - name: customers',
        '    endpoint: customers',
        '    lookback_seconds: ${LOOKBACK}',
        '    batch_size: ${BATCH}',
        '    target: { object: customers, key: id }',
        '    mapping: { expression: "{ \\"id\\": id }" }',
        '',
      ].join('\n'),
    );
    const good = { VERSION: '1', KEY: '1.50', REQUESTS: '900', PER: '60.5', PRETTY: 'true', THRESHOLD: '1.50', FLAG: 'false', LOOKBACK: '+300', BATCH: '50' };
    const loaded = await loadPipeline(file, { connectorsDir: installedConnectors.descriptorsDir, env: good, mode: 'run' });
    expect(loaded.problems.filter((p) => p.code !== 'secret_too_short')).toEqual([]);
    expect(loaded.plan?.source.config).toMatchObject({ api_key: '1.50', rate_limit: { requests: 900, per_seconds: 60.5 } });
    expect(loaded.plan?.sink.config['fsync']).toBe(true);
    expect(loaded.plan?.streams[0]).toMatchObject({ lookbackSeconds: 300, batchSize: 50 });
    // Options have no schema: what the environment gives is what the mapping reads.
    expect(loaded.plan?.options).toEqual({ threshold: '1.50', flag: 'false' });

    const bad = await loadPipeline(file, {
      connectorsDir: installedConnectors.descriptorsDir,
      env: { ...good, BATCH: '50.5', LOOKBACK: 'soon', REQUESTS: '1e3x', PRETTY: 'yes' },
      mode: 'run',
    });
    expect(bad.problems.map((p) => [p.line, p.column, p.code, p.message])).toEqual([
      [8, 15, 'schema_type', 'source.rate_limit.requests must be an integer, not "1e3x" (the value of ${REQUESTS})'],
      [13, 10, 'schema_type', 'sink.fsync must be a boolean, not "yes" (the value of ${PRETTY})'],
      [20, 23, 'schema_type', 'streams[0].lookback_seconds must be an integer, not "soon" (the value of ${LOOKBACK})'],
      [21, 17, 'schema_type', 'streams[0].batch_size must be an integer, not "50.5" (the value of ${BATCH})'],
    ]);
  });
});

describe('a tricky API key reaches the vendor as written', () => {
  let fake: FakeChargebee;
  beforeAll(async () => {
    fake = await startFakeChargebee({ apiKey: '1.50', customers: 12 });
  });
  afterAll(() => fake.close());

  it('Chargebee answers a run whose CHARGEBEE_API_KEY is 1.50 (sent as 1.5 it would be refused)', async () => {
    const work = tempDir();
    const summary = await runPipeline({
      connectors: installedConnectors,
      pipelinePath: join(examples, 'chargebee-to-jsonl.yaml'),
      statePath: join(work.dir, 'state.db'),
      env: { CHARGEBEE_SITE: fake.site, CHARGEBEE_API_KEY: '1.50', CHARGEBEE_BASE_URL: fake.url, LEDGERSYNC_OUT: work.dir },
      log: silentLogger,
      progress: silentProgress,
    });
    expect(summary.error).toBeUndefined();
    expect(summary.exitCode).toBe(0);
    expect(readJsonl(join(work.dir, 'customers.jsonl')).length).toBeGreaterThanOrEqual(12);
    work.cleanup();
  });
});
