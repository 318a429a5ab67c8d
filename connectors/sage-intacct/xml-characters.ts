/**
 * XML 1.0's character rules, both ways. Out: a value may hold only what the Char production allows
 * (`#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`); anything else makes
 * the whole request unreadable to Intacct, so it is found and named before a request is built.
 * In: every character reference (`&#039;`, `&#x2014;`) and the five predefined entities are decoded,
 * as XML requires, and nothing else: an HTML name such as `&nbsp;` is not XML and stays as written.
 */
import type * as FastXml from 'fast-xml-parser';

export function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}

/** The first character of `value` XML 1.0 forbids (a lone surrogate included), with its offset in characters. */
export function forbiddenCharacterIn(value: string): { codePoint: number; position: number } | undefined {
  let position = 0;
  for (const character of value) {
    const codePoint = character.codePointAt(0)!;
    if (!isXmlChar(codePoint)) return { codePoint, position };
    position++;
  }
  return undefined;
}

/**
 * How a mapping strips the kind of character `codePoint` is (one XML 1.0 forbids), and only that
 * kind: a JSONata regex literal for `$replace(<expression>, <pattern>, '')`, and what it removes.
 * The three kinds are every character isXmlChar refuses. Surrogates are matched as UTF-16 halves
 * (the literal has no `u` flag), so only a half without its partner goes: a whole emoji
 * is a pair, a character XML allows, and is kept.
 */
export function strippingPatternFor(codePoint: number): { pattern: string; removes: string } {
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) {
    return {
      pattern: String.raw`/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/`,
      removes: 'unpaired surrogate halves (whole emoji are kept)',
    };
  }
  if (codePoint === 0xfffe || codePoint === 0xffff) return { pattern: String.raw`/[\uFFFE\uFFFF]/`, removes: 'the non-characters U+FFFE and U+FFFF' };
  return { pattern: String.raw`/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/`, removes: 'such characters' };
}

/**
 * The first string under `value` (a request's elements and attributes, or a mapped record) holding a
 * character XML 1.0 forbids, with its path: `CUSTOMER.NAME`, `invoiceitems[1].memo`.
 */
export function forbiddenValueIn(value: unknown, path = ''): { path: string; codePoint: number; position: number } | undefined {
  if (typeof value === 'string') {
    const found = forbiddenCharacterIn(value);
    return found && { path, ...found };
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = forbiddenValueIn(item, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  for (const [name, inner] of Object.entries(value)) {
    const found = forbiddenValueIn(inner, path ? `${path}.${name}` : name);
    if (found) return found;
  }
  return undefined;
}

/** `U+000B (vertical tab)`, for messages: what a person can search for in the source record. */
export function describeCharacter(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = characterNames.get(codePoint) ?? (codePoint >= 0xd800 && codePoint <= 0xdfff ? 'half of a broken surrogate pair' : 'a control character');
  return `${hex} (${name})`;
}

const characterNames = new Map<number, string>([
  [0x0, 'null'],
  [0x8, 'backspace'],
  [0xb, 'vertical tab'],
  [0xc, 'form feed'],
  [0x1b, 'escape'],
  [0xfffe, 'a non-character'],
  [0xffff, 'a non-character'],
]);

const predefinedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** One pass, so `&amp;#039;` stays the text `&#039;`. A reference to a character XML forbids is left as written. */
export function decodeReferences(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));/g, (reference, hex?: string, decimal?: string, name?: string) => {
    if (name) return predefinedEntities[name]!;
    const codePoint = hex ? Number.parseInt(hex, 16) : Number(decimal);
    return isXmlChar(codePoint) ? String.fromCodePoint(codePoint) : reference;
  });
}

/**
 * fast-xml-parser's entity decoder for Intacct's answers. The parser's own, with `htmlEntities: false`,
 * leaves numeric references undecoded (`O&#039;Brien`); with `true` it also decodes HTML's names.
 * Intacct's answers declare no entities of their own: a DOCTYPE that does is not its document.
 */
export const xmlReferenceDecoder: FastXml.EntityDecoderOptions = {
  decode: decodeReferences,
  // Stateless, and Intacct answers in XML 1.0: nothing to reset, no version to switch to.
  reset: () => {},
  setXmlVersion: () => {},
  setExternalEntities: refuseDeclaredEntities,
  addInputEntities: refuseDeclaredEntities,
};

function refuseDeclaredEntities(entities: Record<string, string>): void {
  const names = Object.keys(entities);
  if (names.length > 0) throw new Error(`the document declares its own entities (${names.join(', ')}), which Intacct's answers never do`);
}
