/**
 * The gateway functions the fake executes against its books, with Intacct's validation rules:
 * references must exist, amounts keep at most 4 decimals, ids respect their length, closed
 * periods refuse postings, paid invoices refuse edits.
 */
import { asArray, child, elementNames, text, type XmlNode, type XmlValue } from './xml.js';
import {
  formatUnits,
  intacctDate,
  intacctTimestamp,
  nextRecordNo,
  parseUnits,
  type FakeArDocument,
  type FakeIntacctState,
  type FakeLine,
  type MasterList,
  type Units,
  convertAtRate,
} from './state.js';

export interface IntacctErrorEntry {
  errorno: string;
  description: string;
  description2: string;
  correction: string;
}

/** A function-level failure: the result carries these errors, other functions still run. */
export class FunctionFailure extends Error {
  constructor(readonly errors: IntacctErrorEntry[]) {
    super(errors.map((e) => e.description2).join('; '));
  }
}

function fail(errorno: string, description: string, description2: string, correction = ''): never {
  throw new FunctionFailure([{ errorno, description, description2, correction }]);
}

export interface FunctionContext {
  state: FakeIntacctState;
  now: () => Date;
  /** Gateway URL returned by getAPISession. */
  endpoint: string;
  session: { userId: string; companyId: string; entityId: string; sessionId: string; expiresAt: number };
  /** Page size cap and saved result sets of readByQuery. */
  resultSets: Map<string, { listtype: string; rows: XmlNode[]; pageSize: number }>;
  /** When the request's lines leave glaccountno empty (the SDK fixtures do), post here. */
  defaultGlAccount: string | undefined;
}

export type FunctionResult = XmlNode;

const CUSTOMER_ID_MAX = 17;
/** The fake company's base currency, where a document names no `basecurr`. */
const BASE_CURRENCY = 'USD';
/** ReadByQuery.ts of Intacct's SDK: MAX_PAGE_SIZE = 1000 ("Page Size cannot be greater than 1000"). */
export const READ_BY_QUERY_MAX_PAGE_SIZE = 1000;
const CUSTOMER_NAME_MAX = 100;

// ---------- helpers ----------

function required(fn: string, value: XmlValue | undefined, field: string): string {
  const v = text(value);
  if (v === '') fail('BL03000011', 'Required field missing', `${fn}: required field ${field} is missing or empty`, `Provide ${field}.`);
  return v;
}

function dateOf(fn: string, value: XmlValue | undefined, field: string, isRequired = true): string {
  if (value === undefined || (typeof value === 'string' && value === '')) {
    if (isRequired) fail('BL03000011', 'Required field missing', `${fn}: required date ${field} is missing`, `Provide ${field} as year, month, day.`);
    return '';
  }
  const y = text(child(value, 'year'));
  const m = text(child(value, 'month'));
  const d = text(child(value, 'day'));
  const iso = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  const parsed = new Date(iso + 'T00:00:00Z');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso) || Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== iso) {
    fail('BL03000012', 'Invalid date', `${fn}: ${field} is not a valid date (${y}-${m}-${d})`, 'Send year, month and day of a real calendar date.');
  }
  return iso;
}

function amountOf(fn: string, value: XmlValue | undefined, field: string, maxDecimals = 4): Units {
  const raw = text(value);
  if (raw === '') fail('BL03000011', 'Required field missing', `${fn}: required amount ${field} is missing`, `Provide ${field}.`);
  const units = parseUnits(raw, maxDecimals);
  if (units === undefined) {
    fail(
      'BL03000120',
      'Invalid amount',
      `${fn}: ${field} '${raw}' is not a number with at most ${maxDecimals} decimal places`,
      `Round ${field} to ${maxDecimals} decimal places.`,
    );
  }
  return units;
}

function checkOpenPeriod(state: FakeIntacctState, fn: string, iso: string): void {
  if (state.booksClosedThrough && iso && iso <= state.booksClosedThrough) {
    fail(
      'BL03000054',
      'Closed period',
      `${fn}: cannot post on ${iso}: the books are closed through ${state.booksClosedThrough}`,
      'Date the document in an open period, or reopen the period in General Ledger > Close books.',
    );
  }
}

const dimensionLists: Record<string, keyof FakeIntacctState['master']> = {
  locationid: 'locations',
  departmentid: 'departments',
  projectid: 'projects',
  classid: 'classes',
  employeeid: 'employees',
  vendorid: 'vendors',
  itemid: 'items',
};

function isInactive(ctx: FunctionContext, list: MasterList, id: string): boolean {
  return ctx.state.inactive[list]?.includes(id) ?? false;
}

/** Master data as readByQuery lists it: the id field and STATUS (`active`, or `inactive` for records made inactive). */
const masterObjects: Record<string, { list: MasterList; idField: string }> = {
  GLACCOUNT: { list: 'glAccounts', idField: 'ACCOUNTNO' },
  LOCATION: { list: 'locations', idField: 'LOCATIONID' },
  DEPARTMENT: { list: 'departments', idField: 'DEPARTMENTID' },
  PROJECT: { list: 'projects', idField: 'PROJECTID' },
  CLASS: { list: 'classes', idField: 'CLASSID' },
  EMPLOYEE: { list: 'employees', idField: 'EMPLOYEEID' },
  ITEM: { list: 'items', idField: 'ITEMID' },
  VENDOR: { list: 'vendors', idField: 'VENDORID' },
  CHECKINGACCOUNT: { list: 'bankAccounts', idField: 'BANKACCOUNTID' },
  TAXDETAIL: { list: 'taxDetails', idField: 'DETAILID' },
  REVRECTEMPLATE: { list: 'revrecTemplates', idField: 'TEMPLATEID' },
  ARTERM: { list: 'terms', idField: 'NAME' },
};

function masterRows(ctx: FunctionContext, object: string): Row[] | undefined {
  const spec = masterObjects[object];
  if (!spec) return undefined;
  const ids = [...ctx.state.master[spec.list], ...(ctx.state.inactive[spec.list] ?? []).filter((id) => !ctx.state.master[spec.list].includes(id))];
  return ids.map((id, i) => ({ RECORDNO: String(i + 1), [spec.idField]: id, STATUS: isInactive(ctx, spec.list, id) ? 'inactive' : 'active' }));
}

function checkGlAccount(ctx: FunctionContext, fn: string, value: string, where: string): string {
  const account = value || ctx.defaultGlAccount || '';
  if (account === '') fail('BL03000011', 'Required field missing', `${fn}: glaccountno is missing on ${where}`, 'Provide glaccountno.');
  if (!ctx.state.master.glAccounts.includes(account) || isInactive(ctx, 'glAccounts', account)) {
    fail(
      'BL03000018',
      'Invalid GL Account',
      `${fn}: GL account ${account} on ${where} ${isInactive(ctx, 'glAccounts', account) ? 'is inactive' : 'does not exist'}`,
      'Use an active GL account number, or create it in General Ledger > Chart of accounts.',
    );
  }
  return account;
}

function checkCustomer(ctx: FunctionContext, fn: string, id: string): void {
  if (!ctx.state.customers.has(id)) fail('BL03000017', 'Invalid customer', `${fn}: customer ${id} does not exist`, 'Create the customer first.');
}

