import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { listQuery, toSourceRecord } from '../../../connectors/chargebee/source.js';
import { describeChargebeeError } from '../../../connectors/chargebee/api.js';
import { resolveBaseUrl } from '../../../engine/connector/base-url.js';
import type { ConnectorDescriptor } from '../../../engine/connector/descriptor.js';

const descriptor = {
  ...parse(readFileSync(new URL('../../../connectors/chargebee/connector.yaml', import.meta.url), 'utf8')),
  dir: 'connectors/chargebee',
} as ConnectorDescriptor;
const endpoint = (name: string) => descriptor.endpoints![name]!;
const request = (over: Partial<Parameters<typeof listQuery>[1]> = {}) => ({
  stream: 's',
  endpoint: 'invoices',
  checkpoint: undefined,
  lookbackSeconds: 60,
  params: {},
  ...over,
});

describe('Chargebee list queries', () => {
  it('first sync: sorted ascending by updated_at, no cursor filter (records without updated_at are included), deleted ones too', () => {
    expect(listQuery(endpoint('invoices'), request())).toEqual({ 'sort_by[asc]': 'updated_at', include_deleted: 'true' });
  });

  it('incremental: re-reads the checkpoint second and the lookback window', () => {
    const q = listQuery(endpoint('invoices'), request({ checkpoint: { cursor: 1_700_000_000, field: 'updated_at' } }));
    expect(q['updated_at[after]']).toBe(1_700_000_000 - 60 - 1);
  });

  it('credit notes sort by date (Chargebee allows nothing else) and still filter on updated_at', () => {
    const q = listQuery(endpoint('credit_notes'), request({ endpoint: 'credit_notes', checkpoint: { cursor: 1_700_000_000, field: 'updated_at' } }));
    expect(q['sort_by[asc]']).toBe('date');
    expect(q['updated_at[after]']).toBe(1_700_000_000 - 61);
  });

  it('start_date filters documents on their date; customers and subscriptions, which documents after it may name, are read whole', () => {
    expect(listQuery(endpoint('invoices'), request({ startDate: 1_704_067_200 }))['date[after]']).toBe(1_704_067_199);
    expect(listQuery(endpoint('transactions'), request({ endpoint: 'transactions', startDate: 1_704_067_200 }))['date[after]']).toBe(1_704_067_199);
    for (const name of ['customers', 'subscriptions']) {
      expect(listQuery(endpoint(name), request({ endpoint: name, startDate: 1_704_067_200 })), name).toEqual({
        'sort_by[asc]': 'updated_at',
        include_deleted: 'true',
      });
    }
  });

  it("start_date keeps a later bound the pipeline's params set on the same field, and overrides an earlier one", () => {
    const later = listQuery(endpoint('invoices'), request({ startDate: 1_704_067_200, params: { 'date[after]': '1735689599' } }));
    expect(later['date[after]']).toBe(1_735_689_599);
    const earlier = listQuery(endpoint('invoices'), request({ startDate: 1_704_067_200, params: { 'date[after]': '1600000000' } }));
    expect(earlier['date[after]']).toBe(1_704_067_199);
  });

  it('events use occurred_at and never include_deleted', () => {
    expect(listQuery(endpoint('events'), request({ endpoint: 'events' }))).toEqual({ 'sort_by[asc]': 'occurred_at' });
  });

  it('unwraps list entries and flags deleted records', () => {
    const r = toSourceRecord({ invoice: { id: 'inv_1', resource_version: 1700000000123, deleted: true } }, endpoint('invoices'), 'x');
    expect(r).toEqual({ id: 'inv_1', version: '1700000000123', deleted: true, data: { id: 'inv_1', resource_version: 1700000000123, deleted: true } });
  });
});

describe('Chargebee errors', () => {
  const answer = (status: number, body: unknown) => ({ status, headers: new Headers(), url: 'x', text: JSON.stringify(body), json: <T>() => body as T });
  it('a site that does not exist (404 site_not_found) names the setting to check, as configuration (exit 2), not a record to correct', () => {
    const error = describeChargebeeError(
      'acme-tset',
      answer(404, { message: 'Sorry, we could not find the site', type: 'invalid_request', api_error_code: 'site_not_found', http_status_code: 404 }),
      { method: 'GET', path: '/configurations' },
    );
    expect([error.code, error.kind]).toEqual(['chargebee_site_not_found', 'config']);
    expect(error.message).toBe("Chargebee site 'acme-tset' does not exist (site_not_found): Sorry, we could not find the site");
    expect(error.fix).toMatch(/^check CHARGEBEE_SITE/);
  });
});

describe('Chargebee base URL', () => {
  const connection = (site: string, base_url = '') => ({ connector: 'chargebee', site, api_key: 'k', base_url });
  it('is built from the site name', () => {
    expect(resolveBaseUrl(descriptor, connection('acme-test'))).toBe('https://acme-test.chargebee.com/api/v2');
  });
  it('refuses a site name that would steer requests to another host', () => {
    for (const site of ['evil.com/x', 'a@evil.com', 'acme.evil.com', 'acme?x=', 'ACME', '-acme', 'acme:8080']) {
      expect(() => resolveBaseUrl(descriptor, connection(site)), site).toThrowError(
        expect.objectContaining({ code: 'invalid_connection_value', kind: 'config' }),
      );
    }
  });
  it('uses base_url when given', () => {
    expect(resolveBaseUrl(descriptor, connection('acme-test', 'http://127.0.0.1:4010/api/v2/'))).toBe('http://127.0.0.1:4010/api/v2');
    expect(resolveBaseUrl(descriptor, connection('acme-test', 'http://127.0.0.1:4010/proxy/cb'))).toBe('http://127.0.0.1:4010/proxy/cb');
  });
  it('gives a bare-host base_url the API path, as the vendor host has it', () => {
    expect(resolveBaseUrl(descriptor, connection('acme-test', 'http://127.0.0.1:4010'))).toBe('http://127.0.0.1:4010/api/v2');
    expect(resolveBaseUrl(descriptor, connection('acme-test', 'http://127.0.0.1:4010/'))).toBe('http://127.0.0.1:4010/api/v2');
  });
});
