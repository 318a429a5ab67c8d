/** QBO's error bodies, as the v3 API returns them. */
export interface QboErrorItem {
  Message: string;
  Detail?: string;
  code: string;
  element?: string;
}

export type FaultType = 'ValidationFault' | 'SystemFault' | 'AuthenticationFault' | 'AuthorizationFault' | 'ThrottlingFault';

export class QboFault extends Error {
  constructor(
    readonly status: number,
    readonly type: FaultType,
    readonly errors: QboErrorItem[],
  ) {
    super(errors.map((e) => `${e.code} ${e.Message}`).join('; '));
  }

  body(): { Fault: { Error: QboErrorItem[]; type: FaultType }; time: string } {
    return { Fault: { Error: this.errors, type: this.type }, time: new Date().toISOString() };
  }
}

export function validationFault(code: string, message: string, detail: string, element = ''): QboFault {
  return new QboFault(400, 'ValidationFault', [{ Message: message, Detail: detail, code, element }]);
}

export const faults = {
  unsupportedProperty: (detail: string, element: string) =>
    validationFault('2010', 'Request has invalid or unsupported property', `Property Name:${detail} specified is unsupported or invalid`, element),
  requiredMissing: (param: string) =>
    validationFault(
      '2020',
      'Required param missing, need to supply the required value for the API',
      `Required parameter ${param} is missing in the request`,
      param,
    ),
  invalidReference: (what: string, id: string) =>
    validationFault('2500', 'Invalid Reference Id', `Invalid Reference Id : ${what} assigned is not found or inactive: ${id}`, what),
  stringLength: (field: string, max: number, length: number) =>
    validationFault(
      '2050',
      'String length is either shorter or longer than supported by specification',
      `String length specified does not match the supported length. Min:0 Max:${max} supported. Supplied length:${length}`,
      field,
    ),
  duplicateName: () =>
    validationFault(
      '6240',
      'Duplicate Name Exists Error',
      'The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.',
    ),
  duplicateDocNumber: (docNumber: string) =>
    validationFault(
      '6140',
      'Duplicate Document Number Error',
      `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${docNumber} is assigned to TxnType=Invoice`,
    ),
  staleObject: (syncToken: string | undefined, current: string) =>
    validationFault(
      '5010',
      'Stale Object Error',
      `Stale Object Error : You and another user were working on the same thing. Please try again. SyncToken ${String(syncToken)} is not ${current}`,
    ),
  objectNotFound: (entity: string, id: string) =>
    validationFault(
      '610',
      'Object Not Found',
      `Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees. ${entity} ${id}`,
    ),
  businessRule: (detail: string) =>
    validationFault('6000', 'A business validation error has occurred while processing your request', `Business Validation Error: ${detail}`),
  amountMismatch: () => validationFault('6070', 'Amount is not equal to UnitPrice * Qty', 'Amount is not equal to UnitPrice * Qty. Supplied value'),
  queryParser: (detail: string) =>
    new QboFault(400, 'ValidationFault', [{ Message: 'Error parsing query', Detail: `QueryParserError: ${detail}`, code: '4000' }]),
  unsupportedOperation: (op: string, entity: string) => validationFault('500', 'Unsupported Operation', `Operation ${op} is not supported for ${entity}`),
  throttled: () =>
    new QboFault(429, 'ThrottlingFault', [
      { Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429', Detail: 'The request limit was reached.', code: '3001' },
    ]),
  forbidden: () =>
    new QboFault(403, 'AuthorizationFault', [
      {
        Message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403',
        Detail: 'The application is not authorized for this company',
        code: '3100',
      },
    ]),
  system: () =>
    new QboFault(500, 'SystemFault', [
      { Message: 'An application error has occurred while processing your request', Detail: 'System Failure Error: injected', code: '10000' },
    ]),
};

/** The 401 body: lower-case keys, as the API gateway (not the v3 service) answers. */
export function authenticationFailedBody(detail: string): unknown {
  return {
    warnings: null,
    intuitObject: null,
    fault: {
      error: [{ message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', detail, code: '3200', element: null }],
      type: 'AUTHENTICATION',
    },
    report: null,
    queryResponse: null,
    batchItemResponse: [],
    attachableResponse: [],
    syncErrorResponse: null,
    requestId: null,
    time: Date.now(),
    status: null,
    cdcresponse: [],
  };
}