function parseLine(ctx: FunctionContext, fn: string, line: XmlValue, index: number, dimensionNames = Object.keys(dimensionLists)): FakeLine {
  const where = `line ${index + 1}`;
  const glaccountno = checkGlAccount(ctx, fn, text(child(line, 'glaccountno')), where);
  const amount = amountOf(fn, child(line, 'amount'), `amount of ${where}`);
  const dimensions: Record<string, string> = {};
  for (const dim of [...dimensionNames, 'customerid']) {
    const v = text(child(line, dim));
    if (v === '') continue;
    if (dim === 'customerid') checkCustomer(ctx, fn, v);
    else {
      const list = ctx.state.master[dimensionLists[dim]!];
      if (!list.includes(v) || isInactive(ctx, dimensionLists[dim]!, v))
        fail(
          'BL03002102',
          `Invalid ${dim}`,
          `${fn}: ${dim} '${v}' on ${where} does not exist`,
          `Use an existing ${dim.replace(/id$/, '')} ID, or create it in Intacct.`,
        );
    }
    dimensions[dim] = v;
  }
  const revrectemplate = text(child(line, 'revrectemplate'));
  if (revrectemplate && !ctx.state.master.revrecTemplates.includes(revrectemplate)) {
    fail(
      'BL03002103',
      'Invalid revenue recognition template',
      `${fn}: revrectemplate '${revrectemplate}' on ${where} does not exist`,
      'Use an existing revenue recognition template.',
    );
  }
  const revrecstartdate = dateOf(fn, child(line, 'revrecstartdate'), `revrecstartdate of ${where}`, false);
  const revrecenddate = dateOf(fn, child(line, 'revrecenddate'), `revrecenddate of ${where}`, false);
  if (revrectemplate && (!revrecstartdate || !revrecenddate)) {
    fail(
      'BL03002104',
      'Missing revenue recognition dates',
      `${fn}: ${where} has a revenue template but no start and end date`,
      'Send revrecstartdate and revrecenddate with the template.',
    );
  }
  if (revrecstartdate && revrecenddate && revrecenddate < revrecstartdate) {
    fail(
      'BL03002105',
      'Invalid revenue recognition dates',
      `${fn}: revrecenddate is before revrecstartdate on ${where}`,
      'Send an end date on or after the start date.',
    );
  }
  const taxentries = asArray(child(child(line, 'taxentries'), 'taxentry')).map((t) => {
    const detailid = text(child(t, 'detailid'));
    if (!ctx.state.master.taxDetails.includes(detailid)) {
      fail(
        'BL03002106',
        'Invalid tax detail',
        `${fn}: tax detail '${detailid}' on ${where} does not exist`,
        'Use an existing tax detail ID (Taxes > Tax details).',
      );
    }
    return { detailid, trx_tax: amountOf(fn, child(t, 'trx_tax'), `trx_tax of ${where}`) };
  });
  return { glaccountno, amount, memo: text(child(line, 'memo')), dimensions, revrectemplate, revrecstartdate, revrecenddate, taxentries };
}

function total(lines: FakeLine[]): Units {
  return lines.reduce((sum, l) => sum + l.amount + l.taxentries.reduce((t, e) => t + e.trx_tax, 0n), 0n);
}

function touch(ctx: FunctionContext): string {
  return intacctTimestamp(ctx.now());
}

function findArDocument(ctx: FunctionContext, kind: FakeArDocument['kind'], recordId: string): FakeArDocument | undefined {
  for (const d of ctx.state.arDocuments.values()) if (d.kind === kind && d.RECORDID === recordId && recordId !== '') return d;
  return undefined;
}

const keyResult = (key: string): FunctionResult => ({ key });

// ---------- session and reads ----------

function getAPISession(ctx: FunctionContext): FunctionResult {
  return { data: { api: { sessionid: ctx.session.sessionId, endpoint: ctx.endpoint, locationid: ctx.session.entityId } } };
}

type Row = Record<string, string>;

function rowsOf(ctx: FunctionContext, object: string): Row[] {
  const s = ctx.state;
  const master = masterRows(ctx, object);
  if (master) return master;
  switch (object) {
    case 'CUSTOMER':
      return [...s.customers.values()].map((c) => ({
        RECORDNO: c.RECORDNO,
        CUSTOMERID: c.CUSTOMERID,
        NAME: c.NAME,
        STATUS: c.STATUS,
        'DISPLAYCONTACT.EMAIL1': c.contact['EMAIL1'] ?? '',
        WHENCREATED: c.WHENCREATED,
        WHENMODIFIED: c.WHENMODIFIED,
      }));
    case 'ARINVOICE':
    case 'ARADJUSTMENT': {
      const kind = object === 'ARINVOICE' ? 'invoice' : 'adjustment';
      return [...s.arDocuments.values()]
        .filter((d) => d.kind === kind)
        .map((d) => ({
          RECORDNO: d.RECORDNO,
          RECORDID: d.RECORDID,
          CUSTOMERID: d.CUSTOMERID,
          WHENCREATED: intacctDate(d.WHENCREATED),
          CURRENCY: d.CURRENCY,
          DESCRIPTION: d.DESCRIPTION,
          TOTALENTERED: formatUnits(d.total),
          // The document's own currency (TOTALENTERED is the base currency's; this fake keeps one rate of 1).
          TRX_TOTALENTERED: formatUnits(d.total),
          TOTALPAID: formatUnits(d.applied),
          TOTALDUE: formatUnits(d.total - d.applied),
          STATE: d.reversed ? 'Reversed' : d.applied === 0n ? 'Posted' : d.applied === d.total ? 'Paid' : 'Partially Paid',
          WHENMODIFIED: d.WHENMODIFIED,
        }));
    }
    case 'ARINVOICEITEM':
      return [...s.arDocuments.values()].filter((d) => d.kind === 'invoice').flatMap(invoiceItemRows);
    case 'ARPYMT':
      return [...s.arPayments.values()].map((p) => ({
        RECORDNO: p.RECORDNO,
        CUSTOMERID: p.CUSTOMERID,
        DOCNUMBER: p.DOCNUMBER,
        PAYMENTMETHOD: p.PAYMENTMETHOD,
        RECEIPTDATE: intacctDate(p.RECEIPTDATE),
        CURRENCY: p.CURRENCY,
        TOTALENTERED: formatUnits(p.amount),
        TRX_TOTALENTERED: formatUnits(p.amount),
        TOTALSELECTED: formatUnits(p.applied),
        FINANCIALENTITY: p.FINANCIALENTITY,
        STATE: p.reversed ? 'Reversed' : 'Posted',
        WHENMODIFIED: p.WHENMODIFIED,
      }));
    case 'ARPYMTDETAIL':
      return s.applications.map((a) => ({
        RECORDNO: a.RECORDNO,
        PAYMENTKEY: a.PAYMENTKEY,
        RECORDKEY: a.RECORDKEY,
        TRX_PAYMENTAMOUNT: formatUnits(a.amount),
        PAYMENTDATE: intacctDate(a.PAYMENTDATE),
      }));
    case 'APBILL':
      return [...s.bills.values()].map((b) => ({
        RECORDNO: b.RECORDNO,
        RECORDID: b.RECORDID,
        VENDORID: b.VENDORID,
        TOTALENTERED: formatUnits(b.total),
        TRX_TOTALENTERED: formatUnits(b.total),
        TOTALPAID: formatUnits(b.paid),
        STATE: b.reversed ? 'Reversed' : b.paid === 0n ? 'Posted' : b.paid === b.total ? 'Paid' : 'Partially Paid',
      }));
    case 'APPYMT':
      return [...s.apPayments.values()].map((p) => ({
        RECORDNO: p.RECORDNO,
        VENDORID: p.VENDORID,
        DESCRIPTION: p.DESCRIPTION,
        PAYMENTMETHOD: p.PAYMENTMETHOD,
        FINANCIALENTITY: p.FINANCIALENTITY,
        TOTALENTERED: formatUnits(p.total),
        TRX_TOTALENTERED: formatUnits(p.total),
        STATE: p.reversed ? 'Reversed' : 'Complete',
      }));
    default:
      fail('Query Failed', '', `Object definition ${object} not found`);
  }
}

