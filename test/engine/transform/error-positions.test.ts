/**
 * A mapping that fails on a record says where in the file it failed: the line and column of the
 * operator or the call at fault, not the start of the expression, which may be dozens of lines up.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { createBindings } from '../../../engine/transform/bindings.js';
import { interpretedOnly, mapRecord } from '../../../engine/transform/mapper.js';

const dir = mkdtempSync(join(tmpdir(), 'ledgersync-positions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, 'positions.yaml');
writeFileSync(
  file,
  [
    'version: 1',
    'name: positions',
    'source: { connector: chargebee, site: acme-test, api_key: "${CHARGEBEE_API_KEY}" }',
    'sink: { connector: jsonl, dir: out }',
    'lookups:',
    '  codes:',
    '    values: { a: "1" }',
    'streams:',
    '  - name: invoices',
    '    endpoint: invoices',
    '    target: { object: invoices, key: id }',
    '    mapping:',
    '      expression: |',
    '        {',
    '          "id": id,',
    '          "total": total + 1,',
    '          "code": $lookup("codes", kind),',
    '          "stop": stop ? $error("this record asks to stop: " & stop)',
    '        }',
    '',
  ].join('\n'),
);

/** `file:line:column` of the first occurrence of `text` in the pipeline file (1-based, as messages say). */
function placeOf(text: string): string {
  const source = readFileSync(file, 'utf8');
  const at = source.indexOf(text);
  const line = source.slice(0, at).split('\n').length;
  const column = at - source.lastIndexOf('\n', at - 1);
  return `${file}:${line}:${column}`;
}

async function failure(data: Record<string, unknown>, interpreted: boolean): Promise<LedgersyncError> {
  const loaded = await loadPipeline(file, { env: { CHARGEBEE_API_KEY: 'k' }, mode: 'run', connectorsDir: installedConnectors.descriptorsDir });
  if (!loaded.plan) throw new Error(loaded.problems.map((p) => p.message).join('\n'));
  const stream = interpreted ? interpretedOnly(loaded.plan.streams[0]!) : loaded.plan.streams[0]!;
  const { options, lookups, timezone } = loaded.plan;
  const bindings = createBindings({ options, lookups, timezone, resolveTarget: () => undefined });
  const error = await mapRecord(stream, { id: 'inv_1', deleted: false, data: { id: 'inv_1', ...data } }, bindings).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LedgersyncError)) throw new Error(`expected a mapping error, got ${String(error)}`);
  return error;
}

describe.each([
  ['compiled', false],
  ['interpreter', true],
])('a mapping error names its place in the file (%s)', (_, interpreted) => {
  it('an operator applied to a value of the wrong type: the operator', async () => {
    const error = await failure({ total: 'ten', kind: 'a' }, interpreted);
    expect(error.code).toBe('transform_failed');
    expect(error.message).toContain(`(${placeOf('+ 1')})`);
  });

  it('an $error the mapping raises on purpose: its message, and a fix that points to it rather than to the expression', async () => {
    const error = await failure({ total: 10, kind: 'a', stop: 'post it by hand' }, interpreted);
    expect(error.code).toBe('transform_failed');
    expect(error.message).toContain('this record asks to stop: post it by hand');
    expect(error.fix).toBe('the mapping stopped this record on purpose ($error): do what its message says, then re-run; the record will be retried');
  });

  it('a lookup with no entry for the key: the call', async () => {
    const error = await failure({ total: 10, kind: 'b' }, interpreted);
    expect(error.code).toBe('lookup_missing');
    expect(error.message).toContain(placeOf('("codes", kind)'));
  });
});
