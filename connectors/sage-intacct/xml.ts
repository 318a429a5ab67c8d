/**
 * The XML Web Services envelope, both ways, with fast-xml-parser: `<request>` (control,
 * operation, authentication, content of functions) out, `<response>` in. Every value goes through
 * the builder, which escapes it; nothing user-supplied is ever concatenated into XML, and a value
 * holding a character XML 1.0 forbids is refused, as no escaping can carry it (./xml-characters.ts).
 */
import { excerpt } from '../../engine/log.js';
import type * as FastXml from 'fast-xml-parser';
import { LedgersyncError } from '../../engine/errors.js';
import { requireCjs } from '../../engine/require-cjs.js';
import { describeCharacter, forbiddenValueIn, xmlReferenceDecoder } from './xml-characters.js';

export type XmlNode = { [name: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

/** Made by the first request: a pipeline that does not post to Intacct never loads fast-xml-parser. */
let xml: { parser: FastXml.XMLParser; builder: FastXml.XMLBuilder } | undefined;
function fastXml(): { parser: FastXml.XMLParser; builder: FastXml.XMLBuilder } {
  if (xml) return xml;
  const { XMLBuilder, XMLParser } = requireCjs('fast-xml-parser') as typeof FastXml;
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    commentPropName: false,
    processEntities: true,
    entityDecoder: xmlReferenceDecoder,
  });
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', suppressEmptyNode: false, processEntities: true });
  xml = { parser, builder };
  return xml;
}

export function buildXml(root: XmlNode): string {
  const forbidden = forbiddenValueIn(root, '');
  if (forbidden) {
    throw new LedgersyncError(
      'intacct_forbidden_character',
      'config',
      `a request to Sage Intacct would hold ${describeCharacter(forbidden.codePoint)} in ${forbidden.path}, at character ${forbidden.position + 1}: XML 1.0 forbids it, and Intacct could not read the request`,
      {
        details: { path: forbidden.path, codePoint: forbidden.codePoint, position: forbidden.position },
        fix: 'remove the character from the setting or query that supplies this value',
      },
    );
  }
  return '<?xml version="1.0" encoding="UTF-8"?>' + fastXml().builder.build(root);
}

export function child(value: XmlValue | undefined, name: string): XmlValue | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value[name];
}

export function asArray(value: XmlValue | undefined): XmlValue[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

export function text(value: XmlValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return text(value[0]);
  const inner = value['#text'];
  return typeof inner === 'string' ? inner : '';
}

/** A flat record (readByQuery row) as field → text. */
export function flatRecord(value: XmlValue): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('@')) out[k] = text(v);
  return out;
}

export interface ControlBlock {
  senderId: string;
  senderPassword: string;
  controlId: string;
  /** With true, Intacct refuses a second request with the same control id, so a retried write cannot apply twice. */
  uniqueId: boolean;
}

export type Authentication = { sessionId: string } | { login: { userId: string; companyId: string; password: string; entityId?: string } };

export interface GatewayFunction {
  /** Unique within the request; echoed in its result. */
  controlId: string;
  /** Element name: `create_invoice`, `readByQuery`, `create`… */
  name: string;
  /** Attributes of the function element itself (`update_invoice key="…"`). */
  attributes?: Record<string, string>;
  body: XmlNode;
}

export function buildRequest(control: ControlBlock, auth: Authentication, functions: readonly GatewayFunction[], transaction = false): string {
  const authentication: XmlNode =
    'sessionId' in auth
      ? { sessionid: auth.sessionId }
      : {
          login: {
            userid: auth.login.userId,
            companyid: auth.login.companyId,
            password: auth.login.password,
            ...(auth.login.entityId ? { locationid: auth.login.entityId } : {}),
          },
        };
  return buildXml({
    request: {
      control: {
        senderid: control.senderId,
        password: control.senderPassword,
        controlid: control.controlId,
        uniqueid: control.uniqueId ? 'true' : 'false',
        dtdversion: '3.0',
        includewhitespace: 'false',
      },
      operation: {
        '@transaction': transaction ? 'true' : 'false',
        authentication,
        content: {
          function: functions.map((f) => {
            const attributes = Object.fromEntries(Object.entries(f.attributes ?? {}).map(([k, v]) => [`@${k}`, v]));
            return { '@controlid': f.controlId, [f.name]: { ...attributes, ...f.body } };
          }),
        },
      },
    },
  });
}