/**
 * An invoice's entries as ARINVOICEITEM lists them: each line (LINEITEM T, LINE_NO its number, the one
 * update_invoice's line_num addresses), then the entries Intacct derives from it for its tax entries
 * (LINEITEM F, PARENTENTRY the line). The fake keeps no entry keys: RECORDNO is the invoice's × 1000
 * plus the entry's place.
 */
function invoiceItemRows(d: FakeArDocument): Row[] {
  const rows: Row[] = [];
  const recordNo = () => String(Number(d.RECORDNO) * 1000 + rows.length + 1);
  d.lines.forEach((line, i) => {
    const lineRecordNo = recordNo();
    rows.push({
      RECORDNO: lineRecordNo,
      RECORDKEY: d.RECORDNO,
      LINE_NO: String(i + 1),
      LINEITEM: 'T',
      PARENTENTRY: '',
      ACCOUNTNO: line.glaccountno,
      TRX_AMOUNT: formatUnits(line.amount),
      ENTRYDESCRIPTION: line.memo,
    });
    for (const tax of line.taxentries) {
      rows.push({
        RECORDNO: recordNo(),
        RECORDKEY: d.RECORDNO,
        LINE_NO: String(i + 1),
        LINEITEM: 'F',
        PARENTENTRY: lineRecordNo,
        ACCOUNTNO: '',
        TRX_AMOUNT: formatUnits(tax.trx_tax),
        ENTRYDESCRIPTION: tax.detailid,
      });
    }
  });
  return rows;
}

/** `MM/DD/YYYY[ HH:MM:SS]` → sortable `YYYY-MM-DD HH:MM:SS`; anything else unchanged. */
function comparable(value: string): string {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})(?: (\d{2}:\d{2}:\d{2}))?$/.exec(value);
  return m ? `${m[3]}-${m[1]}-${m[2]} ${m[4] ?? '00:00:00'}` : value;
}

function compare(a: string, b: string): number {
  if (/^-?\d+(\.\d+)?$/.test(a) && /^-?\d+(\.\d+)?$/.test(b)) return Number(a) - Number(b);
  const ca = comparable(a);
  const cb = comparable(b);
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

/**
 * The readByQuery filter language, as far as ledgersync uses it: `FIELD op 'value'` and
 * `FIELD IN ('a','b')` joined by AND / OR (AND binds tighter), no parentheses.
 */
export function compileQuery(query: string): (row: Row) => boolean {
  const q = query.trim();
  if (q === '') return () => true;
  // A quote inside a value is written \' (the SDK's InArrayString); '' is two values' ends, not a quote.
  const tokens = [...q.matchAll(/'(?:[^'\\]|\\.)*'|\(|\)|,|>=|<=|!=|<>|=|<|>|[A-Za-z_][\w.]*|\S/g)].map((m) => m[0]);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const literal = (tok: string | undefined): string => {
    if (!tok?.startsWith("'")) fail('Query Failed', '', `Invalid query '${query}': expected a quoted value`);
    return tok.slice(1, -1).replace(/\\(.)/g, '$1');
  };
  const condition = (): ((r: Row) => boolean) => {
    const field = next();
    const op = next()?.toUpperCase();
    if (!field || !op) fail('Query Failed', '', `Invalid query '${query}'`);
    if (op === 'IN') {
      if (next() !== '(') fail('Query Failed', '', `Invalid query '${query}': IN needs a list`);
      const values: string[] = [];
      for (;;) {
        values.push(literal(next()));
        const sep = next();
        if (sep === ')') break;
        if (sep !== ',') fail('Query Failed', '', `Invalid query '${query}': expected , or ) after a value, found ${sep ?? 'the end'}`);
      }
      return (r) => values.includes(r[field] ?? '');
    }
    const value = literal(next());
    const test: Record<string, (c: number) => boolean> = {
      '=': (c) => c === 0,
      '!=': (c) => c !== 0,
      '<>': (c) => c !== 0,
      '<': (c) => c < 0,
      '<=': (c) => c <= 0,
      '>': (c) => c > 0,
      '>=': (c) => c >= 0,
    };
    const t = test[op];
    if (!t) fail('Query Failed', '', `Invalid query '${query}': unknown operator ${op}`);
    return (r) => r[field] !== undefined && t(compare(r[field]!, value));
  };
  const conjunction = () => {
    const parts = [condition()];
    while (peek()?.toUpperCase() === 'AND') {
      next();
      parts.push(condition());
    }
    return (r: Row) => parts.every((p) => p(r));
  };
  const alternatives = [conjunction()];
  while (peek()?.toUpperCase() === 'OR') {
    next();
    alternatives.push(conjunction());
  }
  if (i < tokens.length) fail('Query Failed', '', `Invalid query '${query}': unexpected '${tokens[i]}'`);
  return (r) => alternatives.some((a) => a(r));
}

function page(ctx: FunctionContext, resultId: string): FunctionResult {
  const set = ctx.resultSets.get(resultId);
  if (!set) fail('PL04000027', 'Invalid resultId', `readMore: result set ${resultId} is unknown or expired`, 'Run readByQuery again.');
  const rows = set.rows.splice(0, set.pageSize);
  const remaining = set.rows.length;
  if (remaining === 0) ctx.resultSets.delete(resultId);
  return {
    data: {
      '@listtype': set.listtype,
      '@count': String(rows.length),
      '@totalcount': String(rows.length + remaining),
      '@numremaining': String(remaining),
      '@resultId': remaining ? resultId : '',
      ...(rows.length ? { [set.listtype]: rows } : {}),
    },
  };
}

