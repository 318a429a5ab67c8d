/**
 * A fake Sage Intacct XML gateway (node:http only): parses the `<request>` envelope, checks the
 * Web Services sender and the company user, issues sessions that expire, runs each function of
 * `<content>` against its own books and answers with the response shapes of Intacct's SDK
 * fixtures. Control-level failures run nothing, authentication failures run no function, a
 * function failure fails only that function (unless `transaction="true"`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { asArray, buildXml, child, elementNames, parseXml, text, type XmlNode, type XmlValue } from './xml.js';
import { defaultMasterData, emptyState, snapshotDocuments, type FakeIntacctState, type FakeMasterData, type MasterList } from './state.js';
import { elementOrderProblem } from './element-order.js';
import { FunctionFailure, functionTable, type FunctionContext, type IntacctErrorEntry } from './functions.js';

export * from './state.js';
export { compileQuery } from './functions.js';

export interface FakeIntacctOptions {
  /** Web Services sender credentials. Default `ledgersync-test` / `sender-secret`. */
  senderId?: string;
  senderPassword?: string;
  /** Company user credentials. Default `acme-test`, `api-user`, `user-secret`. */
  companyId?: string;
  userId?: string;
  userPassword?: string;
  /** Lifetime of a session. Default 1 hour. */
  sessionTtlMs?: number;
  /** Added before every answer, to measure throughput under latency. Default 0. */
  latencyMs?: number;
  /** Master data to validate references against. Default: `defaultMasterData`. */
  master?: Partial<FakeMasterData>;
  /** Master records that exist but are inactive (STATUS inactive): readByQuery returns them, documents naming them are refused. */
  inactive?: Partial<Record<MasterList, string[]>>;
  /** Posting account used when a line leaves glaccountno empty (the SDK fixtures do). Default none: empty is an error. */
  defaultGlAccount?: string;
  now?: () => Date;
}

export interface FakeIntacctFaults {
  /** Answer the next N requests with this HTTP status before reading them (nothing executed). */
  failNext(count: number, status: 429 | 500 | 502 | 503 | 504): void;
  /** Execute the next N requests, then answer HTTP 500 instead of the response (a mid-process failure). */
  dropResponseOfNext(count: number): void;
  /** Every open session expires now. */
  expireSessions(): void;
  /** Added latency per request, in ms. */
  latencyMs: number;
  /** Documents dated on or before this ISO date are refused (closed period). */
  closeBooksThrough(isoDate: string | undefined): void;
  /**
   * Called after a request that holds a write function ran, before its answer is sent (awaited):
   * a test can kill the client here, between the write and the client's record of it.
   */
  afterWrite: ((request: { controlId: string; functions: string[] }) => Promise<void> | void) | undefined;
}

export interface FakeIntacct {
  url: string;
  credentials: { senderId: string; senderPassword: string; companyId: string; userId: string; userPassword: string };
  state: FakeIntacctState;
  faults: FakeIntacctFaults;
  /** Requests answered, by kind, for figures. */
  stats: { httpRequests: number; functions: number; maxConcurrent: number };
  /** The endpoint getAPISession hands back from now on, as Intacct names its own (a proxy in front of the fake). Default: the fake's URL. */
  advertiseEndpoint(endpoint: string): void;
  close(): Promise<void>;
}

interface Credentials {
  senderId: string;
  senderPassword: string;
  companyId: string;
  userId: string;
  userPassword: string;
}

const errorXml = (errors: IntacctErrorEntry[]): XmlNode => ({
  errormessage: { error: errors.map((e) => ({ errorno: e.errorno, description: e.description, description2: e.description2, correction: e.correction })) },
});

