/**
 * ISO 4217 minor units, read from the list ISO publishes ("list one", current currencies and
 * funds) as the `currency-codes` package ships it. Updating that package is how a new currency
 * reaches ledgersync: there is no second table to keep in step.
 *
 * The package's own `data.js` turns a minor unit of "N.A." (gold, SDR, test codes) into 0 digits,
 * which would make XAU look like a zero-decimal currency; so the XML itself is read, where N.A.
 * stays N.A. and such a code has no exponent at all.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as FastXml from 'fast-xml-parser';
import { LedgersyncError } from '../../engine/errors.js';
import { packageRoot } from '../../engine/package-root.js';
import { requireCjs } from '../../engine/require-cjs.js';
import { sha256Hex } from '../../engine/transform/hash.js';

interface IsoList {
  published: string;
  /** Code → minor-unit digits, or null where ISO gives none (N.A.). */
  minorUnits: ReadonlyMap<string, number | null>;
}

let cached: IsoList | undefined;

/** The path of the ISO 4217 list one XML inside the installed `currency-codes` package. */
export function isoListPath(): string {
  return requireCjs.resolve('currency-codes/iso-4217-list-one.xml');
}

/** Where `npm run build` writes the list as read from the XML (app/compile-iso-list.ts). */
export const compiledIsoListPath = (): string => join(packageRoot(), 'dist', 'iso-4217.json');

/** The list as `npm run build` read it, if it was read from exactly this XML (an updated package is parsed afresh). */
function compiledIsoList(xml: string): IsoList | undefined {
  const path = compiledIsoListPath();
  if (!existsSync(path)) return undefined;
  const compiled = JSON.parse(readFileSync(path, 'utf8')) as { xmlSha256?: string; published?: string; minorUnits?: Record<string, number | null> };
  if (compiled.xmlSha256 !== sha256Hex(xml) || !compiled.minorUnits || !compiled.published) return undefined;
  return { published: compiled.published, minorUnits: new Map(Object.entries(compiled.minorUnits)) };
}

/** The list read from ISO's XML; its JSON form, hashed to the XML it came from, for `npm run build`. */
export function compileIsoList(xml: string): string {
  const list = parseIsoList(xml);
  return JSON.stringify({ xmlSha256: sha256Hex(xml), published: list.published, minorUnits: Object.fromEntries(list.minorUnits) });
}

function loadIsoList(): IsoList {
  const xml = readFileSync(isoListPath(), 'utf8');
  // Parsing the XML took 30 ms of every run that converts money; reading the compiled list, under 1 ms.
  return compiledIsoList(xml) ?? parseIsoList(xml);
}

function parseIsoList(xml: string): IsoList {
  const { XMLParser } = requireCjs('fast-xml-parser') as typeof FastXml;
  const parser = new XMLParser({ parseTagValue: false, ignoreAttributes: false, isArray: (name) => name === 'CcyNtry' });
  const document = parser.parse(xml) as {
    ISO_4217?: { '@_Pblshd'?: string; CcyTbl?: { CcyNtry?: Array<{ Ccy?: string; CcyMnrUnts?: string }> } };
  };
  const entries = document.ISO_4217?.CcyTbl?.CcyNtry ?? [];
  const minorUnits = new Map<string, number | null>();
  for (const entry of entries) {
    // Entries without a code are territories with no universal currency (Antarctica).
    if (!entry.Ccy) continue;
    const digits = String(entry.CcyMnrUnts ?? '').trim();
    minorUnits.set(entry.Ccy.trim(), /^\d+$/.test(digits) ? Number(digits) : null);
  }
  if (minorUnits.size < 100) {
    throw new LedgersyncError(
      'iso_4217_unreadable',
      'system',
      `the ISO 4217 list at ${isoListPath()} holds ${minorUnits.size} currencies, expected about 180`,
      {
        fix: 'reinstall dependencies (npm ci): the currency-codes package looks damaged',
      },
    );
  }
  return { published: document.ISO_4217?.['@_Pblshd'] ?? 'unknown', minorUnits };
}

function isoList(): IsoList {
  return (cached ??= loadIsoList());
}

/** The publication date of the ISO 4217 list in use, e.g. "2024-06-25". */
export function isoListPublished(): string {
  return isoList().published;
}

/**
 * The number of minor-unit digits of an ISO 4217 currency code (case-insensitive): USD 2, JPY 0,
 * KWD 3, CLF 4. A code ISO does not list, or lists without minor units (XAU, XDR, XXX…), is a
 * record error: an amount in it cannot be converted without guessing, and money is never guessed.
 */
export function currencyExponent(currency: string): number {
  // The common case, a code as ISO writes it, without the copies that trimming and upper-casing make.
  const exact = typeof currency === 'string' ? isoList().minorUnits.get(currency) : undefined;
  if (typeof exact === 'number') return exact;
  const code = String(currency ?? '')
    .trim()
    .toUpperCase();
  const list = isoList();
  const digits = list.minorUnits.get(code);
  if (digits !== undefined && digits !== null) return digits;
  if (digits === null) {
    throw new LedgersyncError('unknown_currency', 'record', `currency '${currency}' has no minor unit in ISO 4217 (a precious metal, fund or test code)`, {
      fix: 'amounts must be in a currency with minor units; correct the currency code the mapping produces',
      details: { currency },
    });
  }
  throw new LedgersyncError('unknown_currency', 'record', `unknown currency code '${currency}': it is not in the ISO 4217 list (published ${list.published})`, {
    fix: 'correct the currency code the mapping produces; a currency ISO added after that date needs a newer currency-codes package',
    details: { currency },
  });
}