function readByQuery(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const object = required('readByQuery', child(fn, 'object'), 'object').toUpperCase();
  const fields = text(child(fn, 'fields')) || '*';
  const pageSize = Number(text(child(fn, 'pagesize')) || String(READ_BY_QUERY_MAX_PAGE_SIZE));
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > READ_BY_QUERY_MAX_PAGE_SIZE) {
    fail(
      'Query Failed',
      'Invalid pagesize',
      `readByQuery: pagesize ${text(child(fn, 'pagesize'))} is not between 1 and ${READ_BY_QUERY_MAX_PAGE_SIZE}`,
      `Page Size cannot be greater than ${READ_BY_QUERY_MAX_PAGE_SIZE}: ask for at most ${READ_BY_QUERY_MAX_PAGE_SIZE} and page with readMore.`,
    );
  }
  const matches = compileQuery(text(child(fn, 'query')));
  const wanted = fields === '*' ? undefined : fields.split(',').map((f) => f.trim().toUpperCase());
  const listtype = object.toLowerCase();
  const rows = rowsOf(ctx, object)
    .filter(matches)
    .sort((a, b) => Number(a['RECORDNO']) - Number(b['RECORDNO']))
    .map((r) => (wanted ? Object.fromEntries(wanted.map((f) => [f, r[f] ?? ''])) : r));
  const resultId = `${listtype}-${ctx.resultSets.size}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  ctx.resultSets.set(resultId, { listtype, rows, pageSize });
  return page(ctx, resultId);
}

function readMore(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  return page(ctx, required('readMore', child(fn, 'resultId'), 'resultId'));
}

// ---------- object API: CUSTOMER, GLBATCH ----------

function customerFields(
  fn: string,
  c: XmlValue | undefined,
  existingId?: string,
): { CUSTOMERID: string; NAME: string; STATUS: string; contact: Record<string, string>; mailAddress: Record<string, string> } {
  const CUSTOMERID = text(child(c, 'CUSTOMERID')) || existingId || '';
  if (CUSTOMERID.length > CUSTOMER_ID_MAX) {
    fail(
      'PL04000108',
      'Field too long',
      `${fn}: CUSTOMERID '${CUSTOMERID}' is ${CUSTOMERID.length} characters, the limit is ${CUSTOMER_ID_MAX}`,
      `Use a customer ID of at most ${CUSTOMER_ID_MAX} characters.`,
    );
  }
  const NAME = text(child(c, 'NAME'));
  if (NAME.length > CUSTOMER_NAME_MAX) {
    fail(
      'PL04000108',
      'Field too long',
      `${fn}: NAME is ${NAME.length} characters, the limit is ${CUSTOMER_NAME_MAX}`,
      `Shorten NAME to ${CUSTOMER_NAME_MAX} characters.`,
    );
  }
  const display = child(c, 'DISPLAYCONTACT');
  const contact: Record<string, string> = {};
  for (const k of elementNames(display)) {
    const v = child(display, k);
    if (typeof v === 'string') contact[k] = v;
  }
  const address = child(display, 'MAILADDRESS');
  const mailAddress = Object.fromEntries(elementNames(address).map((k) => [k, text(child(address, k))]));
  return { CUSTOMERID, NAME, STATUS: text(child(c, 'STATUS')) || 'active', contact, mailAddress };
}

function createObject(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const [object] = elementNames(fn);
  if (object === 'CUSTOMER') {
    const c = child(fn, 'CUSTOMER');
    const fields = customerFields('create CUSTOMER', c);
    if (fields.NAME === '') fail('BL03000011', 'Required field missing', 'create CUSTOMER: NAME is required', 'Provide NAME.');
    const RECORDNO = nextRecordNo(ctx.state);
    const CUSTOMERID = fields.CUSTOMERID || `C${RECORDNO}`;
    if (ctx.state.customers.has(CUSTOMERID)) {
      throw new FunctionFailure([
        {
          errorno: 'BL34000061',
          description: '',
          description2: `Another Customer with the given value(s) ${CUSTOMERID} already exists`,
          correction: 'Use a unique value instead.',
        },
        { errorno: 'BL01001973', description: '', description2: 'Could not create Customer record!', correction: '' },
      ]);
    }
    const stamp = touch(ctx);
    ctx.state.customers.set(CUSTOMERID, { ...fields, CUSTOMERID, RECORDNO, WHENCREATED: stamp, WHENMODIFIED: stamp, updates: 0 });
    return { data: { '@listtype': 'objects', '@count': '1', customer: { RECORDNO, CUSTOMERID } } };
  }
  if (object === 'GLBATCH') return createGlBatch(ctx, child(fn, 'GLBATCH'));
  if (object === 'APPYMT') return createApPayment(ctx, child(fn, 'APPYMT'));
  fail('BL01001973', '', `create: object ${object ?? '(none)'} is not supported by this gateway`);
}

function updateObject(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const [object] = elementNames(fn);
  if (object !== 'CUSTOMER') fail('BL01001973', '', `update: object ${object ?? '(none)'} is not supported by this gateway`);
  const c = child(fn, 'CUSTOMER');
  const recordNo = text(child(c, 'RECORDNO'));
  const id = text(child(c, 'CUSTOMERID'));
  const existing = recordNo ? [...ctx.state.customers.values()].find((x) => x.RECORDNO === recordNo) : ctx.state.customers.get(id);
  if (!existing) fail('BL03000017', 'Invalid customer', `update CUSTOMER: no customer ${recordNo || id}`, 'Create the customer first.');
  if (id && id !== existing.CUSTOMERID) fail('BL03000019', '', 'update CUSTOMER: CUSTOMERID cannot be changed', 'Keep CUSTOMERID as it is.');
  const fields = customerFields('update CUSTOMER', c, existing.CUSTOMERID);
  if (text(child(c, 'NAME')) !== '') existing.NAME = fields.NAME;
  // An element sent empty clears the field; one left out keeps its value.
  existing.contact = { ...existing.contact, ...fields.contact };
  existing.mailAddress = { ...existing.mailAddress, ...fields.mailAddress };
  if (text(child(c, 'STATUS'))) existing.STATUS = fields.STATUS;
  existing.WHENMODIFIED = touch(ctx);
  existing.updates += 1;
  return { data: { '@listtype': 'objects', '@count': '1', customer: { RECORDNO: existing.RECORDNO, CUSTOMERID: existing.CUSTOMERID } } };
}

function createGlBatch(ctx: FunctionContext, batch: XmlValue | undefined): FunctionResult {
  const fn = 'create GLBATCH';
  const JOURNAL = required(fn, child(batch, 'JOURNAL'), 'JOURNAL');
  const BATCH_DATE = required(fn, child(batch, 'BATCH_DATE'), 'BATCH_DATE');
  const iso = comparable(BATCH_DATE).slice(0, 10);
  checkOpenPeriod(ctx.state, fn, iso);
  const entries = asArray(child(child(batch, 'ENTRIES'), 'GLENTRY')).map((e, i) => {
    const ACCOUNTNO = checkGlAccount(ctx, fn, text(child(e, 'ACCOUNTNO')), `entry ${i + 1}`);
    const TR_TYPE = text(child(e, 'TR_TYPE'));
    if (TR_TYPE !== '1' && TR_TYPE !== '-1') fail('BL03000013', '', `${fn}: TR_TYPE of entry ${i + 1} must be 1 (debit) or -1 (credit)`);
    const amount = amountOf(fn, child(e, 'TRX_AMOUNT'), `TRX_AMOUNT of entry ${i + 1}`);
    const splits = asArray(child(e, 'SPLIT'));
    if (splits.length) {
      const sum = splits.reduce<bigint>((s, sp) => s + amountOf(fn, child(sp, 'AMOUNT'), 'SPLIT AMOUNT'), 0n);
      if (sum !== amount) fail('BL03000014', '', `${fn}: the splits of entry ${i + 1} do not add up to TRX_AMOUNT`);
    }
    return { ACCOUNTNO, TR_TYPE, amount };
  });
  const balance = entries.reduce((s, e) => s + (e.TR_TYPE === '1' ? e.amount : -e.amount), 0n);
  if (entries.length === 0 || balance !== 0n) {
    fail('BL03000015', 'Unbalanced journal entry', `${fn}: debits and credits differ by ${formatUnits(balance)}`, 'Balance the entries before posting.');
  }
  const RECORDNO = nextRecordNo(ctx.state);
  ctx.state.glBatches.set(RECORDNO, { RECORDNO, JOURNAL, BATCH_DATE, BATCH_TITLE: text(child(batch, 'BATCH_TITLE')), entries });
  return { data: { '@listtype': 'objects', '@count': '1', glbatch: { RECORDNO } } };
}

// ---------- legacy AR ----------

/**
 * The rate of a document or payment in `currency`. Outside the base currency the SDK's writers
 * (ArAdjustmentCreate, InvoiceCreate, ArPaymentCreate) always send `exchratetype` or `exchrate`, the
 * type as a required element when neither is set: Intacct never assumes a rate. The fake keeps no
 * rate tables, so a rate type alone is refused too, saying so; '1' in the base currency.
 */
function exchangeRateOf(fn: string, doc: XmlValue, currency: string): string {
  const base = text(child(doc, 'basecurr')) || BASE_CURRENCY;
  const rate = text(child(doc, 'exchrate'));
  if (currency === base) return rate || '1';
  if (rate) return rate;
  if (text(child(doc, 'exchratetype')))
    fail('BL03000011', 'Unsupported in the fake', `${fn}: the fake company keeps no exchange-rate tables for exchratetype`, 'Send exchrate.');
  fail(
    'BL03000011',
    'Required field missing',
    `${fn}: exchratetype or exchrate is required for a ${currency} transaction in a ${base} company`,
    'Provide exchrate, or exchratetype for the rate of the exchange rate date.',
  );
}

function arDocument(ctx: FunctionContext, fn: string, doc: XmlValue, kind: FakeArDocument['kind']): Omit<FakeArDocument, 'RECORDNO' | 'applied' | 'updates'> {
  const customerid = required(fn, child(doc, 'customerid'), 'customerid');
  checkCustomer(ctx, fn, customerid);
  const datecreated = dateOf(fn, child(doc, 'datecreated'), 'datecreated');
  checkOpenPeriod(ctx.state, fn, datecreated);
  const currency = text(child(doc, 'currency')) || BASE_CURRENCY;
  if (!ctx.state.master.currencies.includes(currency))
    fail('BL03000016', '', `${fn}: currency ${currency} is not enabled`, 'Enable the currency or send a base-currency document.');
  const itemsTag = kind === 'invoice' ? 'invoiceitems' : 'aradjustmentitems';
  const lines = asArray(child(child(doc, itemsTag), 'lineitem')).map((l, i) => parseLine(ctx, fn, l, i));
  if (lines.length === 0) fail('BL03000011', 'Required field missing', `${fn}: at least one line item is required`, `Add a lineitem under ${itemsTag}.`);
  if (kind === 'invoice') dueDateOrTerm(fn, doc);
  const RECORDID = text(child(doc, kind === 'invoice' ? 'invoiceno' : 'adjustmentno'));
  return {
    kind,
    RECORDID,
    CUSTOMERID: customerid,
    WHENCREATED: datecreated,
    CURRENCY: currency,
    EXCHRATE: exchangeRateOf(fn, doc, currency),
    DESCRIPTION: text(child(doc, 'description')),
    ...(kind === 'invoice' ? { PONUMBER: text(child(doc, 'ponumber')) } : {}),
    lines,
    total: total(lines),
    WHENMODIFIED: touch(ctx),
  };
}

function createArDocument(ctx: FunctionContext, fnName: string, fn: XmlValue, kind: FakeArDocument['kind']): FunctionResult {
  const doc = arDocument(ctx, fnName, fn, kind);
  if (doc.RECORDID && findArDocument(ctx, kind, doc.RECORDID)) {
    throw new FunctionFailure([
      {
        errorno: 'BL03000130',
        description: 'Duplicate document number',
        description2: `${fnName}: document number ${doc.RECORDID} already exists`,
        correction: 'Use a unique document number, or update the existing document.',
      },
      { errorno: 'BL01001973', description: '', description2: `Could not create ${kind === 'invoice' ? 'Invoice' : 'Adjustment'} record!`, correction: '' },
    ]);
  }
  const RECORDNO = nextRecordNo(ctx.state);
  ctx.state.arDocuments.set(RECORDNO, { ...doc, RECORDID: doc.RECORDID || RECORDNO, RECORDNO, applied: 0n, updates: 0 });
  return keyResult(RECORDNO);
}

function updateInvoice(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const name = 'update_invoice';
  const key = text(child(fn, '@key'));
  const existing = ctx.state.arDocuments.get(key);
  if (existing?.kind !== 'invoice') fail('BL03000021', 'Invalid key', `${name}: invoice key ${key} does not exist`, 'Look the invoice up by its number first.');
  if (existing.reversed) alreadyReversed(name, `invoice ${existing.RECORDID}`, existing.reversed.date);
  if (existing.applied !== 0n) {
    fail(
      'BL03000150',
      'Invoice cannot be edited',
      `${name}: invoice ${existing.RECORDID} has payments or credits applied and cannot be edited`,
      'Reverse the applied payments in Intacct first, or correct the invoice in Chargebee with a credit note.',
    );
  }
  checkOpenPeriod(ctx.state, name, existing.WHENCREATED);
  const customerid = text(child(fn, 'customerid'));
  if (customerid) checkCustomer(ctx, name, customerid);
  const datecreated = child(fn, 'datecreated') === undefined ? existing.WHENCREATED : dateOf(name, child(fn, 'datecreated'), 'datecreated');
  checkOpenPeriod(ctx.state, name, datecreated);
  // updatelineitem line_num="n" replaces line n, which must exist; a lineitem (InvoiceLineCreate) is added at the end.
  const lines = [...existing.lines];
  const items = child(fn, 'updateinvoiceitems');
  for (const u of asArray(child(items, 'updatelineitem'))) {
    const n = Number(text(child(u, '@line_num')));
    if (!Number.isInteger(n) || n < 1 || n > existing.lines.length) {
      throw new FunctionFailure([
        {
          errorno: 'BL03000031',
          description: 'Invalid line number',
          description2: `${name}: line_num ${text(child(u, '@line_num'))} does not exist on invoice ${existing.RECORDID}, which has ${existing.lines.length} line(s)`,
          correction: 'Address existing lines by their number; add a line with lineitem.',
        },
        { errorno: 'BL01001973', description: '', description2: 'Could not update Invoice record!', correction: '' },
      ]);
    }
    // An updatelineitem carries no taxentries (InvoiceLineUpdate writes none): the line keeps its tax.
    const line = parseLine(ctx, name, u, n - 1);
    lines[n - 1] = { ...line, taxentries: line.taxentries.length > 0 ? line.taxentries : (lines[n - 1]?.taxentries ?? []) };
  }
  for (const l of asArray(child(items, 'lineitem'))) lines.push(parseLine(ctx, name, l, lines.length));
  Object.assign(existing, {
    CUSTOMERID: customerid || existing.CUSTOMERID,
    WHENCREATED: datecreated,
    CURRENCY: text(child(fn, 'currency')) || existing.CURRENCY,
    DESCRIPTION: child(fn, 'description') === undefined ? existing.DESCRIPTION : text(child(fn, 'description')),
    PONUMBER: child(fn, 'ponumber') === undefined ? existing.PONUMBER : text(child(fn, 'ponumber')),
    lines,
    total: total(lines),
    WHENMODIFIED: touch(ctx),
    updates: existing.updates + 1,
  });
  return keyResult(existing.RECORDNO);
}

function applyToInvoices(
  ctx: FunctionContext,
  fn: string,
  paymentKey: string,
  paymentCurrency: string,
  items: XmlValue[],
  paymentdate: string,
  extras: { memo: string; overpaylocid: string; overpaydeptid: string },
  available: Units,
): Units {
  let applied = 0n;
  const planned = items.map((item, i) => {
    const invoicekey = required(fn, child(item, 'invoicekey'), `invoicekey of item ${i + 1}`);
    const invoice = ctx.state.arDocuments.get(invoicekey);
    if (invoice?.kind !== 'invoice') fail('BL03000021', 'Invalid key', `${fn}: invoice key ${invoicekey} does not exist`, 'Apply to an existing invoice.');
    const amount = amountOf(fn, child(item, 'amount'), `amount of item ${i + 1}`);
    if (amount <= 0n) fail('BL03000024', '', `${fn}: amount of item ${i + 1} must be positive`);
    const due = invoice.total - invoice.applied;
    // A base-currency payment applied to a foreign-currency invoice is compared with its base amount due.
    const crossCurrency = invoice.CURRENCY !== paymentCurrency;
    const dueInPaymentCurrency = crossCurrency ? convertAtRate(due, invoice.EXCHRATE, 'toBase') : due;
    if (amount > dueInPaymentCurrency) {
      fail(
        'BL03000023',
        'Amount exceeds balance',
        `${fn}: ${formatUnits(amount)} ${paymentCurrency} exceeds the ${formatUnits(dueInPaymentCurrency)} ${paymentCurrency} due on invoice ${invoice.RECORDID}`,
        'Apply at most the amount due.',
      );
    }
    const trxAmount = !crossCurrency ? amount : amount === dueInPaymentCurrency ? due : convertAtRate(amount, invoice.EXCHRATE, 'fromBase');
    applied += amount;
    return { invoice, amount, trxAmount };
  });
  if (applied > available)
    fail(
      'BL03000025',
      'Amount exceeds payment',
      `${fn}: ${formatUnits(applied)} applied but only ${formatUnits(available)} is available`,
      'Apply at most the unapplied amount.',
    );
  for (const { invoice, amount, trxAmount } of planned) {
    invoice.applied += trxAmount;
    invoice.WHENMODIFIED = touch(ctx);
    ctx.state.applications.push({
      RECORDNO: nextRecordNo(ctx.state),
      PAYMENTKEY: paymentKey,
      RECORDKEY: invoice.RECORDNO,
      amount,
      invoiceAmount: trxAmount,
      PAYMENTDATE: paymentdate,
      MEMO: extras.memo,
      OVERPAYLOCID: extras.overpaylocid,
      OVERPAYDEPTID: extras.overpaydeptid,
    });
  }
  return applied;
}

const paymentMethods = ['Printed Check', 'Cash', 'EFT', 'Credit Card', 'Online Charge Card', 'Online ACH Debit', 'Record Transfer'];

function checkDimension(ctx: FunctionContext, fn: string, dim: 'locationid' | 'departmentid', value: string, field: string): void {
  if (value && !ctx.state.master[dimensionLists[dim]!].includes(value))
    fail('BL03002102', `Invalid ${dim}`, `${fn}: ${field} '${value}' does not exist`, `Use an existing ${dim.replace(/id$/, '')} ID.`);
}

function createArPayment(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const name = 'create_arpayment';
  const CUSTOMERID = required(name, child(fn, 'customerid'), 'customerid');
  checkCustomer(ctx, name, CUSTOMERID);
  const amount = amountOf(name, child(fn, 'paymentamount'), 'paymentamount');
  if (amount <= 0n) fail('BL03000024', '', `${name}: paymentamount must be positive`);
  const RECEIPTDATE = dateOf(name, child(fn, 'datereceived'), 'datereceived');
  checkOpenPeriod(ctx.state, name, RECEIPTDATE);
  const PAYMENTMETHOD = required(name, child(fn, 'paymentmethod'), 'paymentmethod');
  if (!paymentMethods.includes(PAYMENTMETHOD))
    fail('BL03000026', '', `${name}: payment method '${PAYMENTMETHOD}' is not valid`, `Use one of: ${paymentMethods.join(', ')}.`);
  const bank = text(child(fn, 'bankaccountid'));
  const undeposited = text(child(fn, 'undepfundsacct'));
  if (bank && !ctx.state.master.bankAccounts.includes(bank))
    fail('BL03000027', 'Invalid bank account', `${name}: bank account ${bank} does not exist`, 'Use an existing checking account ID.');
  if (undeposited) checkGlAccount(ctx, name, undeposited, 'undepfundsacct');
  const overpaylocid = text(child(fn, 'overpaylocid'));
  const overpaydeptid = text(child(fn, 'overpaydeptid'));
  checkDimension(ctx, name, 'locationid', overpaylocid, 'overpaylocid');
  checkDimension(ctx, name, 'departmentid', overpaydeptid, 'overpaydeptid');
  const currency = text(child(fn, 'currency')) || BASE_CURRENCY;
  exchangeRateOf(name, fn, currency);
  const RECORDNO = nextRecordNo(ctx.state);
  const payment = {
    RECORDNO,
    CUSTOMERID,
    DOCNUMBER: text(child(fn, 'refid')),
    PAYMENTMETHOD,
    amount,
    applied: 0n,
    RECEIPTDATE,
    CURRENCY: currency,
    FINANCIALENTITY: bank || undeposited,
    OVERPAYLOCID: overpaylocid,
    OVERPAYDEPTID: overpaydeptid,
    WHENMODIFIED: touch(ctx),
  };
  payment.applied = applyToInvoices(
    ctx,
    name,
    RECORDNO,
    currency,
    asArray(child(fn, 'arpaymentitem')),
    RECEIPTDATE,
    { memo: '', overpaylocid, overpaydeptid },
    amount,
  );
  ctx.state.arPayments.set(RECORDNO, payment);
  return keyResult(RECORDNO);
}

function applyArPayment(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const name = 'apply_arpayment';
  const key = required(name, child(fn, 'arpaymentkey'), 'arpaymentkey');
  const paymentdate = dateOf(name, child(fn, 'paymentdate'), 'paymentdate');
  checkOpenPeriod(ctx.state, name, paymentdate);
  const overpaylocid = text(child(fn, 'overpaylocid'));
  const overpaydeptid = text(child(fn, 'overpaydeptid'));
  checkDimension(ctx, name, 'locationid', overpaylocid, 'overpaylocid');
  checkDimension(ctx, name, 'departmentid', overpaydeptid, 'overpaydeptid');
  const items = asArray(child(child(fn, 'arpaymentitems'), 'arpaymentitem'));
  const extras = { memo: text(child(fn, 'memo')), overpaylocid, overpaydeptid };
  const payment = ctx.state.arPayments.get(key);
  if (payment?.reversed) alreadyReversed(name, `AR payment ${payment.DOCNUMBER || key}`, payment.reversed.date);
  if (payment) {
    payment.applied += applyToInvoices(ctx, name, key, payment.CURRENCY, items, paymentdate, extras, payment.amount - payment.applied);
    payment.WHENMODIFIED = touch(ctx);
    return keyResult(key);
  }
  const credit = ctx.state.arDocuments.get(key);
  if (credit && credit.kind === 'adjustment' && credit.total < 0n) {
    // A credit memo's open balance is negative: applying it moves that balance towards zero.
    credit.applied -= applyToInvoices(ctx, name, key, credit.CURRENCY, items, paymentdate, extras, -(credit.total - credit.applied));
    credit.WHENMODIFIED = touch(ctx);
    return keyResult(key);
  }
  fail('BL03000021', 'Invalid key', `${name}: AR payment or credit ${key} does not exist`, 'Create the payment or credit memo first.');
}

// ---------- taking documents back ----------

function alreadyReversed(fn: string, what: string, date: string): never {
  fail('BL03000156', 'Transaction reversed', `${fn}: ${what} was reversed on ${date}`, 'A reversed transaction cannot be changed, applied or reversed again.');
}

/**
 * The elements the SDK writes for a take-back function (InvoiceReverse / ArPaymentReverse:
 * `key` attribute, datereversed, description; ArAdjustmentDelete: `key` alone), in that order.
 */
function checkTakeBackElements(fn: string, body: XmlValue, allowed: readonly string[]): string {
  const names = elementNames(body);
  const unknown = names.find((n) => !allowed.includes(n));
  if (unknown) fail('XL03000000', 'Invalid element', `${fn}: element '${unknown}' is not expected (allowed: ${allowed.join(', ') || 'none'})`);
  if (names.some((n, i) => i > 0 && allowed.indexOf(n) < allowed.indexOf(names[i - 1]!)))
    fail('XL03000000', 'Invalid element order', `${fn}: the order is ${allowed.join(', ')}`);
  return required(fn, child(body, '@key'), 'key');
}

function reversalDate(ctx: FunctionContext, fn: string, body: XmlValue, postedOn: string): { date: string; description: string } {
  const date = dateOf(fn, child(body, 'datereversed'), 'datereversed');
  if (date < postedOn)
    fail(
      'BL03000157',
      'Invalid reversal date',
      `${fn}: datereversed ${date} is before the transaction's date ${postedOn}`,
      'Reverse on or after the transaction date.',
    );
  checkOpenPeriod(ctx.state, fn, date);
  return { date, description: text(child(body, 'description')) };
}

