/** Error codes of the Sage Intacct connector; see engine/error-codes.ts. */
import type { ErrorCatalogue } from '../../engine/error-codes.js';

export const sageIntacctErrorCodes = {
  codes: {
    intacct_no_session: { kind: 'transient', meaning: 'getAPISession answered without a session id' },
    intacct_duplicate_control_id: {
      kind: 'transient',
      meaning: 'Intacct already processed this request (a retried or resumed write); its results are read back',
    },
    intacct_missing_result: {
      kind: 'transient',
      meaning: 'an answer lacks the result of one function; that write may have happened and is looked up next time',
    },
    intacct_malformed_response: { kind: 'transient', meaning: 'the XML gateway answered something that is not its response document' },
    intacct_no_result: { kind: 'system', meaning: 'a record got no outcome from a request (a connector bug)' },
    intacct_action_unsupported: { kind: 'record', meaning: 'the mapping asks for an action (delete, void) the Intacct sink does not offer for this object' },
    intacct_update_unsupported: { kind: 'record', meaning: 'a posted document changed, and Intacct offers no update for it' },
    intacct_void_by_hand: {
      kind: 'record',
      meaning: 'an application voided at the source is still in Intacct, whose API cannot take back one application: the fix names it, to reverse by hand',
    },
    intacct_natural_key_missing: { kind: 'record', meaning: 'the mapped record lacks the field it is looked up by before creating' },
    invalid_intacct_field: {
      kind: 'record',
      meaning: 'a mapped field has a value Intacct would refuse (an unknown field, not a date, not text, wrong decimals)',
    },
    unknown_intacct_object: { kind: 'config', meaning: 'a stream targets an object the Intacct sink cannot write' },
    intacct_page_size: { kind: 'config', meaning: 'a readByQuery page size is above the 1000 rows the Intacct SDKs allow (or below 1)' },
    intacct_forbidden_character: {
      kind: ['record', 'config'],
      meaning:
        'a value holds a character XML 1.0 forbids (a control character such as a vertical tab): a mapped record is dead-lettered naming the field, any other value fails the request before it is sent',
    },
    float_amount: { kind: 'record', meaning: 'an amount is a floating-point number instead of an exact decimal string; map it with $money()' },
  },
  families: {
    intacct_: {
      suffix: 'text',
      example: 'intacct_bl34000061',
      kind: ['auth', 'config', 'transient', 'record', 'system'],
      meaning: "Intacct refused a request or function: its errorno after the prefix, with Intacct's description and correction",
    },
    intacct_http_: {
      suffix: 'number',
      example: 'intacct_http_502',
      kind: ['transient', 'auth', 'system'],
      meaning: 'the XML gateway answered an HTTP error; 429 and 5xx are retried first',
    },
  },
} as const satisfies ErrorCatalogue;

declare module '../../engine/error-codes.js' {
  interface ErrorCatalogues {
    'sage-intacct': typeof sageIntacctErrorCodes;
  }
}
