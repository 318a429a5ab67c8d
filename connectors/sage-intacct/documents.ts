/**
 * What the sink knows of Intacct's protocol, per target object: the gateway function that
 * creates it (and updates it, where Intacct allows), its elements in DTD order, how values are
 * written (dates as year/month/day, amounts as exact decimals), and how to find an existing one
 * by its natural key. It knows nothing of Chargebee: the pipeline's mapping produces these fields.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { amountText, multiplyDecimal, sumDecimal } from '../../domain/money/decimal.js';
import type { XmlNode, XmlValue } from './xml.js';

type FieldSpec =
  | 'text'
  | 'date'
  /** A date written `MM/DD/YYYY` in one element (the object API: APPYMT's PAYMENTDATE). */
  | 'usdate'
  | 'amount'
  /** A child element with its own ordered children (`billto`, `DISPLAYCONTACT`). */
  | { node: Fields }
  /** A wrapper holding a repeated element: `invoiceitems` → `lineitem` × n. */
  | { list: string; of: Fields }
  /** The element itself repeated (`arpaymentitem` directly under `create_arpayment`). */
  | { repeat: Fields };
type Fields = ReadonlyArray<readonly [string, FieldSpec]>;

const t = (...names: string[]): Fields => names.map((n) => [n, 'text'] as const);
const contact: Fields = t('contactname');
const customFields: FieldSpec = { list: 'customfield', of: t('customfieldname', 'customfieldvalue') };

// Line elements in the order of the SDK's InvoiceLineCreate / ArAdjustmentLineCreate / BillLineCreate
// (intacct-sdk-js); taxentries last, as the PHP and .NET SDKs' InvoiceLineCreate write them.
const lineHead: Fields = [
  ...t('accountlabel', 'glaccountno', 'offsetglaccountno'),
  ['amount', 'amount'],
  ...t('allocationid', 'memo', 'locationid', 'departmentid', 'key'),
];
const lineTotals: Fields = [
  ['totalpaid', 'amount'],
  ['totaldue', 'amount'],
  ['customfields', customFields],
];
const lineDimensions = t('projectid', 'customerid', 'vendorid', 'employeeid', 'itemid', 'classid', 'contractid', 'warehouseid');
const taxEntries: readonly [string, FieldSpec] = [
  'taxentries',
  {
    list: 'taxentry',
    of: [
      ['detailid', 'text'],
      ['trx_tax', 'amount'],
    ],
  },
];

const arLine: Fields = [
  ...lineHead,
  ...lineTotals,
  ...t('revrectemplate', 'defrevaccount'),
  ['revrecstartdate', 'date'],
  ['revrecenddate', 'date'],
  ...lineDimensions,
  taxEntries,
];

const arAdjustmentLine: Fields = [...lineHead, ...lineTotals, ...lineDimensions, taxEntries];

const apLine: Fields = [...lineHead, ...lineTotals, ...lineDimensions, ...t('billable')];

const currencyFields: Fields = [...t('basecurr', 'currency'), ['exchratedate', 'date'], ...t('exchratetype', 'exchrate')];

const invoiceHeader: Fields = [
  ['customerid', 'text'],
  ['datecreated', 'date'],
  ['dateposted', 'date'],
  ['datedue', 'date'],
  ...t('termname', 'action', 'batchkey', 'invoiceno', 'ponumber', 'onhold', 'description', 'externalid'),
  ['billto', { node: contact }],
  ['shipto', { node: contact }],
  ...currencyFields,
  ...t('nogl', 'supdocid'),
  ['customfields', customFields],
];

/**
 * update_invoice as the SDK's InvoiceUpdate writes it: the contacts are `payto` / `returnto`, the
 * currency section has no `basecurr`, and `batchkey`, `onhold`, `externalid`, `nogl` and the
 * document number (the key) are not sent: they are set when the invoice is created.
 */
