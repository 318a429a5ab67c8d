/** Error codes of the JSON Lines sink; see engine/error-codes.ts. */
import type { ErrorCatalogue } from '../../engine/error-codes.js';

export const jsonlErrorCodes = {
  codes: {
    invalid_object_name: { kind: 'config', meaning: 'a target object is not a safe file name (letters, digits, _ . and - only)' },
  },
} as const satisfies ErrorCatalogue;

declare module '../../engine/error-codes.js' {
  interface ErrorCatalogues {
    jsonl: typeof jsonlErrorCodes;
  }
}
