/**
 * Acumatica's error answers as errors a person can act on. Their shapes (Web API and the
 * contract-based endpoint): 400 `{"message", "modelState": {"entity.Details[0].Amount.value": [..]}}`
 * when a body does not bind to the contract; 422 with the record itself, each refused field carrying
 * an `error` (detail lines included); 500 `{"message", "exceptionMessage", "exceptionType"}` for
 * exceptions (no such record, API Login Limit, invalid credentials, a refused action); 401 when no
 * session; 404 when the endpoint name or version is not served; 429 from the licence limits.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { describeBody, type HttpRequest, type HttpResponse } from '../../engine/http/connection.js';
import { redact } from '../../engine/log.js';

interface ExceptionBody {
  message?: unknown;
  exceptionMessage?: unknown;
  exceptionType?: unknown;
  modelState?: Record<string, unknown>;
}

export function bodyOf(response: HttpResponse): unknown {
  try {
    return response.json();
  } catch {
    return undefined;
  }
}

/** Acumatica's message and exception type; a body that is not Acumatica's (a gateway's HTML page) is described, not quoted. */
export function exceptionOf(response: HttpResponse): { message: string; type: string } {
  const body = errorBodyOf(response);
  if (!body) return { message: describeBody(response), type: '' };
  const message =
    typeof body.exceptionMessage === 'string' ? body.exceptionMessage : typeof body.message === 'string' ? body.message : JSON.stringify(body).slice(0, 300);
  return { message: redact(message), type: typeof body.exceptionType === 'string' ? body.exceptionType : '' };
}

/**
 * Acumatica's message when `response` is Acumatica's own failure (Web API's error body, answered
 * 500 or a 4xx other than 401 and 429); undefined for anything else, such as a gateway's page or
 * status, which tells nothing of what Acumatica did.
 */
export function acumaticaFailure(response: HttpResponse): string | undefined {
  const { status } = response;
  if (!(status === 500 || (status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429))) return undefined;
  const body = errorBodyOf(response);
  if (!body || (typeof body.exceptionMessage !== 'string' && typeof body.message !== 'string')) return undefined;
  return exceptionOf(response).message;
}

function errorBodyOf(response: HttpResponse): ExceptionBody | undefined {
  const body = bodyOf(response);
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as ExceptionBody) : undefined;
}

/** `field: reason` of every `error` in a 422 answer, detail lines and linked entities included. */
export function fieldErrors(record: unknown, path = ''): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  if (Array.isArray(record)) {
    for (const [index, row] of record.entries()) out.push(...fieldErrors(row, `${path}[${index}]`));
    return out;
  }
  if (typeof record !== 'object' || record === null) return out;
  for (const [key, value] of Object.entries(record)) {
    if (key === 'error' && typeof value === 'string') out.push({ field: path || '(record)', message: value });
    else if (typeof value === 'object' && value !== null) out.push(...fieldErrors(value, path ? `${path}.${key}` : key));
  }
  // The record's own summary ("… raised at least one error") says less than the fields: put it last.
  return out.sort((a, b) => Number(a.field === '(record)' || a.field === path) - Number(b.field === '(record)' || b.field === path));
}

