/**
 * Whether a QBO document already holds what the sink would send: how a write whose answer was lost,
 * or one an interrupted run left unconfirmed, is recognised as landed instead of being sent again.
 * Conservative: "the same" only when every mapped field is there with the same value; anything it
 * cannot be sure of is "different", which costs one more (harmless) sparse update, never a lost one.
 */

import { isCleared } from './cleared-fields.js';

/** Fields of a body that say how to write, not what. */
const protocolFields = new Set(['sparse', 'Id', 'SyncToken']);

/** `sent` (a mapped body) ⊆ `held` (the document QBO returns), field by field. */
export function holdsAll(held: unknown, sent: unknown): boolean {
  if (sent === undefined || sent === null) return held === undefined || held === null;
  // A field sent empty to clear it is one QBO answers without (./cleared-fields.ts).
  if (isCleared(sent) && (held === undefined || held === null)) return true;
  if (Array.isArray(sent)) {
    if (!Array.isArray(held) || held.length < sent.length) return false;
    // QBO appends a subtotal line to a sales document's Line.
    if (!held.slice(sent.length).every(isSubtotalLine)) return false;
    return sent.every((value, i) => holdsAll(held[i], value));
  }
  if (typeof sent === 'object') {
    if (!held || typeof held !== 'object' || Array.isArray(held)) return false;
    const target = held as Record<string, unknown>;
    return Object.entries(sent as Record<string, unknown>).every(([key, value]) => protocolFields.has(key) || holdsAll(target[key], value));
  }
  return sameScalar(held, sent);
}

/**
 * Whether QBO holds the document voided. Intuit documents a void as zeroing the amounts and
 * prepending "Voided" to `PrivateNote`; there is no status field for it on sales documents.
 */
export function isVoided(held: Record<string, unknown>): boolean {
  const note = held['PrivateNote'];
  return typeof note === 'string' && note.startsWith('Voided') && sameScalar(held['TotalAmt'], 0);
}

function isSubtotalLine(line: unknown): boolean {
  return Boolean(line && typeof line === 'object' && (line as Record<string, unknown>)['DetailType'] === 'SubTotalLineDetail');
}

/** A string the mapping sent and a number QBO holds (amounts, quantities) compare as exact decimals; text compares as text. */
function sameScalar(held: unknown, sent: unknown): boolean {
  if (held === sent) return true;
  if (typeof sent === 'boolean' || typeof held === 'boolean') return String(held) === String(sent);
  if (typeof held === 'number' || typeof sent === 'number') {
    const a = decimalOf(held);
    const b = decimalOf(sent);
    return a !== undefined && a === b;
  }
  return false;
}

/** A canonical decimal text (`10.50` → `10.5`, `-0` → `0`), or undefined for what is not a plain decimal. */
function decimalOf(value: unknown): string | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) && !/e/i.test(String(value)) ? String(value) : undefined) : value;
  if (typeof text !== 'string') return undefined;
  const match = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const integer = match[2]!.replace(/^0+(?=\d)/, '');
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const sign = match[1] === '-' && (/[1-9]/.test(integer) || fraction !== '') ? '-' : '';
  return `${sign}${integer}${fraction ? `.${fraction}` : ''}`;
}
