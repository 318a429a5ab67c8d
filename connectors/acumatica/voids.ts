/**
 * A void of a released payment or customer refund, as on Payments and Applications (AR302000): the
 * descriptor's `void_actions` (VoidPayment) creates the voiding document under the same ReferenceNbr,
 * of the type `voiding_types` names, and releasing it (`ReleasePayment`) reverses the payment's
 * applications: the documents it paid are open again, and the payment is Voided. A payment not
 * released yet is deleted instead, as on the form. This module words what Acumatica refuses.
 */
import { LedgersyncError } from '../../engine/errors.js';

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
