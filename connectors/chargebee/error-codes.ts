/** Error codes of the Chargebee connector; see engine/error-codes.ts. */
import type { ErrorCatalogue } from '../../engine/error-codes.js';

export const chargebeeErrorCodes = {
  codes: {
    chargebee_auth_failed: { kind: 'auth', meaning: 'Chargebee rejected the API key (wrong site, a test key on a live site, revoked)' },
    chargebee_forbidden: { kind: 'auth', meaning: 'the API key lacks the access a request needs (a read-only key cannot record payments)' },
    chargebee_site_not_found: { kind: 'config', meaning: 'no Chargebee site of that name (CHARGEBEE_SITE or base_url is wrong)' },
    chargebee_catalog_mismatch: { kind: 'config', meaning: "a stream reads a resource of the other Product Catalog version than the site's" },
    chargebee_no_transaction: {
      kind: 'transient',
      meaning: 'record_payment answered without a transaction; it may have been recorded and is looked up next time',
    },
    invalid_offline_payment: { kind: 'record', meaning: 'a mapped offline payment lacks what Chargebee needs to record it (invoice, amount, date…)' },
    offline_payment_currency_mismatch: {
      kind: 'record',
      meaning: "an offline payment is in another currency than the Chargebee invoice it pays (record_payment takes the amount in the invoice's currency)",
    },
    unknown_chargebee_object: { kind: 'record', meaning: 'a record for the Chargebee sink names an object other than offline_payment' },
  },
  families: {
    chargebee_: {
      suffix: 'text',
      example: 'chargebee_resource_not_found',
      kind: ['transient', 'config', 'record'],
      meaning: "Chargebee refused a request: its own api_error_code after the prefix (http_ and the status when it gives none), with Chargebee's message",
    },
  },
} as const satisfies ErrorCatalogue;

declare module '../../engine/error-codes.js' {
  interface ErrorCatalogues {
    chargebee: typeof chargebeeErrorCodes;
  }
}
