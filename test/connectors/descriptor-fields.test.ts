/**
 * Every field a connector descriptor declares has a reader. The descriptors the engine loads are
 * wrapped in a recording Proxy, the example pipelines run against the fakes (and a file source
 * into DualEntry), and each leaf declared in `connectors/<name>/connector.yaml` must have been read
 * by the engine or the connector on the way. A field nothing reads is a promise the code does not
 * keep: read it, or remove it from the descriptor.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { installedConnectors } from '../../app/registry.js';
import { ajvOf } from '../../engine/config/ajv.js';
import { connectionSchema, declaredExtensions, listConnectors, loadConnector } from '../../engine/config/descriptors.js';
import { loadPipeline } from '../../engine/config/load.js';
import type { ConnectorDescriptor } from '../../engine/connector/descriptor.js';
import type { ConnectorFactoryInput } from '../../engine/connector/types.js';
import { defaultConnectionFactory } from '../../engine/http/connection.js';
import { silentLogger } from '../../engine/log.js';
import { runPipeline, type RunSummary } from '../../engine/run/runner.js';
import { checkPipeline } from '../../engine/run/preflight.js';
import { tempDir } from '../e2e/helpers.js';
import { startFakeChargebee } from '../fakes/chargebee/index.js';
import { startFakeDualEntry } from '../fakes/dualentry/index.js';
import { connectorsDir } from './descriptors.js';
import { revrecEnv } from './dualentry/revrec-harness.js';
import { startSandbox as startQboSandbox } from './quickbooks-online/e2e-harness.js';
import { startSandbox as startAcumaticaSandbox } from './acumatica/e2e-harness.js';
import { REVERSE, startSandbox as startIntacctSandbox } from './sage-intacct/e2e-harness.js';

const recorder = vi.hoisted(() => {
  /** Paths read, per connector, as `a.b.c`. */
  const reads = new Map<string, Set<string>>();
  const proxies = new WeakSet<object>();

  function record(connector: string, target: object, path: string[]): object {
    const children = new Map<PropertyKey, object>();
    const proxy = new Proxy(target, {
      get(obj, key, receiver) {
        const value = Reflect.get(obj, key, receiver);
        if (typeof key === 'symbol') return value;
        let seen = reads.get(connector);
        if (!seen) reads.set(connector, (seen = new Set()));
        seen.add([...path, key].join('.'));
        if (value === null || typeof value !== 'object') return value;
        let child = children.get(key);
        if (!child) children.set(key, (child = record(connector, value, [...path, key])));
        return child;
      },
    });
    proxies.add(proxy);
    return proxy;
  }

  return {
    reads,
    /** A recording copy of a loaded (frozen) descriptor: a Proxy must not hand out wrappers of frozen values. */
    wrap: <T extends { name: string }>(descriptor: T): T => record(descriptor.name, structuredClone(descriptor), []) as T,
    /** The plan is deep-frozen after loading; walking into a recorder would read every field. */
    isRecorder: (value: unknown) => typeof value === 'object' && value !== null && proxies.has(value),
  };
});

vi.mock('../../engine/config/descriptors.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../engine/config/descriptors.js')>();
  return {
    ...original,
    loadConnector: (dir: string, name: string) => {
      const loaded = original.loadConnector(dir, name);
      return loaded?.descriptor ? { ...loaded, descriptor: recorder.wrap(loaded.descriptor) } : loaded;
    },
  };
});

vi.mock('../../engine/config/freeze.js', () => {
  const deepFreeze = <T>(value: T): T => {
    if (value === null || typeof value !== 'object' || Object.isFrozen(value) || recorder.isRecorder(value)) return value;
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<string | symbol, unknown>)[key]);
    return Object.freeze(value);
  };
  return { deepFreeze };
});

/** Map keys (endpoint, object, property names…) and list indices stand for every entry of their collection. */
const COLLECTIONS = [
  'connection.properties',
  'base_url.variants',
  'base_url.parameters',
  'endpoints',
  'endpoints.*.params',
  'objects',
  'settings.pipeline_extensions',
  'settings.lookup_by',
  'settings.adopt_by_source_id',
  'settings.field_limits',
  'references.kinds',
  'references.fields',
];

