/** Masking: every registered secret, in every form it travels in, before any text is cut. */
import { describe, expect, it } from 'vitest';
import { describeHttpError } from '../../engine/http/connection.js';
import { excerpt, redact, registerSecret, secretForms } from '../../engine/secrets.js';

// Characters that every encoding changes: + / = & " \ < > space and a non-ASCII letter.
const TOKEN = 'tok_Zq8+/x=&"y\\z<w> é-0123456789abcdef';
registerSecret(TOKEN);

/** Every run of `length` characters of `secret` (its forms included) that is still in `text`. */
function leftovers(text: string, secret: string, length = 6): string[] {
  const forms = [...secretForms(secret).whole, ...secretForms(secret).base64];
  const found = new Set<string>();
  for (const form of forms) for (let i = 0; i + length <= form.length; i++) if (text.includes(form.slice(i, i + length))) found.add(form.slice(i, i + length));
  return [...found];
}

describe('redact', () => {
  const forms: Array<[string, string]> = [
    ['raw', TOKEN],
    ['URL-encoded', encodeURIComponent(TOKEN)],
    ['URL-encoded, lower-case hex', encodeURIComponent(TOKEN).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())],
    ['form-encoded', new URLSearchParams({ t: TOKEN }).toString().slice(2)],
    ['JSON-escaped', JSON.stringify(TOKEN).slice(1, -1)],
    ['JSON-escaped twice', JSON.stringify(JSON.stringify(TOKEN)).slice(1, -1)],
    ['XML-escaped', TOKEN.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')],
    ['base64', Buffer.from(TOKEN).toString('base64')],
    ['base64url', Buffer.from(TOKEN).toString('base64url')],
  ];
  it.each(forms)('masks the secret %s', (_, form) => {
    const masked = redact(`before ${form} after`);
    expect(masked).toMatch(/^before .*\*\*\*.* after$/);
    expect(leftovers(masked, TOKEN)).toEqual([]);
  });

  it.each([0, 1, 2, 3])('masks the secret inside a Basic header whatever its offset (user name of %i characters)', (userLength) => {
    const header = `Basic ${Buffer.from(`${'u'.repeat(userLength)}:${TOKEN}`).toString('base64')}`;
    const masked = redact(`{"authorization": "${header}"}`);
    // At most two bytes at each end of the token share base64 groups with other bytes: no run of 8 is left.
    expect(leftovers(masked, TOKEN, 8)).toEqual([]);
    expect(masked).toMatch(/^\{"authorization": "Basic [A-Za-z0-9+/]*\*\*\*[A-Za-z0-9+/=]{0,4}"\}$/);
  });

  it("masks a secret cut short at the end or the start of a text (a vendor's truncated echo)", () => {
    expect(redact(`invalid token ${TOKEN.slice(0, 20)}`)).toBe('invalid token ***');
    expect(redact(`${TOKEN.slice(-12)} was refused`)).toBe('*** was refused');
    // Five characters are not taken for a secret: ordinary text stays as it is.
    expect(redact(`ends in ${TOKEN.slice(0, 5)}`)).toBe(`ends in ${TOKEN.slice(0, 5)}`);
  });

  it('leaves text without secrets as it is', () => {
    expect(redact('HTTP 401: Sorry, authentication failed.')).toBe('HTTP 401: Sorry, authentication failed.');
  });
});

describe('excerpt: masked before it is cut', () => {
  it('leaves nothing of a secret that straddles the cut', () => {
    for (let at = 470; at <= 500; at++) {
      const text = `${'x'.repeat(at)}${TOKEN}${'y'.repeat(100)}`;
      const cut = excerpt(text, 500);
      expect(leftovers(cut, TOKEN), `token at ${at}`).toEqual([]);
      expect(cut.length).toBeLessThanOrEqual(501);
    }
  });

  it('an HTTP error echoing the token near the 500th character names none of it', () => {
    const body = JSON.stringify({ message: `${'m'.repeat(482)} token ${TOKEN} is not valid` });
    const error = describeHttpError(
      'Example API',
      { status: 401, headers: new Headers(), url: 'http://x', text: body, json: () => JSON.parse(body) },
      {
        method: 'GET',
        path: '/things',
      },
    );
    expect(error.message).toContain('answered HTTP 401');
    expect(leftovers(error.message, TOKEN)).toEqual([]);
  });
});
