/** Error codes of the DualEntry connector and its revenue-recognition posting; see engine/error-codes.ts. */
import type { ErrorCatalogue } from '../../engine/error-codes.js';

export const dualEntryErrorCodes = {
  codes: {
    dualentry_api_key_missing: { kind: 'config', meaning: 'sink.api_key is empty' },
    dualentry_auth_failed: { kind: 'auth', meaning: 'DualEntry refused the API key (401/403): generate a fresh key and update DUALENTRY_API_KEY' },
    dualentry_company_not_found: { kind: 'config', meaning: "the company ID does not exist or the key's user cannot access it" },
    dualentry_account_not_found: {
      kind: ['config', 'record'],
      meaning: 'a journal line names an account DualEntry does not have (or archived); the message names the lookup entry to remap',
    },
    dualentry_amount_precision: {
      kind: 'record',
      meaning:
        'a journal line of a 3-decimal currency (KWD, BHD…) has a non-zero third decimal, DualEntry keeps 2, and the sink has no rounding_account; nothing of that journal is posted',
    },
    dualentry_period_locked: {
      kind: 'config',
      meaning:
        'the entry date falls in a locked DualEntry period; the message names the period to reopen (hit by automatic posting, the period waits in retry and the run exits 1)',
    },
    invalid_company_id: { kind: 'config', meaning: 'sink.company_id is not a DualEntry company ID (a positive number)' },
    invalid_rounding_account: { kind: 'config', meaning: 'sink.rounding_account is not a DualEntry account number' },
    invalid_record_status: { kind: 'config', meaning: 'sink.record_status is neither draft nor posted' },
    invalid_revenue_recognition: { kind: 'config', meaning: 'the revenue_recognition: block breaks its schema' },
    revenue_recognition_missing: { kind: 'config', meaning: 'revenue documents reached DualEntry but the pipeline has no revenue_recognition: block' },
    invalid_mapped_record: { kind: 'record', meaning: 'a mapped revenue document or journal lacks a field or has one of the wrong type' },
    unknown_object: { kind: 'config', meaning: 'a record for the DualEntry sink is neither revenue_document nor journal_entry' },
    period_before_first_period: { kind: 'config', meaning: 'ledgersync post was asked for a period before revenue_recognition.first_period' },
    period_not_posted: { kind: 'config', meaning: 'ledgersync post --repost was asked for a period that was never posted' },
    earlier_period_unposted: { kind: 'config', meaning: 'an earlier period has amounts not posted yet; periods are posted oldest first' },
  },
  families: {
    dualentry_http_: {
      suffix: 'number',
      example: 'dualentry_http_400',
      kind: ['transient', 'record'],
      meaning: "DualEntry answered an HTTP error not covered above, with DualEntry's field errors",
    },
  },
} as const satisfies ErrorCatalogue;

declare module '../../engine/error-codes.js' {
  interface ErrorCatalogues {
    dualentry: typeof dualEntryErrorCodes;
  }
}
