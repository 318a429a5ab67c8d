/**
 * Dead letters a person can work through: one customer refused by QuickBooks and the five invoices
 * that wait for it are one cause, not six, with the invoices under the customer that blocks them.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { filterCauses, formatCauses, groupDeadLetters } from '../../../engine/run/dead-letters.js';
import { showStatus } from '../../../engine/run/status.js';
import { StateStore } from '../../../engine/state/store.js';
import { JSONL_PIPELINE, tempDir } from '../../e2e/helpers.js';

const PIPELINE = 'chargebee-to-jsonl';

function duplicateName(id: string) {
  return new LedgersyncError('qbo_6240', 'record', `QuickBooks refused customer ${id}: Duplicate Name Exists Error`, {
    fix: 'the name is already used by another customer, vendor or employee; change the DisplayName expression or rename the other record in QBO',
  });
}

function waitingFor(stream: string, id: string) {
  return new LedgersyncError('reference_not_synced', 'record', `${stream} record '${id}' has not been synced to the target yet`, {
    fix: `fix the ${stream} record '${id}' (see its dead letter, if any) and re-run; this record will be retried`,
    details: { stream, sourceId: id },
  });
}

function missingLookup(key: string) {
  return new LedgersyncError('lookup_missing', 'record', `no entry for '${key}' in lookup table 'payment_methods'`, {
    fix: 'add the key under lookups.payment_methods.values (pipeline.yaml:31) or give the table a default',
  });
}

/** One refused customer blocking five invoices, one invoice waiting for a customer never read, two transactions with a missing lookup. */
function seed(state: StateStore): void {
  const put = (stream: string, sourceId: string, error: LedgersyncError) =>
    state.putDeadLetter(PIPELINE, 'run-1', { stream, sourceId, sourceVersion: '1', record: { id: sourceId }, deleted: false, error });
  put('customers', 'cus_acme', duplicateName('cus_acme'));
  for (const n of [1, 2, 3, 4, 5]) put('invoices', `inv_${n}`, waitingFor('customers', 'cus_acme'));
  put('invoices', 'inv_orphan', waitingFor('customers', 'cus_gone'));
  put('transactions', 'txn_1', missingLookup('paypal'));
  put('transactions', 'txn_2', missingLookup('paypal'));
}

let work: ReturnType<typeof tempDir>;
let statePath: string;
beforeEach(() => {
  work = tempDir();
  statePath = join(work.dir, 'state.db');
  const state = StateStore.open(statePath);
  seed(state);
  state.close();
});
afterEach(() => work.cleanup());

function letters() {
  const state = StateStore.open(statePath);
  try {
    return state.deadLetters(PIPELINE);
  } finally {
    state.close();
  }
}