const invoiceUpdateFields: Fields = [
  ['customerid', 'text'],
  ['datecreated', 'date'],
  ['dateposted', 'date'],
  ['datedue', 'date'],
  ...t('termname', 'action', 'ponumber', 'description'),
  ['payto', { node: contact }],
  ['returnto', { node: contact }],
  ['currency', 'text'],
  ['exchratedate', 'date'],
  ...t('exchratetype', 'exchrate', 'supdocid'),
  ['customfields', customFields],
  ['invoiceitems', { list: 'lineitem', of: arLine }],
];

const customerFields: Fields = [
  ...t('CUSTOMERID', 'NAME'),
  [
    'DISPLAYCONTACT',
    {
      node: [
        ...t(
          'PRINTAS',
          'COMPANYNAME',
          'TAXABLE',
          'TAXGROUP',
          'PREFIX',
          'FIRSTNAME',
          'LASTNAME',
          'INITIAL',
          'PHONE1',
          'PHONE2',
          'CELLPHONE',
          'PAGER',
          'FAX',
          'EMAIL1',
          'EMAIL2',
          'URL1',
          'URL2',
        ),
        ['MAILADDRESS', { node: t('ADDRESS1', 'ADDRESS2', 'CITY', 'STATE', 'ZIP', 'COUNTRY', 'COUNTRYCODE') }],
      ],
    },
  ],
  ...t(
    'ONETIME',
    'STATUS',
    'HIDEDISPLAYCONTACT',
    'CUSTTYPE',
    'CUSTREPID',
    'PARENTID',
    'GLGROUP',
    'TERRITORYID',
    'SUPDOCID',
    'TERMNAME',
    'OFFSETGLACCOUNTNO',
    'ARACCOUNT',
    'SHIPPINGMETHOD',
    'RESALENO',
    'TAXID',
  ),
  ['CREDITLIMIT', 'amount'],
  ...t('ONHOLD', 'DELIVERYOPTIONS', 'CUSTMESSAGEID', 'COMMENTS', 'CURRENCY'),
  ['CONTACTINFO', { node: t('CONTACTNAME') }],
  ['BILLTO', { node: t('CONTACTNAME') }],
  ['SHIPTO', { node: t('CONTACTNAME') }],
];

export interface Lookup {
  /** Object queried with readByQuery. */
  object: string;
  /** Queried field compared with the natural key. */
  field: string;
}

export interface ObjectSpec {
  /** Legacy function (`create_invoice`) or object-API verb (`create` with `<CUSTOMER>`). */
  create: { function: string; objectElement?: string };
  update?: {
    function: string;
    objectElement?: string;
    keyAttribute?: boolean;
    linesElement?: { from: string; to: string };
    /** The update function's own elements, when they are not the create function's. */
    fields?: Fields;
    /** Mapped (create) names → the update function's names. */
    rename?: Readonly<Record<string, string>>;
    /** Line elements the update function's lines do not have (sent on create only). */
    linesOmit?: readonly string[];
    /**
     * Where the lines the document holds are read before an update (rows whose `documentField` is
     * its RECORDNO): the update addresses them by number and adds the others.
     */
    existingLines?: { object: string; documentField: string };
  };
  fields: Fields;
  /** Custom fields of the object API are top-level elements: allow unknown UPPERCASE ones after the known. */
  openFields?: boolean;
  /** Field of the mapped record holding the natural key (descriptor `objects.<name>.natural_key`). */
  naturalKey: string;
  /** How an existing record is found before creating (descriptor `settings.lookup_by`); absent for applications, found through their details. */
  lookup?: Lookup;
  /** The id the ledger keeps: the natural key (customers are referenced by CUSTOMERID) or the record number. */
  targetId: 'naturalKey' | 'recordNo';
  /** Why a changed record cannot be written again, when Intacct offers no update. */
  immutable?: string;
  /** How a posted document is voided when the mapping asks it (`_action: void`). */
  voiding?: Voiding;
  /**
   * No SDK function takes it back (one application of a payment or credit memo: ArPaymentReverse
   * reverses the whole payment): a void of one still in Intacct is a dead letter naming what to
   * reverse there by hand, one not there is skipped.
   */
  voidByHand?: true;
  /**
   * The total Intacct lists for the document (TRX_TOTALENTERED), from its mapped record: a create in
   * doubt of a document no update can correct is adopted only when Intacct holds this total.
   */
  total?: (data: Record<string, unknown>) => string;
}

