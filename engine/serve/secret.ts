/**
 * The shared secret of `ledgersync serve`: Chargebee sends it as the HTTP Basic password (any user
 * name) or as `?token=` in the webhook URL. Compared in constant time, so the answer's timing says
 * nothing about how much of a guess was right.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { LedgersyncError } from '../errors.js';
import { registerSecret } from '../log.js';

const MIN_LENGTH = 16;

export function webhookSecretOf(env: Record<string, string | undefined>): string {
  const secret = env['LEDGERSYNC_WEBHOOK_SECRET'];
  if (!secret || secret.length < MIN_LENGTH) {
    throw new LedgersyncError(
      'webhook_secret_missing',
      'config',
      `LEDGERSYNC_WEBHOOK_SECRET is ${secret ? `shorter than ${MIN_LENGTH} characters` : 'not set'}: ledgersync serve accepts no webhook without it`,
      {
        fix: `set LEDGERSYNC_WEBHOOK_SECRET to a random value of at least ${MIN_LENGTH} characters (e.g. openssl rand -hex 24) and give Chargebee the same value as the Basic auth password of the webhook`,
      },
    );
  }
  registerSecret(secret);
  return secret;
}

function sameSecret(given: string, secret: string): boolean {
  // Digests have one length whatever was given, which timingSafeEqual needs.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/** The password of an `Authorization: Basic …` header, if it is one. */
function basicPassword(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

/** Whether a request carries the secret, as the Basic password or as `?token=`. */
export function carriesSecret(authorization: string | undefined, url: URL, secret: string): boolean {
  const candidates = [basicPassword(authorization), ...url.searchParams.getAll('token')].filter((c): c is string => c !== undefined);
  let ok = false;
  // Every candidate is compared, so the time taken does not depend on which one matched.
  for (const candidate of candidates) ok = sameSecret(candidate, secret) || ok;
  return ok;
}
