/**
 * The currency table against ISO 4217 itself: the list one XML that the currency-codes package
 * ships (MIT), read here with a plain pattern rather than the module's own parser.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { compileIsoList, compiledIsoListPath, currencyExponent, isoListPublished } from '../../../domain/money/currencies.js';
import { sha256Hex } from '../../../engine/transform/hash.js';

const xml = readFileSync(createRequire(import.meta.url).resolve('currency-codes/iso-4217-list-one.xml'), 'utf8');
const entries = [...xml.matchAll(/<CcyNtry>([\s\S]*?)<\/CcyNtry>/g)].flatMap((m) => {
  const code = /<Ccy>([A-Z]{3})<\/Ccy>/.exec(m[1]!)?.[1];
  const minor = /<CcyMnrUnts>([^<]*)<\/CcyMnrUnts>/.exec(m[1]!)?.[1];
  return code && minor !== undefined ? [{ code, minor }] : [];
});
const withMinorUnits = new Map(entries.filter((e) => /^\d+$/.test(e.minor)).map((e) => [e.code, Number(e.minor)]));
const withoutMinorUnits = [...new Set(entries.filter((e) => e.minor === 'N.A.').map((e) => e.code))];

describe('ISO 4217 list one', () => {
  it('is the list the package ships, with the currencies a ledger meets', () => {
    expect(isoListPublished()).toBe(/<ISO_4217 Pblshd="([\d-]+)">/.exec(xml)?.[1]);
    expect(withMinorUnits.size).toBeGreaterThan(150);
    expect(Object.fromEntries(['USD', 'EUR', 'JPY', 'KWD', 'CLF', 'ISK', 'UGX'].map((c) => [c, withMinorUnits.get(c)]))).toEqual({
      USD: 2,
      EUR: 2,
      JPY: 0,
      KWD: 3,
      CLF: 4,
      ISK: 0,
      UGX: 0,
    });
  });

  it('every code with numeric minor units has that exponent, in upper and lower case', () => {
    const wrong = [...withMinorUnits].filter(([code, digits]) => currencyExponent(code) !== digits || currencyExponent(code.toLowerCase()) !== digits);
    expect(wrong).toEqual([]);
  });

  it('codes with N.A. minor units (metals, funds, test codes) fail with unknown_currency', () => {
    expect(withoutMinorUnits).toEqual(expect.arrayContaining(['XAU', 'XAG', 'XDR', 'XTS', 'XXX']));
    for (const code of withoutMinorUnits) {
      expect(() => currencyExponent(code), code).toThrowError(
        expect.objectContaining({ code: 'unknown_currency', kind: 'record', details: { currency: code } }),
      );
    }
  });

  it('the list the build compiles names the XML it came from and holds every code with its minor units, N.A. as null', () => {
    const compiled = JSON.parse(compileIsoList(xml)) as { xmlSha256: string; published: string; minorUnits: Record<string, number | null> };
    expect(compiled.xmlSha256).toBe(sha256Hex(xml));
    expect(compiled.published).toBe(isoListPublished());
    for (const [code, digits] of withMinorUnits) expect(compiled.minorUnits[code], code).toBe(digits);
    for (const code of withoutMinorUnits) expect(compiled.minorUnits[code], code).toBeNull();
  });

  it.skipIf(!existsSync(compiledIsoListPath()))('the build wrote the list of the XML installed', () => {
    expect(readFileSync(compiledIsoListPath(), 'utf8').trim()).toBe(compileIsoList(xml));
  });

  it('codes ISO does not list fail with unknown_currency', () => {
    for (const code of ['XYZ', 'HRK', 'US', 'USDX', '', '12']) {
      expect(withMinorUnits.has(code)).toBe(false);
      expect(() => currencyExponent(code), code).toThrowError(expect.objectContaining({ code: 'unknown_currency', kind: 'record' }));
    }
  });
});
