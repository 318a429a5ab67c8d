/** What the Chargebee source and sink share: the connection and Chargebee's error bodies. */
import { LedgersyncError } from '../../engine/errors.js';
import type { ConnectorFactoryInput } from '../../engine/connector/types.js';
import type { HttpConnection, HttpRequest, HttpResponse } from '../../engine/http/connection.js';
import { openConnection } from '../../engine/connector/open-connection.js';

/** Chargebee's error body: `{message, type, api_error_code, param?, error_code, error_msg, http_status_code}`. */
export interface ChargebeeErrorBody {
  message?: string;
  type?: string;
  api_error_code?: string;
  param?: string;
  error_code?: string;
  error_msg?: string;
  http_status_code?: number;
}

export function parseChargebeeError(response: HttpResponse): ChargebeeErrorBody {
  try {
    const body = response.json<ChargebeeErrorBody>();
    return body && typeof body === 'object' ? body : {};
  } catch {
    return {}; // 503/504 bodies may be HTML
  }
}

export function describeChargebeeError(site: string, response: HttpResponse, request: HttpRequest): LedgersyncError {
  const body = parseChargebeeError(response);
  const code = body.api_error_code ?? body.error_code ?? `http_${response.status}`;
  const said = body.message ?? body.error_msg ?? `HTTP ${response.status}`;
  const where = `Chargebee site '${site}'`;
  const details = { status: response.status, api_error_code: code, ...(body.param ? { param: body.param } : {}), ...(body.type ? { type: body.type } : {}) };
  if (response.status === 401 || code === 'api_authentication_failed') {
    return new LedgersyncError('chargebee_auth_failed', 'auth', `${where} rejected the API key (${code}): ${said}`, {
      details,
      fix: `check CHARGEBEE_API_KEY and CHARGEBEE_SITE: the key must belong to site '${site}' (test-site keys only work on the -test site) and must not be revoked`,
    });
  }
  if (response.status === 403 || code === 'api_authorization_failed') {
    return new LedgersyncError('chargebee_forbidden', 'auth', `${where} refused ${request.method} ${request.path} (${code}): ${said}`, {
      details,
      fix: 'give the API key the access this pipeline needs (a read-only key cannot record payments)',
    });
  }
  if (code === 'site_not_found') {
    return new LedgersyncError('chargebee_site_not_found', 'config', `${where} does not exist (${code}): ${said}`, {
      details,
      fix: 'check CHARGEBEE_SITE (the <site> of <site>.chargebee.com; a test site ends in -test) or the base_url',
    });
  }
  if (code === 'configuration_incompatible') {
    return new LedgersyncError(
      'chargebee_catalog_mismatch',
      'config',
      `${where}: ${request.path} is not available on this site's product catalog version: ${said}`,
      {
        details,
        fix: 'use items / item_prices on Product Catalog 2.0 sites and plans / addons on Product Catalog 1.0 sites',
      },
    );
  }
  if (response.status === 429 || response.status >= 500) {
    return new LedgersyncError(
      `chargebee_${code}`,
      'transient',
      `${where} answered ${response.status} (${code}) to ${request.method} ${request.path}: ${said}`,
      { details },
    );
  }
  const kind = request.method === 'GET' && response.status !== 404 ? 'config' : 'record';
  return new LedgersyncError(
    `chargebee_${code}`,
    kind,
    `${where} refused ${request.method} ${request.path} (${code}${body.param ? `, parameter ${body.param}` : ''}): ${said}`,
    {
      details,
      fix: kind === 'config' ? 'check the stream parameters of this pipeline' : 'correct the record (see the parameter named) and re-run',
    },
  );
}

export function chargebeeConnection(input: ConnectorFactoryInput): HttpConnection {
  const site = String(input.connection['site'] ?? '');
  return openConnection(input, {
    label: `Chargebee site '${site}'`,
    hooks: { describeError: (response, request) => describeChargebeeError(site, response, request) },
  });
}
