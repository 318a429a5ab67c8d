/**
 * QBO's `Fault` bodies turned into errors a person can act on. The v3 service answers
 * `{"Fault": {"Error": [{Message, Detail, code, element}], "type"}}`; the API gateway's 401 uses
 * lower-case keys (`fault.error[].message`). Both are read.
 */
import { LedgersyncError } from '../../engine/errors.js';
import type { HttpRequest, HttpResponse } from '../../engine/http/connection.js';
import { excerpt, redact } from '../../engine/log.js';

export interface QboFaultItem {
  code: string;
  message: string;
  detail: string;
  element: string;
}

export interface QboFault {
  type: string;
  errors: QboFaultItem[];
}

export const RECONNECT_FIX =
  'reconnect the QuickBooks company (Intuit OAuth consent as a company admin) and set QBO_REFRESH_TOKEN to the new refresh token; the run can then be repeated as is';

/** Reads a Fault from a parsed body (the whole response, or one BatchItemResponse). */
export function readFault(body: unknown): QboFault | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const raw = ((body as Record<string, unknown>)['Fault'] ?? (body as Record<string, unknown>)['fault']) as Record<string, unknown> | undefined;
  if (!raw || typeof raw !== 'object') return undefined;
  const list = (raw['Error'] ?? raw['error']) as unknown;
  const errors = (Array.isArray(list) ? list : []).map((e: Record<string, unknown>) => ({
    code: String(e['code'] ?? ''),
    message: String(e['Message'] ?? e['message'] ?? ''),
    detail: String(e['Detail'] ?? e['detail'] ?? ''),
    element: String(e['element'] ?? ''),
  }));
  return { type: String(raw['type'] ?? ''), errors };
}

export function faultOfResponse(response: HttpResponse): QboFault | undefined {
  try {
    return readFault(response.json());
  } catch {
    return undefined;
  }
}

export function faultCodes(fault: QboFault | undefined): string[] {
  return fault?.errors.map((e) => e.code) ?? [];
}

/** What to do about each QBO fault code, in the words of a consultant's runbook. */
const fixes: Record<string, string> = {
  '2010': "the mapping produced a field QuickBooks does not know (see the detail); correct the stream's mapping in the pipeline",
  '2020': 'the mapping left out a field QuickBooks requires (see the detail); add it to the mapping',
  '2050': 'a value is longer than QuickBooks allows (see the detail); shorten it with $truncate() in the mapping',
  '2500':
    'a reference (account, item, customer, payment method, tax rate) does not exist in this QuickBooks company or is inactive; correct the lookup table that produces it, or re-activate it in QBO',
  '6000': 'QuickBooks refused the document for a business rule (see the detail); correct the source record or the mapping',
  '6070': 'the line amount must equal unit price × quantity; correct the line mapping',
  '6140': 'a document with this number already exists in QuickBooks; it is adopted on the next run, or rename one of them',
  '6190': 'the customer is inactive or has another currency than the document; correct it in QuickBooks',
  '6240': 'the name is already used by another customer, vendor or employee; change the DisplayName/Name expression or rename the other record in QBO',
  '610': 'the referenced QuickBooks record was deleted or made inactive; re-activate it or correct the reference',
  '3200': RECONNECT_FIX,
  '3100': 'the connected user has no access to this company; reconnect as a QuickBooks company admin',
};

/**
 * A 6000 refusing a Payment that applies more than a credit memo or document still holds open. When
 * Chargebee moved that credit or balance in the same sync, the void that frees it may come later in
 * the run (a stream after this one: the example's order puts voids first where it can), so the
 * record lands on the next run.
 */
const OVER_APPLIED = /exceeds the (remaining credit|open balance)/i;
const OVER_APPLIED_FIX =
  "a Payment applies more than QuickBooks still holds open (the credit memo's RemainingCredit or the document's Balance). When Chargebee moved that credit or balance in this sync (an allocation, payment or refund taken back later in the run), the void frees it and this record is retried on the next run: run again before changing anything. If it is refused again, compare the credit note or invoice in Chargebee and QuickBooks";

export function fixFor(fault: QboFault | undefined): string | undefined {
  if (fault?.errors.some((e) => e.code === '6000' && OVER_APPLIED.test(`${e.message} ${e.detail}`))) return OVER_APPLIED_FIX;
  for (const code of faultCodes(fault)) if (fixes[code]) return fixes[code];
  return undefined;
}

export function faultText(fault: QboFault): string {
  return fault.errors
    .map((e) => `${e.message}${e.detail && e.detail !== e.message ? ` (${e.detail})` : ''} [code ${e.code}${e.element ? `, ${e.element}` : ''}]`)
    .join('; ');
}

/** A fault of one document (a failed create / update / void / delete) as a dead-letter error. */
export function documentError(fault: QboFault, what: string, status = 400): LedgersyncError {
  const first = fault.errors[0];
  const fix = fixFor(fault);
  return new LedgersyncError(`qbo_${first?.code || status}`, 'record', redact(`QuickBooks rejected ${what}: ${faultText(fault)}`), {
    details: { qboFaultType: fault.type, qboErrors: fault.errors, status },
    ...(fix ? { fix } : {}),
  });
}

/** The connection's `describeError` hook for the v3 API. */
export function describeQboError(label: string, response: HttpResponse, request: HttpRequest): LedgersyncError {
  const fault = faultOfResponse(response);
  const what = `${request.method} ${request.path}`;
  if (response.status === 401) {
    return new LedgersyncError(
      'qbo_authentication_failed',
      'auth',
      `${label}: QuickBooks refused the access token even after a refresh (${fault ? faultText(fault) : 'HTTP 401'})`,
      {
        fix: RECONNECT_FIX,
      },
    );
  }
  if (response.status === 403) {
    return new LedgersyncError('qbo_forbidden', 'auth', `${label}: QuickBooks denied access to the company (${fault ? faultText(fault) : 'HTTP 403'})`, {
      fix: fixes['3100']!,
    });
  }
  if (response.status === 429 || response.status >= 500) {
    return new LedgersyncError(
      `qbo_http_${response.status}`,
      'transient',
      `${label}: ${what} answered HTTP ${response.status}${fault ? `: ${faultText(fault)}` : ''}`,
      {
        details: { status: response.status },
        fix: 'QuickBooks is throttling or unavailable; the run can be resumed as is',
      },
    );
  }
  if (fault) return documentError(fault, `${what} on ${label}`, response.status);
  return new LedgersyncError(`qbo_http_${response.status}`, 'record', `${label}: ${what} answered HTTP ${response.status}: ${excerpt(response.text, 300)}`, {
    details: { status: response.status, unexplained: true },
  });
}

/** A 4xx refusal without a QBO Fault to say why (a body cut short, a proxy's page): nothing tells what was refused. */
export function isUnexplainedRefusal(error: LedgersyncError): boolean {
  return error.kind === 'record' && error.details['unexplained'] === true;
}

/** QBO signals throttling as fault 3001 (ThrottleExceeded), sometimes outside a 429. */
export function detectQboThrottle(response: HttpResponse): { retryAfter?: string } | undefined {
  if (response.status === 429 || response.status < 400) return undefined;
  if (!response.text.includes('3001') && !/ThrottleExceeded/i.test(response.text)) return undefined;
  const fault = faultOfResponse(response);
  if (faultCodes(fault).includes('3001') || fault?.errors.some((e) => /ThrottleExceeded/i.test(e.message))) return {};
  return undefined;
}