/**
 * Documentation, not behaviour: shown in error messages, editors (through the connection block's
 * schema) and the README, and rightly never read on a run that goes well.
 */
const DOCUMENTATION = new Set(['description', 'title', 'examples']);
const isDocumentation = (leaf: string) => leaf.split('.').some((segment) => DOCUMENTATION.has(segment));

function normalise(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('.')) {
    out.push(COLLECTIONS.includes(out.join('.')) || /^\d+$/.test(segment) ? '*' : segment);
  }
  return out.join('.');
}

/** Every leaf path of a parsed YAML document, normalised. */
function declaredLeaves(value: unknown, path: string[] = []): string[] {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) return [normalise(path.join('.'))];
    return entries.flatMap(([key, child]) => declaredLeaves(child, [...path, key]));
  }
  return [normalise(path.join('.'))];
}

function unread(declared: readonly string[], read: ReadonlySet<string>): string[] {
  const seen = new Set([...read].map(normalise));
  return [...new Set(declared)].filter((leaf) => !isDocumentation(leaf) && !seen.has(leaf)).sort();
}

describe('the field check itself', () => {
  it('reports a declared leaf nothing read, and counts a read of any entry of a collection for all of them', () => {
    const declared = declaredLeaves({ settings: { page_size: 10, unused: 1 }, endpoints: { a: { path: '/a', cursor: { field: 'x' } }, b: { path: '/b' } } });
    expect(unread(declared, new Set(['settings.page_size', 'endpoints.b.path']))).toEqual(['endpoints.*.cursor.field', 'settings.unused']);
  });
});

const examplesDir = join(import.meta.dirname, '../../pipelines/examples');
const ok = (summary: RunSummary) => expect(summary.exitCode, JSON.stringify(summary.error ?? summary.streams)).toBe(0);