/**
 * The function that voids a posted document, addressed by its RECORDNO (`key` attribute):
 * `reverse_invoice` / `reverse_arpayment` / `reverse_bill` / `reverse_appayment` (the SDK's
 * InvoiceReverse / ArPaymentReverse / BillReverse / ApPaymentReverse: a reversal dated
 * `datereversed`), or `delete_aradjustment` (ArAdjustmentDelete: Intacct offers no reversal of an
 * AR adjustment).
 */
export interface Voiding {
  function: string;
  /** What the function does to the document, in Intacct's words (messages say "nothing to reverse"). */
  verb: 'reverse' | 'delete';
  /** The function's elements besides the key, in the SDK's order; the mapped void record holds them and the natural key. */
  fields: Fields;
  required: readonly string[];
}

const reversal = (fn: string): Voiding => ({
  function: fn,
  verb: 'reverse',
  fields: [
    ['datereversed', 'date'],
    ['description', 'text'],
  ],
  required: ['datereversed'],
});

/** A mapped list (an array, or a single item) as its items. */
function itemsIn(value: unknown): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.filter((item): item is Record<string, unknown> => Boolean(item) && typeof item === 'object');
}

/** Line amounts with their tax entries, as Intacct totals a document. */
function linesTotal(lines: unknown, field: string): string {
  return sumDecimal(
    itemsIn(lines).flatMap((line) => [
      amountValue(line[field], field),
      ...itemsIn(line['taxentries']).map((tax) => amountValue(tax['trx_tax'], 'taxentries.trx_tax')),
    ]),
  );
}

/** What the descriptor cannot say about an object: its functions and the DTD order of its fields. */
export type ObjectShape = Omit<ObjectSpec, 'naturalKey' | 'lookup'>;

