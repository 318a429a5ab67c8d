/**
 * `ledgersync plan` for a sink that cannot look anything up (no `plan()`): the ledger decides. A
 * void or delete of a document the ledger never wrote is nothing to do (skip, counted, not listed);
 * one of a document it wrote names that document.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { planPipeline } from '../../../engine/run/change-plan.js';
import { runPipeline } from '../../../engine/run/runner.js';

const dir = mkdtempSync(join(tmpdir(), 'ledgersync-plan-ledger-only-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const input = join(dir, 'rows.in.jsonl');
const pipelinePath = join(dir, 'rows.yaml');
const statePath = join(dir, 'state.db');

function rows(...list: Array<{ id: string; action: string }>): void {
  writeFileSync(input, `${list.map((r) => JSON.stringify(r)).join('\n')}\n`);
}

writeFileSync(
  pipelinePath,
  `version: 1
name: ledger-only
source:
  connector: file
  files:
    rows:
      path: rows.in.jsonl
      format: jsonl
      id_columns: [id]
      columns:
        id: { column: id, required: true }
        action: { column: action }
sink:
  connector: jsonl
  dir: ${JSON.stringify(join(dir, 'out'))}
streams:
  - name: rows
    endpoint: rows
    target: { object: rows, key: id }
    mapping:
      expression: |
        { "id": id, "_action": action }
`,
);

const options = { connectors: installedConnectors, pipelinePath, statePath, env: {}, log: silentLogger };

describe('plan from the ledger alone', () => {
  it('a void or delete of what the ledger never wrote is a skip; of what it wrote, a void or delete of that document', async () => {
    rows({ id: 'written-then-voided', action: 'upsert' }, { id: 'written-then-deleted', action: 'upsert' });
    expect((await runPipeline(options)).exitCode).toBe(0);

    rows(
      { id: 'written-then-voided', action: 'void' },
      { id: 'written-then-deleted', action: 'delete' },
      { id: 'never-written-voided', action: 'void' },
      { id: 'never-written-deleted', action: 'delete' },
    );
    const plan = await planPipeline(options);
    expect(plan.notes.join('\n')).toContain('decided from the ledger alone');
    const changes = plan.changes.map((c) => [c.sourceId, c.action, c.targetId]);
    expect(changes).toEqual([
      ['written-then-voided', 'void', 'rows.jsonl:1'],
      ['written-then-deleted', 'delete', 'rows.jsonl:2'],
    ]);
    expect(plan.streams['rows']).toMatchObject({ void: 1, delete: 1, skip: 2 });
  });
});