/** reverse_invoice: a posted invoice with nothing applied is reversed; the reversal leaves nothing due. */
function reverseInvoice(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const name = 'reverse_invoice';
  const key = checkTakeBackElements(name, fn, ['datereversed', 'description']);
  const invoice = ctx.state.arDocuments.get(key);
  if (invoice?.kind !== 'invoice') fail('BL03000021', 'Invalid key', `${name}: invoice key ${key} does not exist`, 'Look the invoice up by its number first.');
  if (invoice.reversed) alreadyReversed(name, `invoice ${invoice.RECORDID}`, invoice.reversed.date);
  const reversal = reversalDate(ctx, name, fn, invoice.WHENCREATED);
  if (invoice.applied !== 0n) {
    fail(
      'BL03000151',
      'Invoice has payments applied',
      `${name}: invoice ${invoice.RECORDID} has ${formatUnits(invoice.applied)} ${invoice.CURRENCY} of payments or credits applied and cannot be reversed`,
      'Reverse the payments first, then reverse the invoice.',
    );
  }
  // A new version of the record, as a read after the reversal returns: an earlier read keeps what it saw.
  ctx.state.arDocuments.set(key, { ...invoice, reversed: reversal, applied: invoice.total, WHENMODIFIED: touch(ctx) });
  return keyResult(key);
}