/** The error for a failed answer of the tenant `label`, by status and body. */
export function describeAcumaticaError(label: string, response: HttpResponse, request: HttpRequest): LedgersyncError {
  const what = `${label}: ${request.method} ${shortPath(request.path)}`;
  const status = response.status;
  if (status === 422) {
    const errors = fieldErrors(bodyOf(response));
    const first = errors.find((e) => e.field !== '(record)') ?? errors[0];
    const list = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return new LedgersyncError('acumatica_refused', 'record', `${what} was refused: ${list ? redact(list) : exceptionOf(response).message}`, {
      fix: first
        ? `correct ${first.field} in the mapping or the lookup table that feeds it (or the record in Acumatica), then run again`
        : 'correct the record and run again',
      details: { status, fields: errors },
    });
  }
  if (status === 400) {
    const body = (bodyOf(response) ?? {}) as ExceptionBody;
    if (body.modelState && typeof body.modelState === 'object') {
      const entries = Object.entries(body.modelState).map(([field, messages]) => ({
        field: field.replace(/^(entity|invocation|credentials)\.?/, '').replace(/\.value$/, ''),
        message: Array.isArray(messages) ? messages.map(String).join(' ') : String(messages),
      }));
      return new LedgersyncError(
        'acumatica_invalid_request',
        'record',
        `${what} does not fit the endpoint's contract: ${redact(entries.map((e) => `${e.field || '(body)'}: ${e.message}`).join('; '))}`,
        { fix: `correct ${entries[0]?.field || 'the body'} in the mapping`, details: { status, fields: entries } },
      );
    }
    const exception = exceptionOf(response);
    return new LedgersyncError('acumatica_action_refused', 'record', `${what} was refused: ${exception.message}`, {
      fix: "Acumatica's reason above names what stops it (a document on hold, a date in a closed financial period, a missing setting): correct that in Acumatica or in the mapped field, then run again",
      details: { status },
    });
  }
  if (status === 401) {
    return new LedgersyncError('acumatica_not_logged_in', 'auth', `${what} answered 401 (not logged in) even after signing in again`, {
      fix: "check that the integration user may use the API (its role's access to the web service endpoint) and that the session is not closed by another sign-in",
    });
  }
  if (status === 404) {
    return new LedgersyncError('acumatica_endpoint_not_found', 'config', `${what} answered 404: ${exceptionOf(response).message}`, {
      fix: 'check the instance URL, the endpoint name and version (GET {url}/entity lists what the tenant serves), and the entity name',
    });
  }
  if (status === 500) {
    const exception = exceptionOf(response);
    if (/NoEntitySatisfiesTheCondition/.test(exception.type) || /No entity satisfies the condition/i.test(exception.message)) {
      return new LedgersyncError('acumatica_not_found', 'record', `${what}: no such record in Acumatica (${exception.message})`, {
        fix: 'look the key up in Acumatica: the record was deleted there, or lives in another tenant than ACUMATICA_TENANT, or the mapping names it differently; create or restore it (or correct the mapped key), then run again',
        details: { status },
      });
    }
    if (/API Login Limit/i.test(exception.message)) {
      return new LedgersyncError('acumatica_login_limit', 'transient', `${what}: every API seat of the licence is taken (API Login Limit)`, {
        fix: 'sessions that were not signed out hold seats until they time out: close them on the License Monitoring Console (SM604000) or wait, then run again',
      });
    }
    if (/^PX\./.test(exception.type)) {
      return new LedgersyncError('acumatica_error', 'record', `${what} failed in Acumatica: ${exception.message}`, {
        fix: "Acumatica's message above names the business rule it broke (a released document cannot be changed or deleted, a closed period): correct the document in Acumatica or the record at the source, then run again",
        details: { status, exceptionType: exception.type },
      });
    }
  }
  if (status === 403) {
    return new LedgersyncError('acumatica_forbidden', 'auth', `${what} answered 403 (forbidden): ${exceptionOf(response).message}`, {
      fix: `give the role of the integration user (ACUMATICA_USERNAME) access to the screen behind ${entityOf(request.path)} and to the web service endpoint (User Roles SM201005, Access Rights by Role SM201025), or sign in as a user whose role has it; then run again`,
      details: { status },
    });
  }
  const kind = status === 429 || status >= 500 ? 'transient' : 'record';
  return new LedgersyncError(`acumatica_http_${status}`, kind, `${what} answered HTTP ${status}: ${exceptionOf(response).message}`, { details: { status } });
}

/** The entity a request path names (`Invoice` of `…/entity/Default/24.200.001/Invoice/…`), for fixes. */
function entityOf(path: string): string {
  const entity = /^[A-Za-z]\w*/.exec(shortPath(path))?.[0];
  return entity ? `the ${entity} entity` : 'the entity';
}

/** The request path without the instance and endpoint prefix, for messages. */
function shortPath(path: string): string {
  const match = /\/entity\/[^/]+\/[^/]+\/(.*)$/.exec(path);
  return match ? match[1]! : path;
}
