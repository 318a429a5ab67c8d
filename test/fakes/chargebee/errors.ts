/**
 * Chargebee's error body, as the API returns it: the current fields (`message`, `type`,
 * `api_error_code`, `param`) plus the legacy duplicates (`error_code`, `error_msg`, `error_param`)
 * and `http_status_code`, which older clients still read.
 */
export type ChargebeeErrorType = 'invalid_request' | 'payment' | 'operation_failed';

export interface ChargebeeErrorBody {
  message: string;
  type?: ChargebeeErrorType;
  api_error_code: string;
  param?: string;
  error_code: string;
  error_msg: string;
  error_param?: string;
  http_status_code: number;
}

/** Thrown inside the fake; the server turns it into the HTTP answer. */
export class ChargebeeApiError extends Error {
  readonly status: number;
  readonly body: ChargebeeErrorBody;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    fields: { message: string; type?: ChargebeeErrorType; api_error_code: string; param?: string },
    headers: Record<string, string> = {},
  ) {
    super(fields.message);
    this.status = status;
    this.headers = headers;
    this.body = {
      message: fields.message,
      ...(fields.type ? { type: fields.type } : {}),
      api_error_code: fields.api_error_code,
      ...(fields.param ? { param: fields.param } : {}),
      error_code: fields.api_error_code,
      error_msg: fields.message,
      ...(fields.param ? { error_param: fields.param } : {}),
      http_status_code: status,
    };
  }
}

export function authenticationFailed(): ChargebeeApiError {
  return new ChargebeeApiError(401, {
    message: 'Sorry, authentication failed. Invalid api key',
    type: 'invalid_request',
    api_error_code: 'api_authentication_failed',
  });
}

export function resourceNotFound(message: string, param?: string): ChargebeeApiError {
  return new ChargebeeApiError(404, {
    message,
    type: 'invalid_request',
    api_error_code: 'resource_not_found',
    ...(param ? { param } : {}),
  });
}

/** A parameter with a value Chargebee rejects; the message starts with the parameter, as Chargebee's do. */
export function paramWrongValue(param: string, reason: string): ChargebeeApiError {
  return new ChargebeeApiError(400, {
    message: `${param} : ${reason}`,
    type: 'invalid_request',
    api_error_code: 'param_wrong_value',
    param,
  });
}

export function configurationIncompatible(called: 'v1' | 'v2', site: 'v1' | 'v2'): ChargebeeApiError {
  const name = (v: 'v1' | 'v2'): string => (v === 'v1' ? 'product catalog 1.0' : 'product catalog 2.0');
  return new ChargebeeApiError(400, {
    message: `The API endpoint is incompatible with the product catalog version. You are calling ${name(called)} API endpoint but you are using ${name(site)}`,
    type: 'invalid_request',
    api_error_code: 'configuration_incompatible',
  });
}

export function invalidStateForRequest(message: string): ChargebeeApiError {
  return new ChargebeeApiError(400, {
    message,
    type: 'invalid_request',
    api_error_code: 'invalid_state_for_request',
  });
}

export function requestLimitExceeded(retryAfterSeconds: number): ChargebeeApiError {
  return new ChargebeeApiError(
    429,
    {
      message: 'Sorry, access has been blocked temporarily due to request count exceeding acceptable limits. Please try after some time.',
      type: 'invalid_request',
      api_error_code: 'api_request_limit_exceeded',
    },
    { 'retry-after': String(retryAfterSeconds) },
  );
}

export function siteNotReady(): ChargebeeApiError {
  return new ChargebeeApiError(503, {
    message: 'Site is not ready. Please retry after some time.',
    type: 'operation_failed',
    api_error_code: 'site_not_ready',
  });
}

/** Generic answer for an injected failure status. */
export function injectedFailure(status: number): ChargebeeApiError {
  if (status === 429) return requestLimitExceeded(1);
  if (status === 503) return siteNotReady();
  if (status === 401) return authenticationFailed();
  if (status >= 500) {
    return new ChargebeeApiError(status, {
      message: 'Sorry, something went wrong when trying to process the request. If this problem persists, contact us at support@chargebee.com.',
      type: 'operation_failed',
      api_error_code: 'internal_error',
    });
  }
  return new ChargebeeApiError(status, {
    message: `Injected failure with HTTP ${status}`,
    type: 'invalid_request',
    api_error_code: 'invalid_request',
  });
}

/** What a load balancer in front of Chargebee sends on 503/504: HTML, not JSON. */
export const SERVICE_UNAVAILABLE_HTML =
  '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>\n';
