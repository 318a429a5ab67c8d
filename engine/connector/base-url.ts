/** Fills a descriptor's base URL template from the connection block, refusing values that could change the host. */
import { LedgersyncError } from '../errors.js';
import type { ConnectorDescriptor } from './descriptor.js';
import type { ConnectionConfig } from './types.js';

export function resolveBaseUrl(descriptor: ConnectorDescriptor, connection: ConnectionConfig): string {
  const spec = descriptor.base_url;
  if (!spec) throw new LedgersyncError('no_base_url', 'system', `connector ${descriptor.name} declares no base_url`);
  const chosen = spec.variant_property ? connection[spec.variant_property] : undefined;
  const variant = typeof chosen === 'string' ? chosen.trim() : undefined;
  const override = spec.override_property ? connection[spec.override_property] : undefined;
  if (typeof override === 'string' && override.trim() !== '') {
    let url: URL;
    try {
      url = new URL(override.trim());
    } catch {
      throw new LedgersyncError('invalid_base_url', 'config', `${spec.override_property} '${override}' of the ${descriptor.title} connection is not a URL`, {
        fix:
          spec.override_replaces === 'host'
            ? `give the API host such as ${new URL(spec.template).origin}, or leave it empty`
            : 'give a full URL such as https://host/path, or leave it empty to use the default',
      });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new LedgersyncError(
        'invalid_base_url',
        'config',
        `${spec.override_property} of the ${descriptor.title} connection must be http(s), received ${url.protocol}`,
      );
    }
    const given = url.toString().replace(/\/+$/, '');
    // A bare host (`http://127.0.0.1:4010`) gets the API's own path (`/api/v2`), as the vendor's host would;
    // a host-only override keeps the template's path (e.g. `/v3/company/{realm_id}`) whatever it is given.
    if (spec.override_replaces === 'host' || (url.pathname === '/' && !url.search)) {
      const path = new URL(fillBaseTemplate(descriptor, connection, variant)).pathname.replace(/\/+$/, '');
      return given + path;
    }
    return given;
  }
  return fillBaseTemplate(descriptor, connection, variant);
}

function fillBaseTemplate(descriptor: ConnectorDescriptor, connection: ConnectionConfig, variant?: string): string {
  const spec = descriptor.base_url!;
  const template = (variant && spec.variants?.[variant]) || spec.template;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = connection[name];
    if (typeof value !== 'string' || value === '') {
      throw new LedgersyncError('missing_connection_value', 'config', `the ${descriptor.title} connection needs '${name}' to build its URL`, {
        fix: `set ${name} in the pipeline's connection block`,
      });
    }
    const rule = spec.parameters?.[name];
    if (rule && !new RegExp(rule.pattern).test(value)) {
      throw new LedgersyncError(
        'invalid_connection_value',
        'config',
        `${name} '${value}' of the ${descriptor.title} connection is not valid: ${rule.description}`,
        {
          fix: `correct ${name}; it must match ${rule.pattern}`,
        },
      );
    }
    return value;
  });
}

/** `{name}` placeholders in a descriptor string (auth user names…) filled from the connection. */
export function fillTemplate(template: string, connection: ConnectionConfig): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = connection[name];
    return value === undefined || value === null ? '' : String(value);
  });
}