describe('connector descriptors', () => {
  const work = tempDir('ledgersync-fields-');
  afterAll(() => work.cleanup());

  it('declare no field that neither the engine nor the connector reads', { timeout: 120_000 }, async () => {
    // As a user deploys them, without the base-URL overrides the fakes need: each connector builds its
    // connections from the descriptor's defaults (templates, token endpoint). Building sends nothing.
    const production = {
      CHARGEBEE_SITE: 'acme-test',
      CHARGEBEE_API_KEY: 'cb-key',
      QBO_REALM_ID: '9130355377386836',
      QBO_CLIENT_ID: 'client',
      QBO_CLIENT_SECRET: 'secret',
      QBO_REFRESH_TOKEN: 'refresh',
      INTACCT_SENDER_ID: 'sender',
      INTACCT_SENDER_PASSWORD: 'sender-pw',
      INTACCT_COMPANY_ID: 'acme',
      INTACCT_USER_ID: 'ws-user',
      INTACCT_USER_PASSWORD: 'user-pw',
      DUALENTRY_API_KEY: 'de-key',
      DUALENTRY_COMPANY_ID: '4242',
      ACUMATICA_URL: 'https://acme.acumatica.com',
      ACUMATICA_USERNAME: 'integration',
      ACUMATICA_PASSWORD: 'acu-pw',
      ACUMATICA_CLIENT_ID: 'client@Company',
      ACUMATICA_CLIENT_SECRET: 'acu-secret',
      LEDGERSYNC_OUT: join(work.dir, 'out'),
    };
    for (const example of readdirSync(examplesDir).filter((f) => f.endsWith('.yaml') && !f.endsWith('.cases.yaml'))) {
      const { plan, problems } = await loadPipeline(join(examplesDir, example), {
        env: production,
        mode: 'run',
        connectorsDir: installedConnectors.descriptorsDir,
      });
      expect(plan, `${example}: ${JSON.stringify(problems)}`).toBeDefined();
      for (const role of ['source', 'sink'] as const) {
        const side = plan![role];
        const input: ConnectorFactoryInput = {
          connection: side.config,
          descriptor: side.descriptor,
          pipelineDir: plan!.dir,
          pipeline: plan!.name,
          timezone: plan!.timezone,
          extensions: plan!.extensions,
          lookups: plan!.lookups,
          options: plan!.options,
          log: silentLogger,
          http: defaultConnectionFactory(),
        };
        const module = installedConnectors.modules[side.descriptor.name]!;
        const built = role === 'source' ? module.createSource!(input) : module.createSink!(input);
        expect(built).toBeDefined();
      }
    }

    // Then runs against the fakes, for what is read only while reading and writing.
    // Chargebee → QuickBooks Online (the OAuth token endpoint, host-only base URL, settings).
    const qbo = await startQboSandbox();
    try {
      ok(await qbo.run());
      // `ledgersync check` reads the references the descriptors declare.
      const preflight = await checkPipeline({
        connectors: installedConnectors,
        pipelinePath: qbo.pipelinePath,
        statePath: qbo.statePath,
        env: qbo.env,
        log: silentLogger,
      });
      expect(preflight.exitCode, JSON.stringify(preflight)).toBe(0);
    } finally {
      await qbo.close();
    }

    // Chargebee → Acumatica (OAuth, the endpoint template, top_skip paging, release actions), then a cookie session.
    const acumatica = await startAcumaticaSandbox();
    try {
      ok(await acumatica.run());
      ok(await acumatica.run({ env: { ...acumatica.env, ACUMATICA_CLIENT_ID: '', ACUMATICA_CLIENT_SECRET: '' } }));
      const preflight = await checkPipeline({
        connectors: installedConnectors,
        pipelinePath: acumatica.pipelinePath,
        statePath: acumatica.statePath,
        env: acumatica.env,
        log: silentLogger,
      });
      expect(preflight.exitCode, JSON.stringify(preflight)).toBe(0);
    } finally {
      await acumatica.close();
    }
    const journals = await startAcumaticaSandbox();
    try {
      journals.edit([['post_invoices_as: ar_documents', 'post_invoices_as: gl_journals']]);
      ok(await journals.run());
    } finally {
      await journals.close();
    }

    // Chargebee → Sage Intacct, then Intacct's payments → Chargebee (the Intacct source, the Chargebee sink).
    const intacct = await startIntacctSandbox();
    try {
      ok(await intacct.run());
      const preflight = await checkPipeline({
        connectors: installedConnectors,
        pipelinePath: intacct.pipelinePath,
        statePath: intacct.statePath,
        env: intacct.env,
        log: silentLogger,
      });
      expect(preflight.exitCode, JSON.stringify(preflight)).toBe(0);
      const reverse = join(intacct.dir, 'reverse.yaml');
      // With a go-live long past: the payments' receipt date (start_date_field, start_date_format) bounds the read.
      writeFileSync(reverse, readFileSync(REVERSE, 'utf8').replace('timezone: UTC\n', 'timezone: UTC\nstart_date: 2000-01-01\n'));
      ok(await runPipeline({ connectors: installedConnectors, pipelinePath: reverse, statePath: intacct.statePath, env: intacct.env, log: silentLogger }));
      // A value a sink field does not accept is reported with the field's `accepts` wording.
      const refused = join(intacct.dir, 'reverse-card.yaml');
      writeFileSync(refused, readFileSync(REVERSE, 'utf8').replace('Credit card: other', 'Credit card: card'));
      const checked = await loadPipeline(refused, { env: intacct.env, mode: 'validate', connectorsDir: installedConnectors.descriptorsDir });
      expect(checked.problems.map((p) => p.code)).toContain('field_value_not_accepted');
    } finally {
      await intacct.close();
    }

    // Chargebee → DualEntry revenue recognition, Chargebee → JSON Lines, and an exported journal file → DualEntry.
    const chargebee = await startFakeChargebee({ customers: 12, seed: 7 });
    const ledger = await startFakeDualEntry();
    try {
      const env = { ...revrecEnv(chargebee, ledger), LEDGERSYNC_OUT: join(work.dir, 'out') };
      const example = (name: string) => join(examplesDir, name);
      const run = (pipelinePath: string, state: string) =>
        runPipeline({ connectors: installedConnectors, pipelinePath, statePath: join(work.dir, state), env, log: silentLogger });
      ok(await run(example('chargebee-revrec-to-dualentry.yaml'), 'revrec.db'));
      const preflight = await checkPipeline({
        connectors: installedConnectors,
        pipelinePath: example('chargebee-revrec-to-dualentry.yaml'),
        statePath: join(work.dir, 'revrec.db'),
        env,
        log: silentLogger,
      });
      expect(preflight.exitCode, JSON.stringify(preflight)).toBe(0);
      ok(await run(example('chargebee-to-jsonl.yaml'), 'jsonl.db'));
      // Chargebee → the sql sink (tables declared in the pipeline; SQLite file in the work folder).
      ok(
        await runPipeline({
          connectors: installedConnectors,
          pipelinePath: join(import.meta.dirname, 'sql', 'chargebee-to-sql.yaml'),
          statePath: join(work.dir, 'sql-state.db'),
          env: { ...env, SQL_PATH: join(work.dir, 'metrics.db') },
          log: silentLogger,
        }),
      );
      // A primary key naming no declared column is reported with the reference rule's wording.
      const badKey = join(work.dir, 'sql-bad-key.yaml');
      writeFileSync(
        badKey,
        readFileSync(join(import.meta.dirname, 'sql', 'chargebee-to-sql.yaml'), 'utf8').replace('primary_key: [id]', 'primary_key: [nope]'),
      );
      const keyCheck = await loadPipeline(badKey, { env, mode: 'validate', connectorsDir: installedConnectors.descriptorsDir });
      expect(keyCheck.problems.map((p) => p.code)).toContain('unknown_reference');

      writeFileSync(join(work.dir, 'journal.csv'), 'Journal,Date,Account,Debit,Credit\nJ-1,2026-10-31,4000,10.00,\nJ-1,2026-10-31,1200,,10.00\n');
      const filePipeline = join(work.dir, 'file-to-dualentry.yaml');
      writeFileSync(
        filePipeline,
        [
          'version: 1',
          'name: file-to-dualentry',
          'source:',
          '  connector: file',
          '  files:',
          '    journals:',
          '      path: journal.csv',
          '      format: csv',
          '      delimiter: ","',
          '      columns:',
          '        journal: { column: Journal, required: true }',
          '        date: { column: Date, type: date, required: true }',
          '        account: { column: Account }',
          '        debit: { column: Debit, type: decimal }',
          '        credit: { column: Credit, type: decimal }',
          '      group_by: journal',
          'sink:',
          '  connector: dualentry',
          '  api_key: ${DUALENTRY_API_KEY}',
          '  company_id: "${DUALENTRY_COMPANY_ID}"',
          '  base_url: ${DUALENTRY_BASE_URL:-}',
          'streams:',
          '  - name: journals',
          '    endpoint: journals',
          '    target: { object: journal_entry }',
          '    mapping:',
          '      expression: |',
          '        { "date": lines[0].date, "memo": "Export " & journal, "currency": "USD",',
          '          "lines": [lines.{ "account_number": account, "debit": debit, "credit": credit }] }',
          '',
        ].join('\n'),
      );
      ok(await run(filePipeline, 'file.db'));
    } finally {
      await Promise.all([chargebee.close(), ledger.close()]);
    }

    const missing: Record<string, string[]> = {};
    for (const name of listConnectors(connectorsDir)) {
      // What the loader reads before a run: the connection block's schema and the pipeline extensions
      // (loadConnector is the recording one here).
      const descriptor = loadConnector(connectorsDir, name)!.descriptor as ConnectorDescriptor;
      ajvOf('lenient').compile(connectionSchema(descriptor));
      for (const file of Object.values(declaredExtensions(descriptor))) void file;

      const declared = declaredLeaves(parse(readFileSync(join(connectorsDir, name, 'connector.yaml'), 'utf8')));
      const left = unread(declared, recorder.reads.get(name) ?? new Set());
      if (left.length) missing[name] = left;
    }
    expect(missing).toEqual({});
  });
});
