/** Static auth schemes declared in descriptors (basic, API-key header, bearer) as a connection hook. */
import { LedgersyncError } from '../errors.js';
import { registerSecret } from '../log.js';
import type { AuthDescriptor } from './descriptor.js';
import type { ConnectionConfig } from './types.js';
import { fillTemplate } from './base-url.js';

export function staticAuthHeaders(auth: AuthDescriptor | undefined, connection: ConnectionConfig): Record<string, string> {
  switch (auth?.type) {
    case undefined:
    case 'none':
      return {};
    case 'basic': {
      const user = fillTemplate(auth.username, connection);
      const password = fillTemplate(auth.password, connection);
      const encoded = Buffer.from(`${user}:${password}`).toString('base64');
      registerSecret(user);
      registerSecret(encoded);
      return { authorization: `Basic ${encoded}` };
    }
    case 'api_key_header': {
      const value = fillTemplate(auth.value, connection);
      registerSecret(value);
      return { [auth.header.toLowerCase()]: value };
    }
    case 'bearer': {
      const token = fillTemplate(auth.token, connection);
      registerSecret(token);
      return { authorization: `Bearer ${token}` };
    }
    default:
      throw new LedgersyncError(
        'auth_needs_code',
        'system',
        `auth type '${(auth as { type: string }).type}' is implemented by the connector's own code, not by static headers`,
      );
  }
}
