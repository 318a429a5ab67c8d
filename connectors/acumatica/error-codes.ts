/** Error codes of the Acumatica connector; see engine/error-codes.ts. */
import type { ErrorCatalogue } from '../../engine/error-codes.js';

export const acumaticaErrorCodes = {
  codes: {
    acumatica_endpoint_not_found: {
      kind: 'config',
      meaning: 'the tenant does not serve the configured endpoint name and version (HTTP 404); the message lists the versions it serves',
    },
    acumatica_login_failed: { kind: 'auth', meaning: 'Acumatica refused the user name or password (or the tenant name) of the pipeline' },
    acumatica_invalid_client: { kind: 'auth', meaning: "the identity server refused the connected application's client id or secret" },
    acumatica_token_failed: { kind: 'auth', meaning: 'the identity server refused the token request for another reason (scope, grant type)' },
    acumatica_token_unreadable: { kind: 'transient', meaning: 'the identity server answered 200 without a usable access token' },
    acumatica_login_limit: {
      kind: 'transient',
      meaning: 'every API seat of the licence stayed taken (API Login Limit) while the connector waited for one',
    },
    acumatica_not_logged_in: { kind: 'auth', meaning: 'Acumatica answered 401 even after signing in again' },
    acumatica_forbidden: {
      kind: 'auth',
      meaning: "Acumatica answered 403: the integration user's role has no access rights to the entity's screen or the endpoint; the fix names the entity",
    },
    acumatica_refused: {
      kind: 'record',
      meaning: "Acumatica's business rules refused a document (HTTP 422); the message names each field and Acumatica's reason",
    },
    acumatica_invalid_request: {
      kind: 'record',
      meaning: 'the body does not bind to the endpoint contract (HTTP 400 modelState); the message names the field',
    },
    acumatica_action_refused: { kind: 'record', meaning: 'Acumatica refused an action (release) on a document; it stays written, unreleased' },
    acumatica_action_failed: { kind: 'record', meaning: 'a started action (release) ended in failure; the document stays unreleased and is released next run' },
    acumatica_action_unconfirmed: {
      kind: 'transient',
      meaning:
        "the status poll of a started action (release) was answered by something other than Acumatica (a gateway's 502, a 429, a reset): the document is looked up, its status says whether the action completed",
    },
    acumatica_action_timeout: { kind: 'transient', meaning: 'a started action did not complete in time; the next run looks at the document again' },
    acumatica_release_unconfirmed: {
      kind: 'transient',
      meaning:
        "the answer to a released document's release again (after new applications) was lost, its status cannot tell whether it happened, and the descriptor names no application history to read instead (the shipped one has a history for every such document)",
    },
    acumatica_application_released: {
      kind: 'record',
      meaning:
        'the source now applies less to a document than Acumatica has already released to it, or nothing at all (the application removed: wanted 0); a released application must be reversed in Acumatica first',
    },
    acumatica_create_unconfirmed: {
      kind: 'transient',
      meaning:
        'the answer to the create of a document Acumatica numbers was lost and the look-up does not find it yet: it is not created again in that run; the record stays pending and the next run looks it up first',
    },
    acumatica_currency_mismatch: {
      kind: 'record',
      meaning:
        "a document's currency is not its Acumatica customer's, which an Invoice or Credit Memo always takes (the entity has no currency field); refused before anything is sent",
    },
    acumatica_not_found: { kind: 'record', meaning: 'Acumatica has no record with the key the request named (No entity satisfies the condition)' },
    acumatica_error: {
      kind: 'record',
      meaning: 'Acumatica answered a request with its own exception (HTTP 500 PXException), e.g. deleting a released document',
    },
    acumatica_unknown_object: { kind: 'record', meaning: 'a record names an object (entity) this connector does not write' },
    acumatica_unknown_field: { kind: 'record', meaning: "a mapped field is not in the endpoint's contract for that entity; refused before sending" },
    acumatica_invalid_value: {
      kind: 'record',
      meaning:
        "a mapped value does not fit the field's type in the contract (a decimal that is not one, an object for a value…), or a text is longer than the field holds (descriptor field_limits: CustomerOrder and PaymentRef 40), which Acumatica would cut silently; refused before sending",
    },
    acumatica_missing_natural_key: { kind: 'record', meaning: 'the mapped record lacks the field it is looked up by before creating' },
    acumatica_ambiguous_match: { kind: 'record', meaning: 'several Acumatica documents carry the natural key of one record; none is adopted' },
    acumatica_key_collision: {
      kind: 'record',
      meaning:
        "the Acumatica document found by a record's natural key (CustomerOrder, PaymentRef, a GL batch's Description), unknown to the ledger, is another customer's (a GL batch: its first line names another customer): another pipeline's (a second Chargebee site numbering its documents alike) or one entered by hand; it is neither adopted nor changed, and the fix is a key prefix per pipeline",
    },
    acumatica_target_gone: { kind: 'record', meaning: 'the Acumatica document the ledger points at no longer exists (deleted in Acumatica?)' },
    acumatica_cannot_void: {
      kind: 'record',
      meaning:
        "a document voided at the source is still in Acumatica and could not be taken back: an invoice, credit memo or GL batch (this connector voids only payments and refunds), or a payment whose void Acumatica refused; the message names the Acumatica document to void, cancel or reverse there (and, when the void names no customer and found it by its key alone, its customer, as it may be another pipeline's)",
    },
    acumatica_unexpected_answer: { kind: 'transient', meaning: 'Acumatica answered a write without the record or its key; the write is looked up next time' },
  },
  families: {
    acumatica_http_: {
      suffix: 'number',
      example: 'acumatica_http_503',
      kind: ['transient', 'record'],
      meaning: 'Acumatica answered an HTTP error not covered above; 429 and 5xx are retried first',
    },
  },
} as const satisfies ErrorCatalogue;

declare module '../../engine/error-codes.js' {
  interface ErrorCatalogues {
    acumatica: typeof acumaticaErrorCodes;
  }
}
