/** Error codes of the file source; see engine/error-codes.ts. */
import type { ErrorCatalogue } from '../../engine/error-codes.js';

export const fileErrorCodes = {
  codes: {
    invalid_file_source: {
      kind: 'config',
      meaning: 'a source file cannot be read or parsed (the message gives file, line and column), or its settings are wrong',
    },
  },
} as const satisfies ErrorCatalogue;

declare module '../../engine/error-codes.js' {
  interface ErrorCatalogues {
    file: typeof fileErrorCodes;
  }
}
