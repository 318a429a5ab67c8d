/** A loaded pipeline whose one `customers` stream maps with `expression`: for tests of the mapping helpers on both engines. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedConnectors } from '../../app/registry.js';
import { loadPipeline } from '../../engine/config/load.js';
import type { Plan, StreamPlan } from '../../engine/config/plan.js';
import { createBindings } from '../../engine/transform/bindings.js';
import { interpretedOnly } from '../../engine/transform/mapper.js';

export async function oneStream(expression: string, options: { timezone?: string; extra?: string[] } = {}): Promise<{ stream: StreamPlan; plan: Plan }> {
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-one-stream-'));
  try {
    const file = join(dir, 'one-stream.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: one-stream',
        `timezone: ${options.timezone ?? 'UTC'}`,
        'source: { connector: chargebee, site: acme-test, api_key: "${CHARGEBEE_API_KEY}" }',
        'sink: { connector: jsonl, dir: out }',
        ...(options.extra ?? []),
        'streams:',
        '  - name: customers',
        '    endpoint: customers',
        '    target: { object: customers, key: id }',
        '    mapping:',
        '      expression: |',
        ...expression.split('\n').map((line) => `        ${line}`),
        '',
      ].join('\n'),
    );
    // The plan holds all it needs once loaded: the file and its directory go at once.
    const loaded = await loadPipeline(file, { env: { CHARGEBEE_API_KEY: 'k' }, mode: 'run', connectorsDir: installedConnectors.descriptorsDir });
    if (!loaded.plan) throw new Error(loaded.problems.map((p) => p.message).join('\n'));
    return { stream: loaded.plan.streams[0]!, plan: loaded.plan };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The run's bindings for `plan`, with `targets` as the ledger's `stream/sourceId → target id`. */
export const bindingsFor = (plan: Plan, targets: Record<string, string> = {}) =>
  createBindings({ options: plan.options, lookups: plan.lookups, timezone: plan.timezone, resolveTarget: (stream, id) => targets[`${stream}/${id}`] });

/** Each test runs on the compiled closures (the default) and on the interpreter alone (LEDGERSYNC_JSONATA=interpreter). */
export const ENGINES = [
  ['compiled', (s: StreamPlan) => s],
  ['interpreted', interpretedOnly],
] as const;

/** The outcome, or the error's code, message and fix, so a failing assertion shows why. */
export const settled = <T>(promise: Promise<T>): Promise<T | { error: string; message: string; fix: string | undefined }> =>
  promise.catch((e: unknown) => ({
    error: String((e as { code?: unknown }).code),
    message: String((e as Error).message),
    fix: (e as { fix?: string }).fix,
  }));