export const objectShapes: Readonly<Record<string, ObjectShape>> = {
  CUSTOMER: {
    create: { function: 'create', objectElement: 'CUSTOMER' },
    update: { function: 'update', objectElement: 'CUSTOMER' },
    fields: customerFields,
    openFields: true,
    targetId: 'naturalKey',
  },
  ARINVOICE: {
    create: { function: 'create_invoice' },
    update: {
      function: 'update_invoice',
      keyAttribute: true,
      linesElement: { from: 'invoiceitems', to: 'updateinvoiceitems' },
      fields: invoiceUpdateFields,
      rename: { billto: 'payto', shipto: 'returnto' },
      // No SDK writes taxentries in an updatelineitem (InvoiceLineUpdate): a line's tax entries stay as created.
      linesOmit: ['taxentries'],
      existingLines: { object: 'ARINVOICEITEM', documentField: 'RECORDKEY' },
    },
    fields: [...invoiceHeader, ['invoiceitems', { list: 'lineitem', of: arLine }]],
    targetId: 'recordNo',
    voiding: reversal('reverse_invoice'),
  },
  ARADJUSTMENT: {
    create: { function: 'create_aradjustment' },
    fields: [
      ['customerid', 'text'],
      ['datecreated', 'date'],
      ['dateposted', 'date'],
      ...t('batchkey', 'adjustmentno', 'action', 'invoiceno', 'description', 'externalid'),
      ...currencyFields,
      ['nogl', 'text'],
      ['customfields', customFields],
      ['aradjustmentitems', { list: 'lineitem', of: arAdjustmentLine }],
    ],
    targetId: 'recordNo',
    immutable:
      'Intacct AR adjustments (credit memos) cannot be edited through the API once created; delete the credit memo in Intacct (its applications reversed first) and re-run: the next run posts this version',
    total: (d) => linesTotal(d['aradjustmentitems'], 'amount'),
    voiding: { function: 'delete_aradjustment', verb: 'delete', fields: [], required: [] },
  },
  ARPAYMENT: {
    create: { function: 'create_arpayment' },
    fields: [
      ['customerid', 'text'],
      ['paymentamount', 'amount'],
      ['translatedamount', 'amount'],
      ...t('undepfundsacct', 'batchkey', 'bankaccountid', 'refid', 'overpaylocid', 'overpaydeptid'),
      ['datereceived', 'date'],
      ...t('paymentmethod'),
      ...currencyFields,
      ...t('cctype', 'authcode'),
      [
        'arpaymentitem',
        {
          repeat: [
            ['invoicekey', 'text'],
            ['amount', 'amount'],
          ],
        },
      ],
    ],
    targetId: 'recordNo',
    immutable: 'Intacct AR payments cannot be edited through the API; reverse the payment in Intacct and re-run: the next run posts this version',
    total: (d) => amountValue(d['paymentamount'], 'paymentamount'),
    voiding: reversal('reverse_arpayment'),
  },
  ARPAYMENT_APPLY: {
    create: { function: 'apply_arpayment' },
    fields: [
      ['arpaymentkey', 'text'],
      ['paymentdate', 'date'],
      ...t('batchkey', 'memo', 'overpaylocid', 'overpaydeptid'),
      [
        'arpaymentitems',
        {
          list: 'arpaymentitem',
          of: [
            ['invoicekey', 'text'],
            ['amount', 'amount'],
          ],
        },
      ],
    ],
    targetId: 'recordNo',
    immutable:
      'an application of a payment or credit memo cannot be changed through the API; reverse the application in Intacct and re-run: the next run applies this version',
    voidByHand: true,
  },
  APBILL: {
    create: { function: 'create_bill' },
    fields: [
      ['vendorid', 'text'],
      ['datecreated', 'date'],
      ['dateposted', 'date'],
      ['datedue', 'date'],
      ...t('termname', 'batchkey', 'billno', 'ponumber', 'onhold', 'description', 'externalid'),
      ['payto', { node: contact }],
      ['returnto', { node: contact }],
      ...currencyFields,
      ...t('nogl', 'supdocid'),
      ['customfields', customFields],
      ['billitems', { list: 'lineitem', of: apLine }],
    ],
    targetId: 'recordNo',
    immutable:
      'Intacct bills posted by ledgersync are not updated through the API; reverse the bill in Intacct (its payments reversed first), or delete it there, and re-run: the next run posts this version',
    total: (d) => linesTotal(d['billitems'], 'amount'),
    voiding: reversal('reverse_bill'),
  },
  APPAYMENT: {
    // The object API, as the SDK's ApPaymentCreate writes it; create_paymentrequest is the legacy function.
    create: { function: 'create', objectElement: 'APPYMT' },
    fields: [
      ...t('PAYMENTMETHOD', 'FINANCIALENTITY', 'VENDORID', 'PAYMENTREQUESTMETHOD', 'GROUPPAYMENTS'),
      ['EXCH_RATE_DATE', 'usdate'],
      ...t('EXCH_RATE_TYPE_ID', 'DOCNUMBER', 'DESCRIPTION', 'PAYMENTCONTACT'),
      ['PAYMENTDATE', 'usdate'],
      ...t('CURRENCY', 'BASECURR'),
      ['AMOUNTTOPAY', 'amount'],
      ['ACTION', 'text'],
      [
        'APPYMTDETAILS',
        {
          list: 'APPYMTDETAIL',
          of: [
            ['RECORDKEY', 'text'],
            ['ENTRYKEY', 'text'],
            ['TRX_PAYMENTAMOUNT', 'amount'],
          ],
        },
      ],
    ],
    targetId: 'recordNo',
    immutable: 'Intacct AP payments cannot be edited through the API; reverse the payment in Intacct and re-run: the next run posts this version',
    total: (d) => (d['APPYMTDETAILS'] === undefined ? amountValue(d['AMOUNTTOPAY'], 'AMOUNTTOPAY') : linesTotal(d['APPYMTDETAILS'], 'TRX_PAYMENTAMOUNT')),
    // Its natural key is DESCRIPTION; the reversal's own memo is the lowercase `description`.
    voiding: reversal('reverse_appayment'),
  },
};

function bad(path: string, message: string, fix?: string): LedgersyncError {
  return new LedgersyncError('invalid_intacct_field', 'record', `${path}: ${message}`, fix ? { fix } : {});
}

