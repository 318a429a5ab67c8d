/** Error codes of the QuickBooks Online connector; see engine/error-codes.ts. */
import type { ErrorCatalogue } from '../../engine/error-codes.js';

export const quickbooksErrorCodes = {
  codes: {
    qbo_invalid_client: { kind: 'auth', meaning: 'Intuit rejected QBO_CLIENT_ID / QBO_CLIENT_SECRET' },
    qbo_refresh_token_rejected: { kind: 'auth', meaning: 'Intuit rejected the refresh token (app disconnected, token expired or already rotated): reconnect' },
    qbo_refresh_answer_lost: {
      kind: 'auth',
      meaning:
        'Intuit refused the refresh token after the answer to its redemption was lost: the rotated token never arrived; reconnect (the attempt is recorded, so every run says so)',
    },
    qbo_token_failed: { kind: 'auth', meaning: "Intuit's token endpoint refused the refresh: reconnect the company" },
    qbo_token_unavailable: {
      kind: 'transient',
      meaning: "Intuit's token endpoint is unavailable (5xx, 429) or its answer was lost; a lost redemption is recorded and tried again with the same token",
    },
    qbo_token_unreadable: { kind: 'transient', meaning: "Intuit's token endpoint answered 200 without a usable access token" },
    qbo_authentication_failed: { kind: 'auth', meaning: 'QuickBooks refused the access token even after a refresh: reconnect' },
    qbo_forbidden: { kind: 'auth', meaning: 'the connected user has no access to this company' },
    qbo_batch_incomplete: {
      kind: 'transient',
      meaning: 'a batch answer lacks one of its items; that write may have happened and is looked up before it is sent again',
    },
    qbo_unexpected_answer: {
      kind: 'transient',
      meaning: 'QuickBooks answered a write without the entity; it may have happened and is looked up before it is sent again',
    },
    qbo_unknown_object: { kind: 'record', meaning: 'a record names an object this connector does not write' },
    qbo_cannot_void: { kind: 'record', meaning: 'the mapping asks to void an object QuickBooks cannot void' },
    qbo_tax_inclusive_us: {
      kind: 'record',
      meaning:
        'a tax-inclusive document for a US company, where QuickBooks takes no tax-inclusive amounts; refused rather than posted with its tax counted twice',
    },
    qbo_cannot_delete: { kind: 'record', meaning: 'the mapping asks to delete an object QuickBooks does not delete' },
    qbo_field_too_long: { kind: 'record', meaning: 'a mapped field is longer than QuickBooks allows (DocNumber 21…); refused, never truncated' },
    qbo_missing_natural_key: { kind: 'record', meaning: 'the mapped record lacks the field it is looked up by before creating' },
    qbo_name_taken: {
      kind: 'record',
      meaning:
        'a customer or item name is already used in QuickBooks by a document ledgersync did not write for this pipeline; the record is not created under another name',
    },
    qbo_target_gone: { kind: 'record', meaning: 'the QuickBooks record the ledger points at no longer exists (deleted in QuickBooks?)' },
    qbo_no_result: { kind: 'system', meaning: 'a record got no outcome from a batch (a connector bug)' },
    invalid_descriptor: { kind: 'system', meaning: "the QuickBooks descriptor lacks settings or auth the connector's code needs (a connector bug)" },
  },
  families: {
    qbo_: {
      suffix: 'text',
      example: 'qbo_6240',
      kind: ['record'],
      meaning: "QuickBooks refused a document: its fault code after the prefix, with QuickBooks' message and the fix for known codes",
    },
    qbo_http_: {
      suffix: 'number',
      example: 'qbo_http_503',
      kind: ['transient', 'record'],
      meaning: 'QuickBooks answered an HTTP error without a fault body; 429 and 5xx are retried first',
    },
  },
} as const satisfies ErrorCatalogue;

declare module '../../engine/error-codes.js' {
  interface ErrorCatalogues {
    'quickbooks-online': typeof quickbooksErrorCodes;
  }
}