async function status(extra: { json?: boolean; stream?: string; code?: string; limit?: number } = {}) {
  let text = '';
  const out = {
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  const exitCode = await showStatus({ connectors: installedConnectors, pipelinePath: JSONL_PIPELINE, statePath, json: false, out, ...extra });
  return { exitCode, text };
}

describe('grouping dead letters by cause', () => {
  it('puts the five invoices waiting for a refused customer under that customer, not beside it', () => {
    const causes = groupDeadLetters(letters());
    expect(causes.map((c) => [c.code, c.count, c.blocked.length])).toEqual([
      ['qbo_6240', 1, 5],
      ['lookup_missing', 2, 0],
      ['reference_not_synced', 1, 0],
    ]);
    const [customer] = causes;
    expect(customer!.records).toEqual([{ stream: 'customers', source_id: 'cus_acme' }]);
    expect(customer!.blocked.map((b) => b.source_id)).toEqual(['inv_1', 'inv_2', 'inv_3', 'inv_4', 'inv_5']);
    expect(customer!.blocked.every((b) => b.blocked_by.source_id === 'cus_acme')).toBe(true);
    // The invoice that waits for a customer that is no dead letter stays a cause, with a fix that fits every such record.
    expect(causes[2]!.records).toEqual([{ stream: 'invoices', source_id: 'inv_orphan' }]);
    expect(causes[2]!.fix).toMatch(/^the customers records they point to are not in the target/);
  });

  it('follows a chain of waiting records to the record that failed for a reason of its own', () => {
    const state = StateStore.open(statePath);
    state.putDeadLetter(PIPELINE, 'run-1', {
      stream: 'credit_notes',
      sourceId: 'cn_1',
      sourceVersion: '1',
      record: {},
      deleted: false,
      error: waitingFor('invoices', 'inv_1'),
    });
    state.close();
    const [customer] = groupDeadLetters(letters());
    expect(customer!.blocked.find((b) => b.source_id === 'cn_1')).toEqual({
      stream: 'credit_notes',
      source_id: 'cn_1',
      blocked_by: { stream: 'invoices', source_id: 'inv_1' },
    });
  });

  it('prints each cause once with its count, fix, and example ids', () => {
    const lines = formatCauses(groupDeadLetters(letters()), 3);
    expect(lines.slice(0, 4)).toEqual([
      '  [qbo_6240] 1 customers record(s), blocking 5 more: QuickBooks refused customer cus_acme: Duplicate Name Exists Error',
      '    fix: the name is already used by another customer, vendor or employee; change the DisplayName expression or rename the other record in QBO',
      '    customers: cus_acme',
      '      customers cus_acme blocks 5: invoices inv_1, invoices inv_2, invoices inv_3 and 2 more',
    ]);
    expect(lines.filter((l) => l.includes('fix: add the key under lookups.payment_methods'))).toHaveLength(1);
    expect(lines).toContain('    transactions: txn_1, txn_2');
  });

  it('filters by stream (a blocked record counts) and by code', () => {
    const causes = groupDeadLetters(letters());
    expect(filterCauses(causes, { stream: 'invoices' }).map((c) => c.code)).toEqual(['qbo_6240', 'reference_not_synced']);
    expect(filterCauses(causes, { code: 'lookup_missing' }).map((c) => c.count)).toEqual([2]);
    expect(filterCauses(causes, { stream: 'transactions', code: 'qbo_6240' })).toEqual([]);
  });
});

describe('ledgersync status', () => {
  it('shows dead letters by cause, the blocked invoices under their customer', async () => {
    const { exitCode, text } = await status();
    expect(exitCode).toBe(0);
    expect(text).toContain('dead letters (retried on every run): 9, 3 cause(s)\n');
    expect(text).toContain('      customers cus_acme blocks 5: invoices inv_1, invoices inv_2, invoices inv_3 and 2 more\n');
    expect(text.match(/fix: the name is already used/g)).toHaveLength(1);
  });

  it('takes --code, --stream and --limit', async () => {
    const byCode = await status({ code: 'lookup_missing' });
    expect(byCode.text).toContain('dead letters (retried on every run): 2 of 9 match --code lookup_missing, 1 cause(s)\n');
    expect(byCode.text).not.toContain('qbo_6240');
    const wide = await status({ stream: 'invoices', limit: 10 });
    expect(wide.text).toContain('customers cus_acme blocks 5: invoices inv_1, invoices inv_2, invoices inv_3, invoices inv_4, invoices inv_5\n');
    expect(wide.text).not.toContain('lookup_missing');
  });

  it('refuses a --stream the pipeline does not have, naming the streams it has', async () => {
    const { exitCode, text } = await status({ stream: 'invoice' });
    expect(exitCode).toBe(2);
    expect(text).toBe("error: pipeline chargebee-to-jsonl has no stream 'invoice' Fix: use one of: customers, invoices, credit_notes, transactions\n");
  });

  it('--json lists every dead letter in snake_case with ISO times, and the causes', async () => {
    const { text } = await status({ json: true });
    const report = JSON.parse(text) as Record<string, unknown>;
    const dead = report['dead_letters'] as Array<Record<string, unknown>>;
    expect(dead).toHaveLength(9);
    expect(report['dead_letter_count']).toBe(9);
    const invoice = dead.find((d) => d['source_id'] === 'inv_3')!;
    expect(invoice).toMatchObject({ stream: 'invoices', error_code: 'reference_not_synced', blocked_by: { stream: 'customers', source_id: 'cus_acme' } });
    expect(new Date(String(invoice['updated_at'])).toISOString()).toBe(invoice['updated_at']);
    const causes = report['dead_letter_causes'] as Array<Record<string, unknown>>;
    expect(causes[0]).toMatchObject({ code: 'qbo_6240', count: 1 });
    expect(causes[0]!['blocked']).toHaveLength(5);
    const keys = JSON.stringify(report).match(/"[a-zA-Z_]+":/g) ?? [];
    for (const k of keys) expect(k, 'a camelCase key').not.toMatch(/[a-z][A-Z]/);
  });
});
