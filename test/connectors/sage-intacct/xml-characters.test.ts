/**
 * XML 1.0's character rules on both sides of the gateway: character references in Intacct's answers
 * are read as the characters they stand for (as the SDK's xml2js reads them), and a character XML
 * forbids never reaches a request (the SDK's xmlbuilder refuses it; Intacct cannot parse it).
 */
import { describe, expect, it } from 'vitest';
import { buildRequest, parseResponse, readResult } from '../../../connectors/sage-intacct/xml.js';
import { LedgersyncError } from '../../../engine/errors.js';

const answer = (row: string) => `<?xml version="1.0" encoding="UTF-8"?><response><control><status>success</status></control><operation>
  <authentication><status>success</status></authentication>
  <result><status>success</status><function>readByQuery</function><controlid>q</controlid>
    <data listtype="customer" count="1" totalcount="1" numremaining="0" resultId="">
      <customer>${row}</customer>
    </data></result></operation></response>`;

const rowOf = (xml: string) => {
  const parsed = parseResponse(xml);
  if (parsed.level !== 'operation') throw new Error(`expected results, got ${parsed.level}`);
  return readResult(parsed.results[0]!).rows[0]!;
};

describe('reading an answer', () => {
  it('decodes decimal and hexadecimal character references, as a readByQuery value holds them', () => {
    expect(rowOf(answer('<NAME>O&#039;Brien &#38; Sons &#x2014; Caf&#233; &#x1F600;</NAME>'))['NAME']).toBe("O'Brien & Sons — Café 😀");
  });

  it('decodes the five predefined entities once: an escaped reference stays text', () => {
    expect(rowOf(answer('<NAME>&lt;b&gt; &quot;A&quot; &apos;B&apos; &amp;#039;</NAME>'))['NAME']).toBe(`<b> "A" 'B' &#039;`);
  });

  it('decodes references in attributes and in an error’s description2', () => {
    const parsed = parseResponse(`<response><control><status>success</status></control><operation>
      <authentication><status>failure</status></authentication>
      <errormessage><error><errorno>XL03000006</errorno><description>Invalid Web Services Authorization</description>
        <description2>The sender ID &#039;s1&#039; is not authorized to make Web Services requests to company ID &#039;co&#039;.</description2>
        <correction></correction></error></errormessage></operation></response>`);
    expect(parsed.level === 'authentication' && parsed.errors[0]!.description2).toBe(
      "The sender ID 's1' is not authorized to make Web Services requests to company ID 'co'.",
    );
    const paged = parseResponse(answer('<NAME>x</NAME>').replace('resultId=""', 'resultId="r&#x31;"'));
    expect(paged.level === 'operation' && readResult(paged.results[0]!).resultId).toBe('r1');
  });

  it('leaves HTML’s named entities and references to forbidden characters as written', () => {
    expect(rowOf(answer('<NAME>A&nbsp;B &#11; &#x0;</NAME>'))['NAME']).toBe('A&nbsp;B &#11; &#x0;');
  });

  it('keeps CDATA as written', () => {
    expect(rowOf(answer('<NAME><![CDATA[O&#039;Brien &amp; Co]]></NAME>'))['NAME']).toBe('O&#039;Brien &amp; Co');
  });

  it('refuses a document that declares its own entities: it is not Intacct’s answer', () => {
    expect(() => parseResponse(`<!DOCTYPE response [<!ENTITY x "y">]>${answer('<NAME>&x;</NAME>')}`)).toThrow(/malformed response/);
  });
});

describe('writing a request', () => {
  const request = (name: string) =>
    buildRequest({ senderId: 's', senderPassword: 'p', controlId: 'c', uniqueId: true }, { sessionId: 'sess' }, [
      { controlId: 'f1', name: 'create', body: { CUSTOMER: { CUSTOMERID: 'C-1', NAME: name } } },
    ]);

  it('refuses a value holding a character XML 1.0 forbids, naming the element and the character', () => {
    const error = (() => {
      try {
        request('Acme\u000bCorp');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(LedgersyncError);
    expect(error).toMatchObject({ code: 'intacct_forbidden_character' });
    expect((error as LedgersyncError).message).toContain('CUSTOMER.NAME');
    expect((error as LedgersyncError).message).toContain('U+000B (vertical tab)');
    for (const forbidden of ['\u0000', '\u0001', '\u001f', '\ufffe', '\uffff', '\ud800x', 'x\udc00']) expect(() => request(forbidden)).toThrow(LedgersyncError);
  });

  it('sends tabs, line breaks, and characters beyond the Basic Multilingual Plane', () => {
    expect(request('a\tb\nc\rd é 😀 \ue000')).toContain('<NAME>a\tb\nc\rd é 😀 \ue000</NAME>');
  });
});