function usDateValue(value: unknown, path: string): string {
  const m = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  if (!m) throw bad(path, `expected a date YYYY-MM-DD, received ${JSON.stringify(value)}`, 'map dates with $date(timestamp)');
  return `${m[2]}/${m[3]}/${m[1]}`;
}

function dateValue(value: unknown, path: string): XmlNode {
  const m = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  if (!m) throw bad(path, `expected a date YYYY-MM-DD, received ${JSON.stringify(value)}`, 'map dates with $date(timestamp)');
  return { year: m[1]!, month: m[2]!, day: m[3]! };
}

/**
 * An amount, or `{ amount, exchange_rate, decimals }` for an amount converted at a rate and rounded
 * to `decimals` (default 2) half away from zero, the product computed exactly: the round-off line,
 * which Intacct takes with at most 2 decimals, is `{ amount, exchange_rate: "1", decimals: 2 }`.
 */
export function amountValue(value: unknown, path: string): string {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const { amount, exchange_rate: rate, decimals, ...rest } = value as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length) throw bad(path, `a converted amount has amount, exchange_rate and decimals, not ${unknown.join(', ')}`);
    const places = decimals === undefined ? 2 : Number(decimals);
    if (!Number.isInteger(places) || places < 0 || places > 4) throw bad(path, `decimals must be 0 to 4, received ${JSON.stringify(decimals)}`);
    const rateText = amountText(typeof rate === 'number' ? String(rate) : rate, `${path}.exchange_rate`);
    return multiplyDecimal(amountText(amount, `${path}.amount`), rateText, places);
  }
  return amountText(value, path);
}

function scalarText(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw bad(path, `expected text, received ${JSON.stringify(value)}`);
}

/** Nothing to write: left out of every function. */
const isAbsent = (v: unknown) => v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/**
 * What a mapped null becomes: the mapping's way to say "Chargebee has no value here any more". An
 * update writes it as an empty element, as the SDK's IaXmlWriter.writeElement writes "" ("if value
 * == "" we are writing it"): that is how Intacct clears a field, an element left out keeping its
 * value. A create (or a reversal) leaves it out: a new record has nothing to clear. A date or an
 * amount has no empty form in the SDK (it writes Date and number values only): null is left out.
 * An empty text stays what it always was, nothing to write, so an option left "" (a dimension off)
 * never clears anything and mappings written before keep their meaning.
 */
export type Blanks = 'write' | 'omit';

const isEmptyNode = (v: XmlValue) => typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;

/** Writes a mapped record as elements in DTD order, refusing fields the element does not have. */
export function toElements(data: Record<string, unknown>, fields: Fields, path: string, openFields = false, blanks: Blanks = 'omit'): XmlNode {
  const known = new Set(fields.map(([n]) => n));
  const unknown = Object.keys(data).filter((k) => !known.has(k) && !(openFields && /^[A-Z][A-Z0-9_]*$/.test(k)));
  if (unknown.length) {
    throw bad(path, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, `use the element names of Intacct's API: ${[...known].join(', ')}`);
  }
  const out: XmlNode = {};
  for (const [name, spec] of fields) {
    const value = data[name];
    if (isAbsent(value)) continue;
    if (value === null) {
      if (blanks === 'write' && spec === 'text') out[name] = '';
      continue;
    }
    const element = fieldValue(value, spec, `${path}.${name}`, blanks);
    // A contact or address with nothing to write is left out, as the SDK leaves out MAILADDRESS.
    if (!isEmptyNode(element)) out[name] = element;
  }
  if (openFields) {
    for (const k of Object.keys(data).filter((k) => !known.has(k) && !isAbsent(data[k]) && (blanks === 'write' || data[k] !== null))) {
      out[k] = data[k] === null ? '' : scalarText(data[k], `${path}.${k}`);
    }
  }
  return out;
}

function objectOf(value: unknown, path: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw bad(path, `expected an object, received ${JSON.stringify(value)}`);
  return value as Record<string, unknown>;
}