/** reverse_arpayment: the payment and every application of it are taken back; its invoices are due again. */
function reverseArPayment(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const name = 'reverse_arpayment';
  const key = checkTakeBackElements(name, fn, ['datereversed', 'description']);
  const payment = ctx.state.arPayments.get(key);
  if (!payment) fail('BL03000021', 'Invalid key', `${name}: AR payment key ${key} does not exist`, 'Look the payment up by its reference first.');
  if (payment.reversed) alreadyReversed(name, `AR payment ${payment.DOCNUMBER || key}`, payment.reversed.date);
  const reversal = reversalDate(ctx, name, fn, payment.RECEIPTDATE);
  const modified = touch(ctx);
  for (const application of ctx.state.applications.filter((a) => a.PAYMENTKEY === key)) {
    const invoice = ctx.state.arDocuments.get(application.RECORDKEY);
    if (!invoice) continue;
    invoice.applied -= application.invoiceAmount ?? application.amount;
    invoice.WHENMODIFIED = modified;
  }
  ctx.state.applications = ctx.state.applications.filter((a) => a.PAYMENTKEY !== key);
  Object.assign(payment, { reversed: reversal, applied: 0n, WHENMODIFIED: modified });
  return keyResult(key);
}

/** delete_aradjustment: an adjustment nothing was applied with, in an open period, is deleted. */
function deleteArAdjustment(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const name = 'delete_aradjustment';
  const key = checkTakeBackElements(name, fn, []);
  const adjustment = ctx.state.arDocuments.get(key);
  if (adjustment?.kind !== 'adjustment')
    fail('BL03000021', 'Invalid key', `${name}: adjustment key ${key} does not exist`, 'Look the adjustment up by its number first.');
  checkOpenPeriod(ctx.state, name, adjustment.WHENCREATED);
  if (adjustment.applied !== 0n || ctx.state.applications.some((a) => a.PAYMENTKEY === key || a.RECORDKEY === key)) {
    fail(
      'BL03000152',
      'Adjustment has been applied',
      `${name}: adjustment ${adjustment.RECORDID} has been applied and cannot be deleted`,
      'Reverse the applications of the adjustment first.',
    );
  }
  ctx.state.arDocuments.delete(key);
  return keyResult(key);
}

