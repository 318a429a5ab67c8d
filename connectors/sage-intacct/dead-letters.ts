/**
 * The dead letters the Sage Intacct sink writes for a record it cannot settle, each naming the
 * document, what Intacct holds and a step a person can take there (or in the source) after which the
 * next run settles the record.
 */
import type { SinkRecord, SinkResult } from '../../engine/connector/types.js';
import { LedgersyncError } from '../../engine/errors.js';
import { sameDecimal } from '../../domain/money/decimal.js';
import { intacctError } from './errors.js';
import { itemsOf, type Planned } from './planned.js';
import type { IntacctError } from './xml.js';
import { describeCharacter, forbiddenValueIn, strippingPatternFor } from './xml-characters.js';

/**
 * A mapped value holding a character XML 1.0 forbids: Intacct could not parse a request carrying it
 * and would refuse every record of it, so this record is refused alone, before its look-up.
 */
export function forbiddenCharacterError(record: SinkRecord, key: string): LedgersyncError | undefined {
  const found = forbiddenValueIn(record.data);
  if (!found) return undefined;
  const strip = strippingPatternFor(found.codePoint);
  return new LedgersyncError(
    'intacct_forbidden_character',
    'record',
    `${record.object} ${key} (source record ${record.sourceId}): ${found.path} holds ${describeCharacter(found.codePoint)} at character ${found.position + 1}, which XML 1.0 forbids: Sage Intacct cannot read a request that holds it`,
    {
      details: { sourceId: record.sourceId, object: record.object, field: found.path, codePoint: found.codePoint, position: found.position },
      fix: `remove the character from the source record, or strip ${strip.removes} in the mapping of ${found.path}: $replace(<its expression>, ${strip.pattern}, ''); the record is sent again on the next run`,
    },
  );
}

function mappedTotalOf(p: Planned): string | undefined {
  try {
    return p.spec.total?.(p.record.data);
  } catch {
    // An unreadable amount is reported when the function is built; nothing to compare here.
    return undefined;
  }
}

/**
 * A create refused while a reversed document holds the record's key: Intacct can refuse a document
 * number again after a reversal (duplicate document numbers), which no run can get past.
 */
export function numberHeldByReversal(p: Planned, refused: LedgersyncError): LedgersyncError {
  const { record, spec, key } = p;
  return new LedgersyncError(refused.code, refused.kind, refused.message, {
    details: { ...refused.details, reversedRecordNo: p.reversedUnderKey },
    fix: `${refused.fix ?? ''} ${record.object} ${key} was reversed in Intacct (RECORDNO ${p.reversedUnderKey}), and a reversed document keeps its ${spec.naturalKey}: if Intacct refused it as a duplicate number, allow duplicate numbers in the module's configuration in Intacct and re-run (the next run posts this version), or post this version there by hand under another number and map source record ${record.sourceId} to _action "skip". Delete such a document in Intacct rather than reverse it, where Intacct lets you: a deleted one frees its number`.trim(),
    ...(refused.mayHaveSucceeded ? { mayHaveSucceeded: true } : {}),
  });
}

/** How a person takes back in Intacct a document no update can correct, so that the next run posts the record's version. */
function takeBackStep(p: Planned, recordNo: string): string {
  const { record, spec, key } = p;
  const document = `${record.object} ${key} (RECORDNO ${recordNo})`;
  return spec.voiding?.verb === 'delete'
    ? `delete ${document} in Intacct (its applications reversed first)`
    : `reverse ${document} in Intacct${spec.voiding?.function === 'reverse_bill' ? ' (its payments reversed first), or delete it there where Intacct lets you (a deleted bill frees its number)' : ''}`;
}

/**
 * A record the ledger holds, changed since, of a document no update can correct, which Intacct still
 * holds: a dead letter naming what to do there. Each run looks the document up again (`repostable`):
 * once it is reversed or gone, that run posts this version.
 */
export function changedAfterPosting(p: Planned): LedgersyncError {
  const { record, spec, key } = p;
  const recordNo = record.previous!.targetId!;
  return new LedgersyncError(
    'intacct_update_unsupported',
    'record',
    `${record.object} ${key} (RECORDNO ${recordNo}, source record ${record.sourceId}) changed after it was posted, and ${spec.immutable ?? 'Intacct cannot update it'}`,
    {
      details: { sourceId: record.sourceId, targetId: recordNo },
      fix: spec.voiding
        ? `${takeBackStep(p, recordNo)}, dated in an open period; the next run finds it taken back and posts this version, once. Taking it back in Intacct also takes back what applies it (its applications, a bill's payments): once it is posted anew, run \`ledgersync run <pipeline> --full-refresh\` once, so the records that refer to it follow its new RECORDNO. If the document Intacct holds is right, correct source record ${record.sourceId} to it instead: the next run then has nothing to write`
        : `correct source record ${record.sourceId} to what Intacct holds for ${record.object} ${key}: the next run then has nothing to write`,
    },
  );
}