function fieldValue(value: unknown, spec: FieldSpec, path: string, blanks: Blanks): XmlValue {
  if (spec === 'text') return scalarText(value, path);
  if (spec === 'date') return dateValue(value, path);
  if (spec === 'usdate') return usDateValue(value, path);
  if (spec === 'amount') return amountValue(value, path);
  if ('node' in spec) return toElements(objectOf(value, path), spec.node, path, false, blanks);
  const items = Array.isArray(value) ? value : [value];
  const elements = items.map((item, i) => toElements(objectOf(item, `${path}[${i}]`), 'list' in spec ? spec.of : spec.repeat, `${path}[${i}]`, false, blanks));
  return 'list' in spec ? { [spec.list]: elements } : elements;
}

/**
 * The object specs of the sink: each object the descriptor declares, with its natural key
 * (`objects.<name>.natural_key`) and look-up (`settings.lookup_by`), joined to its shape here.
 */
export function objectSpecsOf(
  objects: Readonly<Record<string, { natural_key?: string }>>,
  lookupBy: Readonly<Record<string, Lookup>>,
): Record<string, ObjectSpec> {
  const specs: Record<string, ObjectSpec> = {};
  for (const [name, declared] of Object.entries(objects)) {
    const shape = objectShapes[name];
    if (!shape || !declared.natural_key) {
      throw new LedgersyncError(
        'invalid_descriptor',
        'system',
        `sage-intacct descriptor: object ${name} ${shape ? 'declares no natural_key' : `has no function shape in documents.ts (known: ${Object.keys(objectShapes).join(', ')})`}`,
      );
    }
    const lookup = lookupBy[name];
    specs[name] = { ...shape, naturalKey: declared.natural_key, ...(lookup ? { lookup } : {}) };
  }
  return specs;
}

export function specFor(specs: Readonly<Record<string, ObjectSpec>>, object: string): ObjectSpec {
  const spec = specs[object];
  if (!spec) {
    throw new LedgersyncError('unknown_intacct_object', 'config', `the Sage Intacct sink cannot write '${object}'`, {
      fix: `use one of: ${Object.keys(specs).join(', ')}`,
    });
  }
  return spec;
}

/** The natural key of a mapped record, as text (empty when absent). */
export function naturalKeyOf(spec: ObjectSpec, data: Record<string, unknown>): string {
  const v = data[spec.naturalKey];
  return v === undefined || v === null ? '' : String(v);
}

/** The body of the create function for a mapped record. */
export function createBody(spec: ObjectSpec, object: string, data: Record<string, unknown>): { name: string; body: XmlNode } {
  const elements = toElements(data, spec.fields, object, spec.openFields);
  return spec.create.objectElement
    ? { name: spec.create.function, body: { [spec.create.objectElement]: elements } }
    : { name: spec.create.function, body: elements };
}

/**
 * The body of the update function, addressed to an existing record. `linesInTarget` is how many
 * lines the document holds (`update.existingLines`): lines up to it are replaced by number, the
 * others added. Left out, every line is addressed by number, and Intacct refuses one it lacks.
 */
export function updateBody(
  spec: ObjectSpec,
  object: string,
  data: Record<string, unknown>,
  recordNo: string,
  linesInTarget?: number,
): { name: string; body: XmlNode; attributes?: Record<string, string> } {
  const update = spec.update;
  if (!update) throw new LedgersyncError('intacct_update_unsupported', 'record', `${object}: ${spec.immutable ?? 'Intacct offers no update for this object'}`);
  if (update.objectElement) {
    // The SDK's CustomerUpdate addresses the record by its ID (the first element), never by RECORDNO.
    return { name: update.function, body: { [update.objectElement]: toElements(data, spec.fields, object, spec.openFields, 'write') } };
  }
  const renamed: Record<string, unknown> = {};
  const updatable = new Set((update.fields ?? spec.fields).map(([name]) => name));
  for (const [k, v] of Object.entries(data)) {
    if (k === spec.naturalKey) continue; // the document number is the key: never renumbered
    const name = update.rename?.[k] ?? k;
    // Set when the document was created, and not elements of the update function: left as they are.
    if (!updatable.has(name) && spec.fields.some(([n]) => n === k)) continue;
    renamed[name] = v;
  }
  const elements = toElements(renamed, update.fields ?? spec.fields, object, spec.openFields, 'write');
  const body: XmlNode = {};
  for (const [k, v] of Object.entries(elements)) {
    if (update.linesElement && k === update.linesElement.from) {
      const lines = (v as XmlNode)['lineitem'];
      const list = (Array.isArray(lines) ? lines : lines === undefined ? [] : [lines]) as XmlNode[];
      body[update.linesElement.to] = addressedLines(spec, object, data, recordNo, list, linesInTarget ?? list.length);
      continue;
    }
    body[k] = v;
  }
  return { name: update.function, body, ...(update.keyAttribute ? { attributes: { key: recordNo } } : {}) };
}