/** One `<error>` of an `<errormessage>`. */
export interface IntacctError {
  errorno: string;
  description: string;
  description2: string;
  correction: string;
}

export interface FunctionResult {
  status: 'success' | 'failure' | 'aborted';
  function: string;
  controlId: string;
  /** The whole `<result>` element: `data`, `key`, `listtype`… */
  node: XmlValue;
  errors: IntacctError[];
}

export type ParsedResponse =
  | { level: 'control'; errors: IntacctError[] }
  | { level: 'authentication'; errors: IntacctError[] }
  | { level: 'operation'; sessionTimeout: string | undefined; results: FunctionResult[] };

function errorsOf(errormessage: XmlValue | undefined): IntacctError[] {
  return asArray(child(errormessage, 'error')).map((e) => ({
    errorno: text(child(e, 'errorno')),
    description: text(child(e, 'description')),
    description2: text(child(e, 'description2')),
    correction: text(child(e, 'correction')),
  }));
}

function malformed(message: string, body: string): LedgersyncError {
  return new LedgersyncError('intacct_malformed_response', 'transient', `Sage Intacct answered with a malformed response: ${message}`, {
    details: { body: excerpt(body, 300) },
    fix: 'retry the run; if it persists, check that the endpoint URL points at the XML gateway (…/ia/xml/xmlgw.phtml)',
  });
}

/** Reads every level of a gateway response: control, then authentication, then each function result. */
export function parseResponse(body: string): ParsedResponse {
  let doc: XmlValue;
  try {
    doc = fastXml().parser.parse(body, true) as XmlNode;
  } catch (error) {
    throw malformed(`not XML (${(error as Error).message})`, body);
  }
  const response = child(doc, 'response');
  const control = child(response, 'control');
  if (!response || !control) throw malformed('no <response><control> block', body);
  const status = text(child(control, 'status'));
  if (status !== 'success') return { level: 'control', errors: errorsOf(child(response, 'errormessage')) };
  const operation = child(response, 'operation');
  if (!operation || typeof operation !== 'object') throw malformed('no <operation> block', body);
  const authentication = child(operation, 'authentication');
  if (!authentication) throw malformed('no <authentication> block', body);
  if (text(child(authentication, 'status')) !== 'success') return { level: 'authentication', errors: errorsOf(child(operation, 'errormessage')) };
  const results = asArray(child(operation, 'result')).map((r) => {
    const resultStatus = text(child(r, 'status'));
    const fn = text(child(r, 'function'));
    const controlId = text(child(r, 'controlid'));
    if (resultStatus !== 'success' && resultStatus !== 'failure' && resultStatus !== 'aborted') throw malformed('a <result> has no valid <status>', body);
    if (fn === '') throw malformed('a <result> has no <function>', body);
    if (controlId === '') throw malformed('a <result> has no <controlid>', body);
    return { status: resultStatus, function: fn, controlId, node: r, errors: errorsOf(child(r, 'errormessage')) } satisfies FunctionResult;
  });
  if (results.length === 0) throw malformed('no <result> block', body);
  const timeout = text(child(authentication, 'sessiontimeout'));
  return { level: 'operation', sessionTimeout: timeout || undefined, results };
}

/** Rows of a readByQuery / readMore result, with its paging attributes. */
export function readResult(result: FunctionResult): { rows: Record<string, string>[]; numRemaining: number; resultId: string } {
  const data = child(result.node, 'data');
  const listtype = text(child(data, '@listtype'));
  const rows = asArray(child(data, listtype)).map(flatRecord);
  return { rows, numRemaining: Number(text(child(data, '@numremaining')) || '0'), resultId: text(child(data, '@resultId')) };
}

/** The record key a write answered with: legacy `<key>` or the object API's `<data><object><RECORDNO>`. */
export function keyOf(result: FunctionResult): string | undefined {
  const key = text(child(result.node, 'key'));
  if (key) return key;
  const data = child(result.node, 'data');
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  for (const [k, v] of Object.entries(data)) if (!k.startsWith('@')) return text(child(asArray(v)[0], 'RECORDNO')) || undefined;
  return undefined;
}