function controlXml(control: XmlValue | undefined, status: 'success' | 'failure'): XmlNode {
  return {
    status,
    senderid: text(child(control, 'senderid')),
    controlid: text(child(control, 'controlid')),
    uniqueid: text(child(control, 'uniqueid')) || 'false',
    dtdversion: text(child(control, 'dtdversion')) || '3.0',
  };
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export async function startFakeIntacct(options: FakeIntacctOptions = {}): Promise<FakeIntacct> {
  const credentials: Credentials = {
    senderId: options.senderId ?? 'ledgersync-test',
    senderPassword: options.senderPassword ?? 'sender-secret',
    companyId: options.companyId ?? 'acme-test',
    userId: options.userId ?? 'api-user',
    userPassword: options.userPassword ?? 'user-secret',
  };
  const now = options.now ?? (() => new Date());
  const sessionTtlMs = options.sessionTtlMs ?? 3_600_000;
  const state = emptyState({ ...defaultMasterData, ...options.master }, options.inactive);
  const resultSets: FunctionContext['resultSets'] = new Map();
  const pendingHttpErrors: number[] = [];
  let dropResponses = 0;
  const stats = { httpRequests: 0, functions: 0, maxConcurrent: 0 };
  let inFlight = 0;
  let url = '';
  let advertised: string | undefined;

  const faults: FakeIntacctFaults = {
    failNext(count, status) {
      for (let i = 0; i < count; i++) pendingHttpErrors.push(status);
    },
    dropResponseOfNext(count) {
      dropResponses += count;
    },
    expireSessions() {
      for (const s of state.sessions.values()) s.expiresAt = 0;
    },
    latencyMs: options.latencyMs ?? 0,
    closeBooksThrough(isoDate) {
      state.booksClosedThrough = isoDate;
    },
    afterWrite: undefined,
  };
  const readFunctions = new Set(['getAPISession', 'readByQuery', 'readMore', 'read']);

  function authenticate(
    auth: XmlValue | undefined,
  ): { ok: true; session: FunctionContext['session'] } | { ok: false; errors: IntacctErrorEntry[]; userId: string; companyId: string } {
    const sessionId = text(child(auth, 'sessionid'));
    if (sessionId) {
      const s = state.sessions.get(sessionId);
      if (!s || s.expiresAt <= now().getTime()) {
        return {
          ok: false,
          userId: '',
          companyId: '',
          errors: [
            {
              errorno: 'XL03000006',
              description: '',
              description2: 'Invalid session: the session has expired or does not exist',
              correction: 'Log in again to get a new session.',
            },
          ],
        };
      }
      return { ok: true, session: { ...s, sessionId } };
    }
    const login = child(auth, 'login');
    const userId = text(child(login, 'userid'));
    const companyId = text(child(login, 'companyid'));
    const entityId = text(child(login, 'locationid'));
    if (userId !== credentials.userId || companyId !== credentials.companyId || text(child(login, 'password')) !== credentials.userPassword) {
      return {
        ok: false,
        userId,
        companyId,
        errors: [
          {
            errorno: 'XL03000006',
            description: '',
            description2: 'Sign-in information is incorrect',
            correction: 'Check the company ID, user ID and user password.',
          },
        ],
      };
    }
    if (entityId && !state.master.locations.includes(entityId)) {
      return {
        ok: false,
        userId,
        companyId,
        errors: [{ errorno: 'XL03000006', description: '', description2: `Entity ${entityId} does not exist`, correction: 'Check the entity (location) ID.' }],
      };
    }
    const id = randomBytes(18).toString('base64url') + '..';
    const session = { userId, companyId, entityId, expiresAt: now().getTime() + sessionTtlMs };
    state.sessions.set(id, session);
    return { ok: true, session: { ...session, sessionId: id } };
  }

  function runFunctions(functions: { element: string; controlid: string; body: XmlValue }[], ctx: FunctionContext, transaction: boolean): XmlNode[] {
    const snapshot = transaction ? snapshotDocuments(state) : undefined;
    const results: XmlNode[] = [];
    let failed = false;
    for (const f of functions) {
      stats.functions++;
      const head = { function: f.element, controlid: f.controlid };
      if (failed && transaction) {
        results.push({
          status: 'aborted',
          ...head,
          ...errorXml([
            {
              errorno: 'XL03000009',
              description: '',
              description2: 'The entire transaction in this operation has been rolled back due to an error.',
              correction: '',
            },
          ]),
        });
        continue;
      }
      const run = functionTable[f.element];
      try {
        if (!run)
          throw new FunctionFailure([
            { errorno: 'XL03000003', description: '', description2: `Unknown function ${f.element}`, correction: 'Use a function of DTD version 3.0.' },
          ]);
        const outOfSchema = elementOrderProblem(f.element, f.body);
        if (outOfSchema)
          throw new FunctionFailure([
            { errorno: 'XL03000009', description: 'XML Parse schema error', description2: `Error 1: ${outOfSchema}`, correction: '' },
          ]);
        results.push({ status: 'success', ...head, ...run(ctx, f.body) });
      } catch (error) {
        if (!(error instanceof FunctionFailure)) throw error;
        failed = true;
        results.push({ status: transaction ? 'aborted' : 'failure', ...head, ...errorXml(error.errors) });
      }
    }
    if (failed && snapshot) {
      Object.assign(state, snapshot);
      for (const r of results) if (r['status'] === 'success') r['status'] = 'aborted';
    }
    return results;
  }

  /** The answer, and the request's functions when they ran (authenticated). */
  function answer(body: string): { status: number; xml: string; ran?: { controlId: string; functions: string[] } } {
    let doc: XmlNode;
    try {
      doc = parseXml(body);
    } catch (error) {
      return {
        status: 200,
        xml: buildXml({
          response: {
            control: { status: 'failure' },
            ...errorXml([{ errorno: 'XL03000003', description: '', description2: `XML Parse schema error: ${(error as Error).message}`, correction: '' }]),
          },
        }),
      };
    }
    const request = child(doc, 'request');
    const control = child(request, 'control');
    if (!request || !control) {
      return {
        status: 200,
        xml: buildXml({
          response: {
            control: { status: 'failure' },
            ...errorXml([{ errorno: 'GW-0011', description: 'Invalid Request', description2: 'The request has no <request><control> block', correction: '' }]),
          },
        }),
      };
    }
    const controlId = text(child(control, 'controlid'));
    const uniqueId = text(child(control, 'uniqueid')) === 'true';
    const controlFailure = (errors: IntacctErrorEntry[]) => ({
      status: 200,
      xml: buildXml({ response: { control: controlXml(control, 'failure'), ...errorXml(errors) } }),
    });
    if (text(child(control, 'senderid')) !== credentials.senderId || text(child(control, 'password')) !== credentials.senderPassword) {
      return controlFailure([
        {
          errorno: 'XL03000006',
          description: '',
          description2: 'Incorrect Intacct XML Partner ID or password.',
          correction: 'Check the Web Services sender ID and sender password.',
        },
      ]);
    }
    if (text(child(control, 'dtdversion')) !== '3.0') {
      return controlFailure([
        {
          errorno: 'XL03000003',
          description: '',
          description2: `Unsupported dtdversion '${text(child(control, 'dtdversion'))}'`,
          correction: 'Send dtdversion 3.0.',
        },
      ]);
    }
    if (uniqueId && controlId === '')
      return controlFailure([
        { errorno: 'XL03000004', description: '', description2: 'uniqueid is true but controlid is empty', correction: 'Send a control ID.' },
      ]);
    if (uniqueId && state.processedControlIds.has(controlId)) {
      return controlFailure([
        {
          errorno: 'XL03000013',
          description: '',
          description2: `A request with control ID ${controlId} was already processed`,
          correction: 'This request was applied before: look the records up instead of sending it again.',
        },
      ]);
    }
    const operation = child(request, 'operation');
    const functions = asArray(child(child(operation, 'content'), 'function')).map((f) => {
      const [element] = elementNames(f);
      return { element: element ?? '', controlid: text(child(f, '@controlid')), body: child(f, element ?? '') ?? '' };
    });
    state.requests.push({
      controlId,
      uniqueId,
      functions: functions.map((f) => f.element),
      calls: functions.map((f) => ({ element: f.element, body: f.body })),
    });
    const auth = authenticate(child(operation, 'authentication'));
    if (!auth.ok) {
      return {
        status: 200,
        xml: buildXml({
          response: {
            control: controlXml(control, 'success'),
            operation: { authentication: { status: 'failure', userid: auth.userId, companyid: auth.companyId, locationid: '' }, ...errorXml(auth.errors) },
          },
        }),
      };
    }
    const ctx: FunctionContext = { state, now, endpoint: advertised ?? url, session: auth.session, resultSets, defaultGlAccount: options.defaultGlAccount };
    const results = runFunctions(functions, ctx, text(child(operation, '@transaction')) === 'true');
    if (uniqueId) state.processedControlIds.add(controlId);
    const s = auth.session;
    return {
      ran: { controlId, functions: functions.map((f) => f.element) },
      status: 200,
      xml: buildXml({
        response: {
          control: controlXml(control, 'success'),
          operation: {
            authentication: {
              status: 'success',
              userid: s.userId,
              companyid: s.companyId,
              locationid: s.entityId,
              sessiontimestamp: isoSeconds(now().getTime()),
              sessiontimeout: isoSeconds(s.expiresAt),
            },
            ...(results.length ? { result: results } : {}),
          },
        },
      }),
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.httpRequests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (req.method !== 'POST') {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('POST an XML request');
      return;
    }
    const injected = pendingHttpErrors.shift();
    if (injected !== undefined) {
      const gw = injected === 429 ? 'GW-0010' : 'GW-0001';
      const body = buildXml({
        response: {
          control: { status: 'failure' },
          ...errorXml([
            { errorno: gw, description: injected === 429 ? 'Rate limit exceeded' : 'Gateway unavailable', description2: '', correction: 'Retry later.' },
          ]),
        },
      });
      res.writeHead(injected, { 'content-type': 'text/xml', ...(injected === 429 ? { 'retry-after': '1' } : {}) }).end(body);
      return;
    }
    const { status, xml, ran } = answer(Buffer.concat(chunks).toString('utf8'));
    if (ran && faults.afterWrite && ran.functions.some((f) => !readFunctions.has(f))) await faults.afterWrite(ran);
    if (dropResponses > 0) {
      dropResponses--;
      res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body>Internal Server Error</body></html>');
      return;
    }
    res.writeHead(status, { 'content-type': 'text/xml; charset=UTF-8' }).end(xml);
  }

  const server = createServer((req, res) => {
    inFlight++;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, inFlight);
    handle(req, res)
      .catch((error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      })
      .finally(() => inFlight--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ia/xml/xmlgw.phtml`;

  return {
    url,
    credentials,
    state,
    faults,
    stats,
    advertiseEndpoint: (endpoint) => void (advertised = endpoint),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
