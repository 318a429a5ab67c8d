/**
 * The metrics example pipeline declares exactly the tables the report reads (domain/metrics/tables.ts):
 * same names, column types, required columns and primary keys, so `ledgersync report` never meets a
 * column the pipeline does not write, nor a type it reads differently.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installedConnectors } from '../../app/registry.js';
import { parseTables } from '../../connectors/sql/tables.js';
import { METRICS_TABLES } from '../../domain/metrics/tables.js';
import { loadPipeline } from '../../engine/config/load.js';
import { ROOT } from '../e2e/helpers.js';

const PIPELINE = join(ROOT, 'pipelines/examples/chargebee-to-metrics.yaml');

describe('pipelines/examples/chargebee-to-metrics.yaml', async () => {
  const { plan, problems } = await loadPipeline(PIPELINE, { connectorsDir: installedConnectors.descriptorsDir, env: {}, mode: 'validate' });

  it('loads without a problem, every expression compiled', () => {
    expect(problems).toEqual([]);
    const expressions = plan!.streams.flatMap((s) => [
      ...(s.filter ? [s.filter] : []),
      ...(s.mapping.kind === 'expression' ? [s.mapping.expression] : s.mapping.fields.map((f) => f.expression)),
    ]);
    expect(expressions.filter((e) => e.engine.kind !== 'compiled').map((e) => e.path)).toEqual([]);
  });

  it("declares the domain's tables, column for column", () => {
    const declared = parseTables(plan!.sink.config['tables']).map((table) => ({
      name: table.name,
      primaryKey: table.primaryKey,
      columns: [
        ...table.columns.map((c) => ({ name: c.name, type: c.type, required: !c.nullable })),
        { name: 'deleted_at', type: 'timestamp', required: false },
      ],
    }));
    const domain = METRICS_TABLES.map((table) => ({
      name: table.name,
      primaryKey: table.primaryKey,
      columns: table.columns.map((c) => ({ name: c.name, type: c.type, required: c.required === true })),
    }));
    const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
    expect(byName(declared).map((t) => ({ ...t, columns: byName(t.columns) }))).toEqual(byName(domain).map((t) => ({ ...t, columns: byName(t.columns) })));
  });

  it('reads the reporting currency and the exchange rates the report converts with', () => {
    expect(plan!.options['reporting_currency']).toBe('USD');
    expect(plan!.lookups['exchange_rates']?.values).toMatchObject({ EUR: '1.0825', 'EUR:2024-03': '1.0870' });
    expect(plan!.lookups['exchange_rates']?.hasDefault).toBe(false);
  });
});
