/**
 * Acumatica's error answers. The contract-based API runs on ASP.NET Web API, so failures come back
 * as Web API `HttpError` bodies (the `HttpError` schema of the OpenAPI file: `message`,
 * `exceptionMessage`, `exceptionType`, `modelState`); a record the business logic refuses comes back
 * as the entity itself with an `error` on each offending field (status 422, the OpenAPI file's
 * PutEntity 422 response), which is what Acumatica's own C# client collects field by field.
 * Sources are listed in README.md beside this file.
 */

export interface HttpErrorBody {
  message: string;
  exceptionMessage?: string;
  exceptionType?: string;
  modelState?: Record<string, string[]>;
}

/** An answer the fake gives instead of a result; the server turns it into the HTTP response. */
export class AcumaticaError extends Error {
  constructor(
    readonly status: number,
    readonly body: HttpErrorBody | Record<string, unknown> | string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(typeof body === 'string' ? body : String((body as { exceptionMessage?: unknown; message?: unknown }).exceptionMessage ?? body.message ?? ''));
  }
}

/** A business-logic failure (`PXException` and kin): Web API answers 500 "An error has occurred.". */
export function pxException(exceptionMessage: string, exceptionType = 'PX.Data.PXException', status = 500): AcumaticaError {
  return new AcumaticaError(status, { message: 'An error has occurred.', exceptionMessage, exceptionType });
}

export function noEntitySatisfiesTheCondition(): AcumaticaError {
  return pxException('No entity satisfies the condition.', 'PX.Api.ContractBased.NoEntitySatisfiesTheConditionException');
}

/** A body that does not deserialize into the contract (wrong shape, type or unknown field). */
export function requestInvalid(modelState: Record<string, string[]>): AcumaticaError {
  return new AcumaticaError(400, { message: 'The request is invalid.', modelState });
}

/** A query option or action call the API refuses before touching data. */
export function badRequest(exceptionMessage: string, exceptionType = 'PX.Api.ContractBased.OptimizedExport.OptimizedExportException'): AcumaticaError {
  return new AcumaticaError(400, { message: 'An error has occurred.', exceptionMessage, exceptionType });
}

export function routeNotFound(requestUri: string): AcumaticaError {
  return new AcumaticaError(404, { message: `No HTTP resource was found that matches the request URI '${requestUri}'.` });
}

export function methodNotAllowed(method: string): AcumaticaError {
  return new AcumaticaError(405, { message: `The requested resource does not support http method '${method}'.` });
}

export function notLoggedIn(headers: Readonly<Record<string, string>> = {}): AcumaticaError {
  return new AcumaticaError(401, { message: 'You are not logged in.' }, headers);
}

/** The licence's "Maximum Number of Web Services API Users" is reached. */
export function apiLoginLimit(): AcumaticaError {
  return pxException('API Login Limit');
}

export function invalidCredentials(): AcumaticaError {
  return pxException('Invalid credentials. Please try again.');
}

export function unknownTenant(): AcumaticaError {
  return pxException('You are not allowed to log in to the system: the proper company ID cannot be determined. Please contact your system administrator.');
}

/** `If-None-Match: *` on an existing record, or `If-Match: *` on a missing one. */
export function preconditionFailed(exceptionMessage: string): AcumaticaError {
  return new AcumaticaError(412, { message: 'An error has occurred.', exceptionMessage, exceptionType: 'PX.Api.ContractBased.PreconditionFailedException' });
}

/**
 * The licence's request limits. IIS answers 429 with its own plain-text page, not a JSON body, and
 * Acumatica documents no Retry-After; `retryAfterSeconds` adds one for clients that want to test it.
 */
export function tooManyRequests(retryAfterSeconds?: number): AcumaticaError {
  return new AcumaticaError(
    429,
    'The custom error module does not recognize this error.',
    retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) },
  );
}

export function injectedFailure(status: number, exceptionMessage: string): AcumaticaError {
  return new AcumaticaError(status, { message: 'An error has occurred.', exceptionMessage, exceptionType: 'System.Exception' });
}

/** The Identity Server's OAuth 2.0 error body (RFC 6749 §5.2). */
export function oauthError(error: string, description?: string, status = 400): AcumaticaError {
  return new AcumaticaError(status, description === undefined ? { error } : { error, error_description: description });
}
