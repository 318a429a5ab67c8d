/** Error codes of the domain modules (money, revenue recognition); see engine/error-codes.ts. */
import type { ErrorCatalogue } from '../engine/error-codes.js';

export const domainErrorCodes = {
  codes: {
    unknown_currency: { kind: 'record', meaning: 'an amount carries a currency code that is not in ISO 4217' },
    invalid_amount: { kind: 'record', meaning: 'an amount is not an integer of minor units or an exact decimal string' },
    invalid_decimal: { kind: 'record', meaning: 'a decimal string is not a number' },
    decimal_precision: { kind: 'record', meaning: 'a decimal has more decimals than the currency or field allows; it is refused, never rounded away' },
    account_mapping_missing: {
      kind: 'config',
      meaning: 'revenue recognition has amounts for a role whose account lookup table is missing or has no entry nor default',
    },
    unbalanced_journal: {
      kind: ['system', 'record'],
      meaning: 'a journal does not balance: refused before sending (system when ledgersync built it, record for an exported journal)',
    },
  },
} as const satisfies ErrorCatalogue;

declare module '../engine/error-codes.js' {
  interface ErrorCatalogues {
    domain: typeof domainErrorCodes;
  }
}
