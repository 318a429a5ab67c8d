/**
 * URLs in connection blocks are checked when the pipeline loads: http(s) only, no credentials
 * (never echoed), no query or fragment that the appended API paths would end up inside.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadPipeline } from '../../../engine/config/load.js';
import { urlIssues } from '../../../engine/config/urls.js';
import { redact } from '../../../engine/log.js';
import { installedConnectors } from '../../../app/registry.js';

const qbo = fileURLToPath(new URL('../../../pipelines/examples/chargebee-to-quickbooks.yaml', import.meta.url));
const intacct = fileURLToPath(new URL('../../../pipelines/examples/chargebee-to-intacct.yaml', import.meta.url));
const qboEnv = {
  CHARGEBEE_SITE: 'acme',
  CHARGEBEE_API_KEY: 'cb_key_1',
  QBO_REALM_ID: '123',
  QBO_CLIENT_ID: 'client',
  QBO_CLIENT_SECRET: 'secret-123',
  QBO_REFRESH_TOKEN: 'refresh-123',
};
const intacctEnv = {
  CHARGEBEE_SITE: 'acme',
  CHARGEBEE_API_KEY: 'cb_key_1',
  INTACCT_SENDER_ID: 's',
  INTACCT_SENDER_PASSWORD: 'sp_123',
  INTACCT_COMPANY_ID: 'c',
  INTACCT_USER_ID: 'u',
  INTACCT_USER_PASSWORD: 'up_123',
};

describe('urlIssues', () => {
  it('accepts http and https base URLs with paths and ports, and empty values', () => {
    for (const url of ['https://api.example.com', 'http://127.0.0.1:4010/api/v2', ' https://proxy.internal/qbo/ ', '']) expect(urlIssues(url, 'x')).toEqual([]);
  });

  it('refuses other schemes and non-URLs', () => {
    expect(urlIssues('file:///etc/passwd', 'sink.token_url')).toEqual([
      { code: 'url_scheme', index: 0, message: 'sink.token_url must be an http:// or https:// URL, not file:' },
    ]);
    expect(urlIssues('ftp://host/x', 'b').map((i) => i.code)).toEqual(['url_scheme']);
    expect(urlIssues('javascript:alert(1)', 'b').map((i) => i.code)).toEqual(['url_scheme']);
    expect(urlIssues('api.example.com/v2', 'b').map((i) => i.code)).toEqual(['url_invalid']);
  });

  it('refuses credentials without repeating them, and masks them in logs', () => {
    const [issue] = urlIssues('https://admin:S3cr%40t-pass@gateway.example.com/v3', 'source.base_url');
    expect(issue).toMatchObject({ code: 'url_credentials', index: 8 });
    expect(issue?.message).not.toMatch(/admin|S3cr|pass@/);
    expect(redact('calling https://admin:S3cr%40t-pass@gateway.example.com with S3cr@t-pass')).toBe('calling https://***:***@gateway.example.com with ***');
  });

  it('refuses a query or a fragment at the character that starts it', () => {
    expect(urlIssues('https://h.example.com/api?x=1', 'b')).toMatchObject([{ code: 'url_query', index: 25 }]);
    expect(urlIssues('https://h.example.com/api#top', 'b')).toMatchObject([{ code: 'url_fragment', index: 25 }]);
    expect(urlIssues('https://h.example.com/a?b#c', 'b').map((i) => i.code)).toEqual(['url_query', 'url_fragment']);
  });
});

describe('URL properties of a pipeline', () => {
  it('QBO_TOKEN_URL=file:///… is a configuration error naming the field, not a network error', async () => {
    const { plan, problems } = await loadPipeline(qbo, {
      connectorsDir: installedConnectors.descriptorsDir,
      mode: 'run',
      env: { ...qboEnv, QBO_TOKEN_URL: 'file:///etc/passwd' },
    });
    expect(plan).toBeUndefined();
    expect(problems.map((p) => [p.line, p.column, p.code, p.message])).toEqual([
      [33, 14, 'url_scheme', 'sink.token_url must be an http:// or https:// URL, not file:'],
    ]);
  });

  it('a base URL with credentials is refused and the password appears in no problem', async () => {
    const password = 'pw-Zq81-never-printed';
    const { problems } = await loadPipeline(qbo, {
      connectorsDir: installedConnectors.descriptorsDir,
      mode: 'validate',
      env: { ...qboEnv, CHARGEBEE_BASE_URL: `http://cbuser:${password}@127.0.0.1:4010/api/v2` },
    });
    expect(problems.map((p) => [p.line, p.code])).toEqual([[24, 'url_credentials']]);
    expect(JSON.stringify(problems)).not.toContain(password);
    expect(JSON.stringify(problems)).not.toContain('cbuser');
  });

  it('a query and a fragment given by a variable are located at the ${VAR} that gave them', async () => {
    const { problems } = await loadPipeline(intacct, {
      connectorsDir: installedConnectors.descriptorsDir,
      mode: 'run',
      env: { ...intacctEnv, INTACCT_ENDPOINT_URL: 'https://gw.example.com/ia/xml/xmlgw.phtml?debug=1#x' },
    });
    expect(problems.map((p) => [p.line, p.column, p.code])).toEqual([
      [38, 17, 'url_query'],
      [38, 17, 'url_fragment'],
    ]);
    expect(problems[0]?.message).toBe('sink.endpoint_url must not have a query (?…): ledgersync appends API paths to it, which would land inside the query');
  });

  it('an unset ${VAR:-} URL is the default, and a good override passes', async () => {
    expect((await loadPipeline(qbo, { connectorsDir: installedConnectors.descriptorsDir, mode: 'run', env: qboEnv })).problems).toEqual([]);
    const ok = await loadPipeline(qbo, {
      connectorsDir: installedConnectors.descriptorsDir,
      mode: 'run',
      env: { ...qboEnv, QBO_BASE_URL: 'http://127.0.0.1:9/', QBO_TOKEN_URL: 'http://127.0.0.1:9/token' },
    });
    expect(ok.problems).toEqual([]);
  });
});
