/**
 * The fix an `intacct_forbidden_character` dead letter gives, applied exactly as written in the
 * mapping, lets the record post: for every kind of character the check refuses (a control
 * character, U+FFFE/U+FFFF, half of a surrogate pair cut by a UTF-16 length limit), not only
 * control characters. A whole emoji is a character XML allows and survives the fix.
 */
import jsonata from 'jsonata';
import { afterEach, describe, expect, it } from 'vitest';
import { forbiddenCharacterIn, strippingPatternFor } from '../../../connectors/sage-intacct/xml-characters.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/** A paid USD invoice whose first line's description becomes `description`; the consultant then applies the fix. */
async function deadLetterThenApplyFix(description: string) {
  s = await startSandbox();
  const invoice = s.cb.state.all('invoices').find((d: any) => d.status === 'paid' && !d.deleted && d.currency_code === 'USD' && d.line_items.length > 0) as any;
  const lines = invoice.line_items.map((l: any, i: number) => (i === 0 ? { ...l, description } : l));
  s.cb.state.touch('invoices', invoice.id, { line_items: lines } as never);

  const first = await s.run({ streams: ['customers', 'invoices'] });
  const cause = (first.deadLetterCauses ?? []).find((c) => c.records.some((r) => r.source_id === invoice.id));
  expect(cause?.code).toBe('intacct_forbidden_character');
  const pattern = /\$replace\(<its expression>, (\/.*\/), ''\)/.exec(cause!.fix ?? '')?.[1];
  expect(pattern).toBeDefined();

  s.edit([['"memo": $truncate($l.description, 1000),', `"memo": $replace($truncate($l.description, 1000), ${pattern}, ''),`]]);
  const second = await s.run({ streams: ['customers', 'invoices'] });
  const still = (second.deadLetterCauses ?? []).filter((c) => c.records.some((r) => r.source_id === invoice.id));
  expect(still.map((c) => `${c.code}: ${c.message}`)).toEqual([]);
  expect(second.streams['invoices']!.created).toBe(1);
  const posted = [...s.intacct.state.arDocuments.values()].find((d) => d.RECORDID === invoice.id);
  return { fix: cause!.fix!, memo: posted!.lines[0]!.memo };
}

describe('the intacct_forbidden_character fix, applied as written, lets the record post', () => {
  it('a control character (vertical tab)', async () => {
    const { fix, memo } = await deadLetterThenApplyFix('Usage\u000Bgrowth');
    expect(fix).toContain('strip such characters');
    expect(memo).toBe('Usagegrowth');
  }, 60_000);

  it('a non-character (U+FFFE)', async () => {
    const { fix, memo } = await deadLetterThenApplyFix('Usage\uFFFE growth\uFFFF');
    expect(fix).toContain('strip the non-characters U+FFFE and U+FFFF');
    expect(memo).toBe('Usage growth');
  }, 60_000);

  it('a lone high surrogate (an emoji cut in half at the end), keeping a whole emoji', async () => {
    const { fix, memo } = await deadLetterThenApplyFix('Usage \u{1F680} growth\uD83D');
    expect(fix).toContain('strip unpaired surrogate halves (whole emoji are kept)');
    expect(memo).toBe('Usage \u{1F680} growth');
  }, 60_000);

  it('a lone low surrogate (an emoji cut in half at the start), keeping a whole emoji', async () => {
    const { memo } = await deadLetterThenApplyFix('\uDE80Usage growth \u{1F680}');
    expect(memo).toBe('Usage growth \u{1F680}');
  }, 60_000);
});

describe('each suggested pattern removes its kind of forbidden character and nothing else', () => {
  const strip = (text: string, pattern: string) => jsonata(`$replace($, ${pattern}, '')`).evaluate(text) as Promise<string>;
  const stripEach = (texts: string[], pattern: string) =>
    jsonata(`$map($, function($t) { $replace($t, ${pattern}, '') })`).evaluate(texts) as Promise<string[]>;
  const kinds = [0xb, 0xfffe, 0xd83d].map((codePoint) => strippingPatternFor(codePoint).pattern);
  const hex = (unit: string) => `U+${unit.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

  it('over every UTF-16 code unit on its own', async () => {
    const units = Array.from({ length: 0x10000 }, (_, unit) => String.fromCharCode(unit));
    const refused = units.filter((unit) => forbiddenCharacterIn(unit) !== undefined);
    const removedBy = new Map<string, string[]>();
    for (const pattern of kinds) {
      const out = await stripEach(units, pattern);
      expect(out.every((text, i) => text === '' || text === units[i])).toBe(true);
      removedBy.set(pattern, units.filter((_, i) => out[i] === '').map(hex));
    }
    // Each removes exactly the refused units its own kind names, so the three together remove every one.
    for (const pattern of kinds) {
      expect(removedBy.get(pattern)).toEqual(refused.filter((unit) => strippingPatternFor(unit.charCodeAt(0)).pattern === pattern).map(hex));
    }
    expect([...removedBy.values()].flat().sort()).toEqual(refused.map(hex).sort());
    expect(refused).toHaveLength(0x20 - 3 + 0x800 + 2);
  });

  it('keeps whole surrogate pairs, and removes both halves of a pair written backwards', async () => {
    const pairs = '\u{10000} \u{1F680}\u{1F680} \u{10FFFF}';
    for (const pattern of kinds) expect(await strip(pairs, pattern)).toBe(pairs);
    expect(await strip('a\uDE80\uD83Db', strippingPatternFor(0xd83d).pattern)).toBe('ab');
  });
});
