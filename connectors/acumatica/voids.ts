/**
 * What Acumatica does when a released payment or customer refund is voided on Payments and
 * Applications (AR302000), which the sink does when the source voids one: the contract's
 * `VoidPayment` action (ARPaymentEntry.VoidCheck; its body is the entity's keys, with no
 * parameters) creates the voiding document under the same ReferenceNbr, of the type below, and
 * releasing that document (`ReleasePayment`) reverses the payment's applications: the documents it
 * paid are open again. The payment is then Voided. A payment not released yet is deleted instead,
 * as on the form.
 */
import { LedgersyncError } from '../../engine/errors.js';

/** The entity and its action that voids a released document. */
export const VOID_ACTIONS: Readonly<Record<string, string>> = { Payment: 'VoidPayment' };

/** The voiding document each type gets (ARPaymentType.GetVoidingARDocType); a type not here (a credit memo's payment side) is not voided by the sink. */
export const VOIDING_TYPES: Readonly<Record<string, string>> = {
  Payment: 'Voided Payment',
  Prepayment: 'Voided Payment',
  'Customer Refund': 'Voided Refund',
};

export interface VoidRefusal {
  label: string;
  sourceId: string;
  /** The source record was deleted rather than voided. */
  deleted: boolean;
  /** `Payment PM000012`, as Acumatica's screens name it. */
  document: string;
  voidingDocument: string;
  status: string;
  /** What failed: `VoidPayment`, or the release of the voiding document. */
  step: string;
  /** The voiding document is in Acumatica, unreleased. */
  voidingLeft: boolean;
  cause: LedgersyncError;
}

/** A void Acumatica refused (a closed period, a refund applied to the payment…): this record's dead letter. */
export function voidRefused(refusal: VoidRefusal): LedgersyncError {
  const { label, sourceId, deleted, document, voidingDocument, status, step, voidingLeft, cause } = refusal;
  const left = voidingLeft ? `; ${voidingDocument} is in Acumatica, unreleased` : '';
  return new LedgersyncError(
    'acumatica_cannot_void',
    'record',
    `${label}: source record ${sourceId} was ${deleted ? 'deleted' : 'voided'}, and Acumatica refused ${step} of ${document} (${status || 'no status'}): ${cause.message}${left}`,
    {
      fix: `correct what Acumatica names (e.g. open the financial period, or void the customer refund applied to ${document} first): the next run voids it; or void ${document} in Acumatica (Payments and Applications, AR302000: Void, then release ${voidingDocument}), and the next run finds it Voided`,
      details: { document, voiding_document: voidingDocument, status, step, source_id: sourceId, code: cause.code },
      cause,
    },
  );
}
