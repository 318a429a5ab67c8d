/**
 * A text log entry is one line whatever its message holds: line breaks and the other control
 * characters are written escaped, so a name from a request path cannot forge a line of its own.
 * JSON lines escape U+2028 and U+2029 too. Masking still applies.
 */
import { describe, expect, it } from 'vitest';
import { createLogger, oneLine, registerSecret } from '../../engine/log.js';

const FORGED = 'ERROR [ledgersync:run] forged: run failed, exit 3';

function linesOf(json: boolean, message: string): string[] {
  const written: string[] = [];
  createLogger({ json, level: 'debug', write: (line) => void written.push(line) }, 'ledgersync:serve').warn(message);
  return written.join('\n').split(/\r\n|[\n\r\u2028\u2029\u0085]/);
}

describe('log lines', () => {
  it('a text entry whose message holds CR, LF, other controls or U+2028/2029 stays one line, with them escaped', () => {
    const lines = linesOf(false, `refused /webhooks/acme\n${FORGED}\r\n${FORGED}\u2028${FORGED}\u2029x\u0085y\u001b[31mred\tz`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`WARN [ledgersync:serve] refused /webhooks/acme\\n${FORGED}\\r\\n${FORGED}\\u2028${FORGED}\\u2029x\\u0085y\\u001b[31mred\\tz`);
  });

  it('a JSON entry stays one line that parses back to the message as given', () => {
    const message = `a\n${FORGED}\u2028b\u2029c`;
    const lines = linesOf(true, message);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).message).toBe(message);
  });

  it('a secret is masked before the line is escaped', () => {
    registerSecret('one-line-secret-7f3a9c');
    const lines = linesOf(false, 'key one-line-secret-7f3a9c\nnext');
    expect(lines).toEqual(['WARN [ledgersync:serve] key ***\\nnext']);
  });

  it('plain text is left as it is', () => {
    expect(oneLine('acme: event ev_1 (invoice_generated) queued in 3 ms — ok')).toBe('acme: event ev_1 (invoice_generated) queued in 3 ms — ok');
  });
});