/** reverse_bill (BillReverse): a posted bill with nothing paid is reversed; the reversal leaves nothing to pay. */
function reverseBill(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const name = 'reverse_bill';
  const key = checkTakeBackElements(name, fn, ['datereversed', 'description']);
  const bill = ctx.state.bills.get(key);
  if (!bill) fail('BL03000021', 'Invalid key', `${name}: bill key ${key} does not exist`, 'Look the bill up by its number first.');
  if (bill.reversed) alreadyReversed(name, `bill ${bill.RECORDID}`, bill.reversed.date);
  const reversal = reversalDate(ctx, name, fn, bill.WHENCREATED);
  if (bill.paid !== 0n) {
    fail(
      'BL03000151',
      'Bill has payments applied',
      `${name}: bill ${bill.RECORDID} has ${formatUnits(bill.paid)} of payments applied and cannot be reversed`,
      'Reverse the payments first, then reverse the bill.',
    );
  }
  ctx.state.bills.set(key, { ...bill, reversed: reversal, paid: bill.total });
  return keyResult(key);
}

/** reverse_appayment (ApPaymentReverse): the payment is taken off the bills it paid, which are due again. */
function reverseApPayment(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const name = 'reverse_appayment';
  const key = checkTakeBackElements(name, fn, ['datereversed', 'description']);
  const payment = ctx.state.apPayments.get(key);
  if (!payment) fail('BL03000021', 'Invalid key', `${name}: AP payment key ${key} does not exist`, 'Look the payment up first.');
  if (payment.reversed) alreadyReversed(name, `AP payment ${payment.DESCRIPTION || key}`, payment.reversed.date);
  const reversal = reversalDate(ctx, name, fn, payment.PAYMENTDATE);
  for (const item of payment.items) {
    const bill = ctx.state.bills.get(item.billkey);
    if (bill) bill.paid -= item.amount;
  }
  payment.reversed = reversal;
  return keyResult(key);
}

// ---------- legacy AP ----------

/**
 * An invoice or a bill is due on a date or by a payment term: the SDK's InvoiceCreate and BillCreate
 * write datedue when there is one and otherwise termname, as a required element.
 */
