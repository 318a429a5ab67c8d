/** What of a payment's mapped applications is still to apply, given what Acumatica has released. */
import { describe, expect, it } from 'vitest';
import { type ApplicationHistory, unreleasedApplications, withApplications } from '../../../connectors/acumatica/applications.js';
import { thrownLedgersyncError } from '../../support/thrown.js';

const HISTORY: ApplicationHistory = {
  pending: 'DocumentsToApply',
  released: 'ApplicationHistory',
  document: { DocType: 'AdjustedDocType', ReferenceNbr: 'AdjustedRefNbr' },
  amount: { AmountPaid: 'AmountPaid' },
};
const released = (ref: string, amount: number | string, type = 'Invoice') => ({ AdjustedDocType: type, AdjustedRefNbr: ref, AmountPaid: amount });
const mapped = (...rows: Array<Record<string, unknown>>) => ({ PaymentRef: 'txn_1', DocumentsToApply: rows });

describe('unreleasedApplications', () => {
  it('keeps every row while nothing is released', () => {
    const rows = [{ DocType: 'Invoice', ReferenceNbr: 'AR000001', AmountPaid: '10.00' }];
    expect(unreleasedApplications(mapped(...rows), {}, HISTORY, 'PM000001')).toEqual(rows);
    expect(unreleasedApplications(mapped(...rows), { ApplicationHistory: [] }, HISTORY, 'PM000001')).toEqual(rows);
  });

  it('drops a row released for its whole amount, matching the document without regard to case', () => {
    const current = { ApplicationHistory: [released('AR000001', 10)] };
    const rows = [
      { DocType: 'invoice', ReferenceNbr: 'ar000001', AmountPaid: '10.00' },
      { DocType: 'Invoice', ReferenceNbr: 'AR000002', AmountPaid: '5.00' },
    ];
    expect(unreleasedApplications(mapped(...rows), current, HISTORY, 'PM000001')).toEqual([rows[1]]);
  });

  it('keeps the rest of a row released for less, summing several released batches exactly', () => {
    const current = { ApplicationHistory: [released('AR000001', 0.1), released('AR000001', '0.2')] };
    expect(unreleasedApplications(mapped({ DocType: 'Invoice', ReferenceNbr: 'AR000001', AmountPaid: '1.00' }), current, HISTORY, 'PM000001')).toEqual([
      { DocType: 'Invoice', ReferenceNbr: 'AR000001', AmountPaid: '0.70' },
    ]);
  });

  it('tells documents apart by type, and drops a row without an amount once its document has a released application', () => {
    const current = { ApplicationHistory: [released('AR000001', 10, 'Debit Memo')] };
    const invoice = { DocType: 'Invoice', ReferenceNbr: 'AR000001', AmountPaid: '10.00' };
    const debitMemo = { DocType: 'Debit Memo', ReferenceNbr: 'AR000001', AmountPaid: '10.00' };
    expect(unreleasedApplications(mapped(invoice, debitMemo), current, HISTORY, 'PM000001')).toEqual([invoice]);
    expect(unreleasedApplications(mapped({ DocType: 'Debit Memo', ReferenceNbr: 'AR000001' }), current, HISTORY, 'PM000001')).toEqual([]);
  });

  it('refuses to lower a released application, naming the document, both amounts and how to reverse it', () => {
    const error = thrownLedgersyncError(() =>
      unreleasedApplications(
        mapped({ DocType: 'Invoice', ReferenceNbr: 'AR000001', AmountPaid: '5.00' }),
        { ApplicationHistory: [released('AR000001', 10)] },
        HISTORY,
        'Acumatica: Payment PM000001 (source record txn_1)',
      ),
    );
    expect(error).toMatchObject({
      code: 'acumatica_application_released',
      kind: 'record',
      details: { document: 'Invoice AR000001', released: '10', wanted: '5.00' },
    });
    expect(error.message).toBe(
      'Acumatica: Payment PM000001 (source record txn_1): 10 is already released to Invoice AR000001, more than the 5.00 the source now applies, and a released application cannot be lowered',
    );
    expect(error.fix).toMatch(/Reverse Application/);
  });

  it('refuses a released application the source removed (lowered to 0), naming the document and both amounts', () => {
    const current = { ApplicationHistory: [released('AR000001', 10), released('AR000002', '10.00')] };
    const error = thrownLedgersyncError(() =>
      unreleasedApplications(
        mapped({ DocType: 'Invoice', ReferenceNbr: 'AR000001', AmountPaid: '10.00' }),
        current,
        HISTORY,
        'Acumatica: Payment PM000001 (source record txn_1)',
      ),
    );
    expect(error).toMatchObject({
      code: 'acumatica_application_released',
      kind: 'record',
      details: { document: 'Invoice AR000002', released: '10.00', wanted: '0' },
    });
    expect(error.message).toBe(
      'Acumatica: Payment PM000001 (source record txn_1): 10.00 is already released to Invoice AR000002, the source no longer applies anything to it (wanted 0), and a released application cannot be lowered',
    );
    expect(error.fix).toMatch(/Reverse Application/);
    // Every application removed: an empty list is no application at all.
    expect(() => unreleasedApplications(mapped(), current, HISTORY, 'PM000001')).toThrow(/AR000001/);
  });

  it('a removed application already reversed in Acumatica (it nets to 0 with its reversal) is left alone, as is a mapping without the collection', () => {
    const current = { ApplicationHistory: [released('AR000001', 10), released('AR000002', '10.00'), released('AR000002', '-10.00')] };
    const row = { DocType: 'Invoice', ReferenceNbr: 'AR000001', AmountPaid: '10.00' };
    expect(unreleasedApplications(mapped(row), current, HISTORY, 'PM000001')).toEqual([]);
    expect(unreleasedApplications({ PaymentRef: 'txn_1' }, { ApplicationHistory: [released('AR000002', 10)] }, HISTORY, 'PM000001')).toEqual([]);
  });

  it('an amount that is no decimal (a float in exponent form) is a transient error, never a guess', () => {
    const error = thrownLedgersyncError(() =>
      unreleasedApplications(
        mapped({ DocType: 'Invoice', ReferenceNbr: 'AR000001', AmountPaid: '10.00' }),
        { ApplicationHistory: [released('AR000001', 1e-7)] },
        HISTORY,
        'PM000001',
      ),
    );
    expect(error).toMatchObject({ code: 'acumatica_unexpected_answer', kind: 'transient' });
  });
});

describe('withApplications', () => {
  it('replaces the rows, leaving the collection out when none is left', () => {
    const record = mapped({ ReferenceNbr: 'AR000001' });
    expect(withApplications(record, HISTORY, [{ ReferenceNbr: 'AR000002' }])).toEqual({
      PaymentRef: 'txn_1',
      DocumentsToApply: [{ ReferenceNbr: 'AR000002' }],
    });
    expect(withApplications(record, HISTORY, [])).toEqual({ PaymentRef: 'txn_1' });
  });
});
