import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDescriptorFile, listConnectors } from '../../../engine/config/descriptors.js';
import { tempDir } from '../../e2e/helpers.js';
import { connectorsDir } from '../../connectors/descriptors.js';

const head = `name: ledger
title: Test ledger
description: A sink for settings tests.
roles: [sink]
connection:
  properties: {}
`;

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['batch'],
  properties: {
    batch: { type: 'object', additionalProperties: false, required: ['max_items'], properties: { max_items: { type: 'integer', minimum: 1 } } },
    voidable: { type: 'array', items: { type: 'string' } },
  },
};

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function connector(yaml: string, settingsSchema?: unknown): string {
  const temp = tempDir('ledgersync-descriptor-');
  cleanup = temp.cleanup;
  const dir = join(temp.dir, 'ledger');
  mkdirSync(dir);
  writeFileSync(join(dir, 'connector.yaml'), head + yaml);
  if (settingsSchema !== undefined) writeFileSync(join(dir, 'settings.schema.json'), JSON.stringify(settingsSchema));
  return join(dir, 'connector.yaml');
}

const located = (path: string) =>
  loadDescriptorFile(path, 'ledger').problems.map((p) => ({ code: p.code, line: p.line, column: p.column, path: p.path, message: p.message }));

describe("a connector's own settings", () => {
  it('are checked against settings.schema.json beside the descriptor, each problem at its line', () => {
    const path = connector('settings:\n  batch:\n    max_items: "30"\n  voidable: Invoice\n', schema);
    expect(located(path)).toEqual([
      expect.objectContaining({ line: 9, column: 16, path: '/settings/batch/max_items', message: 'settings.batch.max_items must be an integer, not "30"' }),
      expect.objectContaining({ line: 10, column: 13, path: '/settings/voidable', message: 'settings.voidable must be a list, not "Invoice"' }),
    ]);
    expect(loadDescriptorFile(path, 'ledger').descriptor).toBeUndefined();
  });

  it('load typed when they match', () => {
    const path = connector('settings:\n  batch: { max_items: 30 }\n  voidable: [Invoice]\n', schema);
    const loaded = loadDescriptorFile(path, 'ledger');
    expect(loaded.problems).toEqual([]);
    expect(loaded.descriptor?.settings).toEqual({ batch: { max_items: 30 }, voidable: ['Invoice'] });
  });

  it('need a schema: settings without one are refused at the settings key', () => {
    const path = connector('settings:\n  batch: { max_items: 30 }\n');
    expect(located(path)).toEqual([
      expect.objectContaining({ code: 'descriptor_settings', line: 7, column: 1, message: expect.stringContaining('add settings.schema.json') }),
    ]);
  });

  it("need no schema for the engine's own pipeline_extensions", () => {
    const path = connector('settings:\n  pipeline_extensions: { block: block.schema.json }\n');
    writeFileSync(join(path, '../block.schema.json'), '{"type":"object"}');
    const loaded = loadDescriptorFile(path, 'ledger');
    expect(loaded.problems).toEqual([]);
    expect(loaded.extensions.map((e) => e.key)).toEqual(['block']);
  });

  it('of every shipped connector pass their schema', () => {
    for (const name of listConnectors(connectorsDir)) {
      expect(loadDescriptorFile(join(connectorsDir, name, 'connector.yaml'), name).problems, name).toEqual([]);
    }
  });
});