function dueDateOrTerm(fn: string, doc: XmlValue): void {
  if (child(doc, 'datedue') !== undefined || text(child(doc, 'termname')) !== '') return;
  fail('BL03000011', 'Required field missing', `${fn}: datedue or termname is required`, 'Provide datedue, or termname of a payment term.');
}

function createBill(ctx: FunctionContext, fn: XmlValue): FunctionResult {
  const name = 'create_bill';
  const VENDORID = required(name, child(fn, 'vendorid'), 'vendorid');
  if (!ctx.state.master.vendors.includes(VENDORID))
    fail('BL03000028', 'Invalid vendor', `${name}: vendor ${VENDORID} does not exist`, 'Use an existing vendor ID.');
  const WHENCREATED = dateOf(name, child(fn, 'datecreated'), 'datecreated');
  checkOpenPeriod(ctx.state, name, WHENCREATED);
  const RECORDID = text(child(fn, 'billno'));
  if (RECORDID && [...ctx.state.bills.values()].some((b) => b.RECORDID === RECORDID)) {
    fail('BL03000130', 'Duplicate document number', `${name}: bill number ${RECORDID} already exists`, 'Use a unique bill number.');
  }
  const lines = asArray(child(child(fn, 'billitems'), 'lineitem')).map((l, i) =>
    parseLine(ctx, name, l, i, ['locationid', 'departmentid', 'projectid', 'classid', 'employeeid', 'itemid']),
  );
  if (lines.length === 0) fail('BL03000011', '', `${name}: at least one line item is required`);
  dueDateOrTerm(name, fn);
  const RECORDNO = nextRecordNo(ctx.state);
  ctx.state.bills.set(RECORDNO, { RECORDNO, RECORDID: RECORDID || RECORDNO, VENDORID, WHENCREATED, lines, total: total(lines), paid: 0n });
  return keyResult(RECORDNO);
}

/** `MM/DD/YYYY`, the object API's date format (ApPaymentCreate writes PAYMENTDATE so). */
function usDateOf(fn: string, value: XmlValue | undefined, field: string): string {
  const raw = text(value);
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(raw);
  const iso = m ? `${m[3]}-${m[1]}-${m[2]}` : '';
  if (!m || Number.isNaN(new Date(`${iso}T00:00:00Z`).getTime()) || new Date(`${iso}T00:00:00Z`).toISOString().slice(0, 10) !== iso) {
    fail('BL03000012', 'Invalid date', `${fn}: ${field} '${raw}' is not a date in MM/DD/YYYY`, 'Send the date as MM/DD/YYYY.');
  }
  return iso;
}

/** `<create><APPYMT>`: an AP payment of bills, as the SDK's ApPaymentCreate writes it. */
function createApPayment(ctx: FunctionContext, p: XmlValue | undefined): FunctionResult {
  const name = 'create APPYMT';
  const bank = required(name, child(p, 'FINANCIALENTITY'), 'FINANCIALENTITY');
  if (!ctx.state.master.bankAccounts.includes(bank))
    fail('BL03000027', 'Invalid bank account', `${name}: bank account ${bank} does not exist`, 'Use an existing checking account ID.');
  const VENDORID = required(name, child(p, 'VENDORID'), 'VENDORID');
  if (!ctx.state.master.vendors.includes(VENDORID))
    fail('BL03000028', 'Invalid vendor', `${name}: vendor ${VENDORID} does not exist`, 'Use an existing vendor ID.');
  const PAYMENTMETHOD = required(name, child(p, 'PAYMENTMETHOD'), 'PAYMENTMETHOD');
  if (!paymentMethods.includes(PAYMENTMETHOD)) fail('BL03000026', '', `${name}: payment method '${PAYMENTMETHOD}' is not valid`);
  const PAYMENTDATE = usDateOf(name, child(p, 'PAYMENTDATE'), 'PAYMENTDATE');
  checkOpenPeriod(ctx.state, name, PAYMENTDATE);
  const items = asArray(child(child(p, 'APPYMTDETAILS'), 'APPYMTDETAIL')).map((detail, i) => {
    const billkey = required(name, child(detail, 'RECORDKEY'), `RECORDKEY of detail ${i + 1}`);
    const bill = ctx.state.bills.get(billkey);
    if (!bill) fail('BL03000021', 'Invalid key', `${name}: bill key ${billkey} does not exist`, 'Pay an existing bill.');
    if (bill.reversed) alreadyReversed(name, `bill ${bill.RECORDID}`, bill.reversed.date);
    if (bill.VENDORID !== VENDORID) fail('BL03000029', '', `${name}: bill ${bill.RECORDID} belongs to vendor ${bill.VENDORID}, not ${VENDORID}`);
    const amount = amountOf(name, child(detail, 'TRX_PAYMENTAMOUNT'), `TRX_PAYMENTAMOUNT of detail ${i + 1}`);
    if (amount <= 0n || amount > bill.total - bill.paid)
      fail(
        'BL03000023',
        'Amount exceeds balance',
        `${name}: ${formatUnits(amount)} is not within the ${formatUnits(bill.total - bill.paid)} due on bill ${bill.RECORDID}`,
        'Pay at most the amount due.',
      );
    return { bill, amount };
  });
  if (items.length === 0) fail('BL03000011', '', `${name}: at least one APPYMTDETAIL is required`);
  for (const { bill, amount } of items) bill.paid += amount;
  const RECORDNO = nextRecordNo(ctx.state);
  ctx.state.apPayments.set(RECORDNO, {
    RECORDNO,
    FINANCIALENTITY: bank,
    VENDORID,
    DESCRIPTION: text(child(p, 'DESCRIPTION')),
    PAYMENTMETHOD,
    PAYMENTDATE,
    items: items.map(({ bill, amount }) => ({ billkey: bill.RECORDNO, amount })),
    total: items.reduce((sum, i) => sum + i.amount, 0n),
  });
  return { data: { '@listtype': 'objects', '@count': '1', appymt: { RECORDNO } } };
}

function legacyPaymentRequest(): FunctionResult {
  fail(
    'XL03000003',
    'Legacy function',
    'create_paymentrequest is the legacy AP payment function; the Sage Intacct SDKs create AP payments with <create><APPYMT> (ApPaymentCreate)',
    'Send <create><APPYMT> with PAYMENTMETHOD, FINANCIALENTITY, VENDORID, PAYMENTDATE and APPYMTDETAILS.',
  );
}

/** Every function the fake knows, by element name. */
export const functionTable: Record<string, (ctx: FunctionContext, fn: XmlValue) => FunctionResult> = {
  getAPISession: (ctx) => getAPISession(ctx),
  readByQuery,
  readMore,
  create: createObject,
  update: updateObject,
  create_invoice: (ctx, fn) => createArDocument(ctx, 'create_invoice', fn, 'invoice'),
  update_invoice: updateInvoice,
  create_aradjustment: (ctx, fn) => createArDocument(ctx, 'create_aradjustment', fn, 'adjustment'),
  create_arpayment: createArPayment,
  apply_arpayment: applyArPayment,
  reverse_invoice: reverseInvoice,
  reverse_arpayment: reverseArPayment,
  delete_aradjustment: deleteArAdjustment,
  reverse_bill: reverseBill,
  reverse_appayment: reverseApPayment,
  create_bill: createBill,
  create_paymentrequest: legacyPaymentRequest,
};