/**
 * A create in doubt found in Intacct, of a document no update can correct (a payment, a credit memo,
 * an application, a bill): the record may have changed since that create. It is adopted when Intacct
 * holds what this version posts, as far as the look-up reads it: an application is found only when
 * Intacct applies every item, amount for amount; any other document by its total. Otherwise it is a
 * dead letter naming both totals (or the document to check), still flagged pending, so each retry
 * looks the document up again and adopts it once Intacct holds this version.
 */
export function createdInDoubt(p: Planned, targetId: string): SinkResult {
  const { record, spec, key } = p;
  const recordNo = p.recordNo!;
  if (!spec.lookup) return { status: 'created', targetId, targetVersion: recordNo };
  const mapped = mappedTotalOf(p);
  const held = p.heldTotal;
  if (mapped !== undefined && held !== undefined && sameDecimal(mapped, held)) return { status: 'created', targetId, targetVersion: recordNo };
  const document = `${record.object} ${key} (RECORDNO ${recordNo})`;
  const compared = mapped !== undefined && held !== undefined;
  const how = p.replaces
    ? `the document the ledger holds (RECORDNO ${p.replaces}) is taken back there, and another stands under its ${spec.naturalKey}`
    : 'a run whose answer was lost created it in Intacct';
  const what = compared
    ? `it holds a total of ${held} there, and this version of the record ${mapped}`
    : `the look-up cannot tell whether it holds this version (${held === undefined ? 'Intacct listed no total' : 'the record maps no total'})`;
  return {
    status: 'failed',
    error: new LedgersyncError(
      'intacct_update_unsupported',
      'record',
      `${document}, source record ${record.sourceId}: ${how}, and ${what}; ${spec.immutable ?? 'Intacct cannot update it'}`,
      {
        details: { sourceId: record.sourceId, object: record.object, naturalKey: key, recordNo, heldTotal: held ?? null, mappedTotal: mapped ?? null },
        mayHaveSucceeded: true,
        fix: compared
          ? `${takeBackStep(p, recordNo)}, dated in an open period: the next run finds it taken back and posts this version (a total of ${mapped}), once. Or ${spec.voiding?.verb ?? 'reverse'} it there, post this version by hand under ${spec.naturalKey} ${key} (a total of ${mapped}): the next run adopts it. If Intacct's total (${held}) is the right one, correct source record ${record.sourceId} to it instead: the next run adopts the document`
          : `the look-up cannot compare ${document} with source record ${record.sourceId}, so it is a dead letter on every run while it stands: ${takeBackStep(p, recordNo)}, dated in an open period, and the next run posts this version, once`,
      },
    ),
  };
}

/**
 * An application whose payment already applies one of its invoices in Intacct, but not amount for
 * amount: a create in doubt that landed before the record changed (50.00 applied, 60.00 mapped now),
 * or an application made by hand. apply_arpayment would add a second application of the payment to
 * that invoice (its control id is new, as the content changed), and none can be changed through the
 * API, so it is a dead letter naming what to reverse. A create in doubt stays pending, so every retry
 * compares again, as createdInDoubt does for other documents; it is never sent while Intacct applies
 * the payment to one of its invoices otherwise.
 */
export function appliedDifferently(p: Planned, held: readonly Record<string, string>[]): LedgersyncError {
  const { record, key } = p;
  const inDoubt = Boolean(record.previous?.pendingWrite);
  const heldBy = (invoiceKey: string) => held.filter((d) => d['RECORDKEY'] === invoiceKey);
  const compared = itemsOf(p)
    .map((item) => {
      const there = heldBy(item.invoicekey);
      const applied = there.length === 0 ? 'nothing' : there.map((d) => d['TRX_PAYMENTAMOUNT']).join(' and ');
      return `to invoice RECORDNO ${item.invoicekey}: ${applied} there, ${item.amount} in this version of the record`;
    })
    .join('; ');
  const toReverse = held.map((d) => `${d['TRX_PAYMENTAMOUNT']} to invoice RECORDNO ${d['RECORDKEY']} (payment detail RECORDNO ${d['RECORDNO']})`).join(', ');
  const how = inDoubt
    ? 'a run whose answer was lost applied it in Intacct'
    : record.previous?.targetId
      ? 'it changed after an earlier version was applied in Intacct'
      : 'Intacct applies it already (by hand, or by a run this ledger does not record)';
  return new LedgersyncError(
    'intacct_update_unsupported',
    'record',
    `${record.object} ${key} (source record ${record.sourceId}): ${how}, at other amounts than this version: AR payment or credit memo RECORDNO ${key} applies ${compared}; an application of a payment or credit memo cannot be changed through the API, and applying it again would apply the payment twice to one invoice`,
    {
      details: { sourceId: record.sourceId, object: record.object, paymentKey: key, applied: held, mapped: itemsOf(p) },
      mayHaveSucceeded: inDoubt,
      fix: `in Intacct, reverse by hand the application of AR payment or credit memo RECORDNO ${key}: ${toReverse} (Accounts Receivable > Payments: reverse that applied payment or credit, dated in an open period), leaving the payment or credit memo itself posted; the next run then applies this version. If Intacct's amount is the right one, correct the source record instead`,
    },
  );
}

