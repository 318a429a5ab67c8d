/**
 * URLs a connection gives (`base_url`, `token_url`, `endpoint_url`…): checked when the pipeline is
 * loaded, so a mistake is a located configuration error rather than a network error at run time.
 * Only http(s); no user name or password (they would be echoed in logs and run records: secrets
 * come from the connector's secret properties); no query or fragment (paths are appended to a base
 * URL, and would land inside them). Messages never repeat the URL, which may hold a secret.
 */
import { registerSecret } from '../log.js';

export interface UrlIssue {
  code: 'url_invalid' | 'url_scheme' | 'url_credentials' | 'url_query' | 'url_fragment';
  message: string;
  /** Index in the value of the character the problem is about. */
  index: number;
}

/** Whether a connection property holds a URL, by the naming convention the descriptors follow. */
export function isUrlProperty(name: string): boolean {
  return name === 'url' || name.endsWith('_url');
}

/** What is wrong with `value` as the URL of `label` (e.g. `sink.token_url`); empty when nothing is. */
export function urlIssues(value: string, label: string): UrlIssue[] {
  const lead = value.length - value.trimStart().length;
  const text = value.trim();
  if (text === '') return [];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [
      { code: 'url_invalid', index: lead, message: `${label} is not a URL: give a full URL such as https://host/path, or leave it empty for the default` },
    ];
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return [{ code: 'url_scheme', index: lead, message: `${label} must be an http:// or https:// URL, not ${url.protocol}` }];
  }
  const issues: UrlIssue[] = [];
  if (url.username !== '' || url.password !== '') {
    // Should the value reach a log line anyway, it is masked there.
    for (const secret of [url.password, decodeURIComponentSafe(url.password), url.username, decodeURIComponentSafe(url.username)]) registerSecret(secret);
    issues.push({
      code: 'url_credentials',
      index: lead + text.indexOf('//') + 2,
      message: `${label} must not hold a user name or password (user:…@host): give credentials in the connection's secret properties, from environment variables`,
    });
  }
  const at = authorityEnd(text);
  const query = text.indexOf('?', at);
  const fragment = text.indexOf('#', at);
  if (query >= 0 && (fragment < 0 || query < fragment)) {
    issues.push({
      code: 'url_query',
      index: lead + query,
      message: `${label} must not have a query (?…): ledgersync appends API paths to it, which would land inside the query`,
    });
  }
  if (fragment >= 0) {
    issues.push({
      code: 'url_fragment',
      index: lead + fragment,
      message: `${label} must not have a fragment (#…): it is never sent, and the API paths appended to it would be cut off`,
    });
  }
  return issues;
}

/** Index just past `scheme://authority`: as URL parsers do, the authority ends at the first `/`, `\\`, `?` or `#`. */
function authorityEnd(text: string): number {
  const start = text.indexOf('//');
  return start < 0 ? 0 : firstOf(text, '/\\?#', start + 2);
}

function firstOf(text: string, chars: string, from: number): number {
  for (let i = from; i < text.length; i++) if (chars.includes(text[i] as string)) return i;
  return text.length;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
