/** XML reading and writing for the fake gateway: fast-xml-parser both ways, values kept as text. */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

export type XmlNode = { [name: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  commentPropName: false,
});

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', suppressEmptyNode: false });

/** XML 1.0's Char production, which fast-xml-parser does not enforce and Intacct's parser does. */
function firstForbiddenCharacter(text: string): { codePoint: number; offset: number } | undefined {
  let offset = 0;
  for (const character of text) {
    const c = character.codePointAt(0)!;
    const allowed = c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
    if (!allowed) return { codePoint: c, offset };
    offset += character.length;
  }
  return undefined;
}

export function parseXml(text: string): XmlNode {
  const forbidden = firstForbiddenCharacter(text);
  if (forbidden) throw new Error(`PCDATA invalid Char value ${forbidden.codePoint} at offset ${forbidden.offset}`);
  return parser.parse(text, true) as XmlNode;
}

export function buildXml(node: XmlNode): string {
  return '<?xml version="1.0" encoding="UTF-8"?>' + builder.build(node);
}

export function asArray(value: XmlValue | undefined): XmlValue[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

export function child(node: XmlValue | undefined, name: string): XmlValue | undefined {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  return node[name];
}

export function node(value: XmlValue | undefined): XmlNode {
  return value && typeof value === 'object' && !Array.isArray(value) ? value : {};
}

/** Text of a leaf element; '' for an empty or absent one. */
export function text(value: XmlValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return text(value[0]);
  const inner = value['#text'];
  return typeof inner === 'string' ? inner : '';
}

/** Child element names in document order, without attributes. */
export function elementNames(value: XmlValue | undefined): string[] {
  return Object.keys(node(value)).filter((k) => !k.startsWith('@') && k !== '#text');
}
