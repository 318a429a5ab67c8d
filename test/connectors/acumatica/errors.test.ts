/** Acumatica's error answers as messages: Acumatica's own body is quoted, anything else (a gateway's page) is described. */
import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../../engine/http/connection.js';
import { acumaticaFailure, describeAcumaticaError } from '../../../connectors/acumatica/errors.js';

const NGINX_503 =
  '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>\n';

function answer(status: number, text: string, contentType = 'application/json'): HttpResponse {
  return {
    status,
    headers: new Headers({ 'content-type': contentType }),
    url: 'http://acumatica.test/entity/Default/24.200.001/Invoice',
    text,
    json: () => JSON.parse(text),
  };
}

describe('Acumatica error answers', () => {
  it('a gateway’s HTML page is described in a line, never quoted whole', () => {
    const error = describeAcumaticaError('Acumatica', answer(503, NGINX_503, 'text/html'), { method: 'PUT', path: 'Invoice' });
    expect(error.code).toBe('acumatica_http_503');
    expect(error.message).toBe(
      'Acumatica: PUT Invoice answered HTTP 503: an HTML page (text/html, 177 bytes, starting "<html><head><title>503 Service Temporarily Unavailable</title></head><body><cent…")',
    );
  });

  it('only Acumatica’s own error body answered 500 or a 4xx counts as its failure', () => {
    const px = JSON.stringify({
      message: 'An error has occurred.',
      exceptionMessage: 'The period 032026 is closed in General Ledger.',
      exceptionType: 'PX.Data.PXException',
    });
    expect(acumaticaFailure(answer(500, px))).toBe('The period 032026 is closed in General Ledger.');
    expect(acumaticaFailure(answer(400, JSON.stringify({ message: 'The request is invalid.' })))).toBe('The request is invalid.');
    expect(acumaticaFailure(answer(502, NGINX_503, 'text/html'))).toBeUndefined();
    expect(acumaticaFailure(answer(503, px))).toBeUndefined();
    expect(acumaticaFailure(answer(429, px))).toBeUndefined();
    expect(acumaticaFailure(answer(500, NGINX_503, 'text/html'))).toBeUndefined();
    expect(acumaticaFailure(answer(500, '{"message": "cut'))).toBeUndefined();
  });
});