/** Why `plan` adopts a create in doubt (createdInDoubt). */
export function adoptionNote(p: Planned | undefined): string {
  return p?.spec.lookup
    ? `an interrupted run wrote it; Intacct holds this version's total (${p.heldTotal})`
    : 'an interrupted run wrote it; Intacct applies every item, amount for amount';
}

/** A request still unanswered after the retry policy: its records stay pending, and the next run looks them up first. */
export function stillInDoubt(error: LedgersyncError, p: Planned, attempts: number): LedgersyncError {
  return new LedgersyncError(
    error.code,
    error.kind === 'record' ? 'transient' : error.kind,
    `${p.record.object} ${p.key} (source record ${p.record.sourceId}) may have been written and is still unconfirmed after ${attempts} attempts: ${error.message}`,
    {
      details: error.details,
      cause: error,
      mayHaveSucceeded: true,
      fix: 'Intacct or the network in front of it is failing; the next run looks the record up before writing it again',
    },
  );
}

/** Fixes for a void Intacct refused, by object: what a person does in Intacct before the record is retried. */
const voidFixes: Readonly<Record<string, (key: string, recordNo: string) => string>> = {
  ARINVOICE: (key, recordNo) =>
    `if the payments applied to Intacct invoice ${key} (RECORDNO ${recordNo}) were voided in Chargebee too, nothing: this run reverses them after the invoices, and the next run reverses the invoice; otherwise reverse its payments and credits in Intacct first (Accounts Receivable > Posted payments > Reverse), or the invoice there by hand. The record is retried on the next run, and one found reversed is settled`,
  ARPAYMENT: (key, recordNo) =>
    `reverse AR payment ${key} (RECORDNO ${recordNo}) in Intacct by hand (Accounts Receivable > Posted payments > Reverse), dated in an open period; the record is retried on the next run, and one found reversed is settled`,
  APBILL: (key, recordNo) =>
    `if the AP payment of bill ${key} (RECORDNO ${recordNo}) was voided at the source too, nothing: the next run reverses the bill once it is reversed; otherwise reverse the AP payments of the bill in Intacct first (Accounts Payable > Posted payments > Reverse), or the bill there by hand. The record is retried on the next run, and one found reversed is settled`,
  APPAYMENT: (key, recordNo) =>
    `reverse AP payment '${key}' (RECORDNO ${recordNo}) in Intacct by hand (Accounts Payable > Posted payments > Reverse), dated in an open period; the record is retried on the next run, and one found reversed is settled`,
  ARADJUSTMENT: (key, recordNo) =>
    `reverse the applications of credit memo ${key} (RECORDNO ${recordNo}) in Intacct first, or delete it there by hand; the record is retried on the next run, and one found gone is settled`,
};

/**
 * A void of an application Intacct still holds: no SDK function takes back one application of a
 * payment or credit memo (ArPaymentReverse reverses the whole payment, and with it every other
 * application), so the dead letter names the application for a person to reverse in Intacct.
 */
export function voidByHand(p: Planned): LedgersyncError {
  const { record, key } = p;
  const memo = typeof record.data['memo'] === 'string' && record.data['memo'] ? ` (memo '${record.data['memo']}')` : '';
  const applied = (p.held ?? [])
    .map((d) => `${d['TRX_PAYMENTAMOUNT']} to invoice RECORDNO ${d['RECORDKEY']} (payment detail RECORDNO ${d['RECORDNO']})`)
    .join(', ');
  return new LedgersyncError(
    'intacct_void_by_hand',
    'record',
    `${record.object} ${key} (source record ${record.sourceId}) was voided at the source, and Sage Intacct's API cannot take back one application of a payment or credit memo: AR payment or credit memo RECORDNO ${key} still applies ${applied}${memo}`,
    {
      details: { sourceId: record.sourceId, object: record.object, paymentKey: key, applied: p.held ?? [] },
      fix: `in Intacct, reverse by hand the application of AR payment or credit memo RECORDNO ${key}: ${applied} (Accounts Receivable > Payments: reverse that applied payment or credit, dated in an open period), leaving the payment or credit memo itself posted; the record is retried on every run and settled once the application is gone`,
    },
  );
}

/** Intacct refused to void a document voided at the source: the dead letter names the document and what to do there. */
export function voidRefused(p: Planned, errors: readonly IntacctError[]): LedgersyncError {
  const { record, spec, key } = p;
  const recordNo = p.recordNo!;
  const voiding = spec.voiding!;
  const aborted = errors.length > 0 && errors.every((e) => e.errorno === 'BL01001973' || e.errorno === 'XL03000009');
  return intacctError(
    aborted ? 'transient' : 'record',
    `Sage Intacct refused to ${voiding.verb} ${record.object} ${key} (RECORDNO ${recordNo}, ${voiding.function}), which source record ${record.sourceId} voided`,
    errors,
    { sourceId: record.sourceId, object: record.object, naturalKey: key, recordNo },
    (voidFixes[record.object] ?? ((k: string, n: string) => `${voiding.verb} ${record.object} ${k} (RECORDNO ${n}) in Intacct by hand`))(key, recordNo),
  );
}
