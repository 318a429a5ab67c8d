/**
 * Reading one attempt's answer off the wire. A 2xx answer is only an answer when its body can be
 * read: JSON for a request that accepts JSON, or whatever the connector's `parseBody` hook accepts.
 * A body that cannot be used (truncated, an HTML page from a proxy, an endless one) is marked
 * `unreadable` with a description a person can act on; the connection decides what that means.
 */
import { redact } from '../log.js';
import type { HttpResponse } from './connection.js';

/** A response as read off the wire, with what makes its body unusable when it is. */
export interface ReadResponse extends HttpResponse {
  /** Why a 2xx body cannot be used (truncated, not JSON, an HTML page, too large); undefined when it can. */
  unreadable?: string;
}

/** A body read up to a limit: its text, or how many bytes it had when the limit was passed. */
export type BodyRead = string | { tooLarge: number };

/** How a body is judged usable: what the request accepts, the connector's reader, the size limit. */
export interface BodyExpectation {
  method: string;
  accept: string;
  parseBody: ((response: HttpResponse) => unknown) | undefined;
  maxBytes: number;
}

/** Reads a body up to `limit` bytes (UTF-8, a leading BOM dropped as `Response.text()` does). */
export async function readBody(response: Response, limit: number): Promise<BodyRead> {
  const declared = Number(response.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    return { tooLarge: declared };
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return { tooLarge: size };
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** The answer of one attempt, its 2xx body checked (and parsed once) against what the request expects. */
export function toReadResponse(res: Response, read: BodyRead, url: URL, expected: BodyExpectation): ReadResponse {
  const text = typeof read === 'string' ? read : '';
  let parsedJson: { value: unknown } | undefined;
  const response: ReadResponse = {
    status: res.status,
    headers: res.headers,
    url: url.toString(),
    text,
    json<T>() {
      parsedJson ??= { value: JSON.parse(text) as unknown };
      return parsedJson.value as T;
    },
  };
  if (!hasBodyToCheck(res.status, expected.method, read)) return response;
  if (typeof read !== 'string') {
    response.unreadable = `a body larger than the ${expected.maxBytes} bytes this connection reads (${read.tooLarge} bytes or more)`;
    return response;
  }
  try {
    if (expected.parseBody) response.parsed = expected.parseBody(response);
    else if (/json/i.test(expected.accept)) response.json();
  } catch (error) {
    response.unreadable = describeBody(response, error);
  }
  return response;
}

/** Only a 2xx that carries content must be readable; an error answer is the connector's to describe. */
function hasBodyToCheck(status: number, method: string, read: BodyRead): boolean {
  if (status < 200 || status >= 300 || status === 204 || status === 205 || method === 'HEAD') return false;
  // An accepted long-running action (Acumatica's release, answered with a Location to poll) has no body.
  return !(status === 202 && read === '');
}

/** What came back instead of the expected document: its kind, content type, size and first bytes (secrets masked). */
export function describeBody(response: HttpResponse, error?: unknown): string {
  const type = response.headers.get('content-type') ?? 'no content type';
  const text = response.text;
  const bytes = Buffer.byteLength(text);
  if (text.trim() === '') return `an empty body (${type})`;
  const head = text.trimStart().slice(0, 1);
  const what = /^<!doctype html|^<html/i.test(text.trimStart())
    ? 'an HTML page'
    : head === '{' || head === '['
      ? 'a truncated or malformed JSON body'
      : head === '<'
        ? `a body that is not the expected document${error instanceof Error ? ` (${error.message.split('\n')[0]})` : ''}`
        : 'a body that is not JSON';
  const first = JSON.stringify(text.slice(0, 80)).slice(1, -1);
  return redact(`${what} (${type}, ${bytes} bytes, starting "${first}${text.length > 80 ? '…' : ''}")`);
}