/**
 * The lines of an update, as the SDK's InvoiceUpdate writes them: line n that the document holds is
 * replaced by `<updatelineitem line_num="n">` (InvoiceLineUpdate: no taxentries, the line keeps its
 * tax), a line beyond them is added by `<lineitem>` (InvoiceLineCreate, its taxentries included).
 * Intacct has no way to delete a line through the API, so a new version with fewer lines is refused.
 */
function addressedLines(spec: ObjectSpec, object: string, data: Record<string, unknown>, recordNo: string, list: XmlNode[], held: number): XmlNode {
  const update = spec.update!;
  if (held > list.length) throw linesRemoved(object, naturalKeyOf(spec, data), recordNo, held, list.length);
  const omit = new Set(update.linesOmit ?? []);
  const replaced = list.slice(0, held).map((line, i) => ({
    '@line_num': String(i + 1),
    ...Object.fromEntries(Object.entries(line).filter(([name]) => !omit.has(name))),
  }));
  const added = list.slice(held);
  return { ...(replaced.length ? { updatelineitem: replaced } : {}), ...(added.length ? { lineitem: added } : {}) };
}

/**
 * Zeroing the extra lines instead is not exact: an updatelineitem carries no taxentries, so a zeroed
 * line would keep the tax it was created with (the example sends taxentries on every line), and its
 * account, memo, dimensions and revenue schedule besides.
 */
function linesRemoved(object: string, key: string, recordNo: string, held: number, mapped: number): LedgersyncError {
  const extra = held - mapped === 1 ? `line ${held}` : `lines ${mapped + 1}-${held}`;
  return new LedgersyncError(
    'intacct_update_unsupported',
    'record',
    `${object} ${key} (RECORDNO ${recordNo}) has ${held} lines in Intacct and ${mapped} in the new version: Intacct cannot delete an invoice line through the API, and updating lines 1-${mapped} alone would leave ${extra} in its total`,
    {
      details: { object, naturalKey: key, recordNo, linesInIntacct: held, linesMapped: mapped },
      fix: `delete ${extra} of invoice ${key} (RECORDNO ${recordNo}) in Intacct by hand (Accounts Receivable > Invoices > Edit); the record is retried on every run and updates the invoice once it has no more lines than the new version. If the invoice cannot be edited there (payments applied, a closed period), reverse it in Intacct and post the new version by hand`,
    },
  );
}

/** The body of the function that voids a posted document (`ObjectSpec.voiding`), addressed to its RECORDNO. */
export function voidBody(
  spec: ObjectSpec,
  object: string,
  data: Record<string, unknown>,
  recordNo: string,
): { name: string; body: XmlNode; attributes: Record<string, string> } {
  const voiding = spec.voiding;
  if (!voiding) throw new LedgersyncError('intacct_action_unsupported', 'record', `${object}: Intacct offers no way to take it back`);
  const { [spec.naturalKey]: _key, ...rest } = data;
  const body = toElements(rest, voiding.fields, `${object} (void)`);
  for (const name of voiding.required) {
    if (body[name] === undefined) throw bad(`${object} (void).${name}`, 'is required to take the document back', `map ${name}: ${voiding.function} needs it`);
  }
  return { name: voiding.function, body, attributes: { key: recordNo } };
}
