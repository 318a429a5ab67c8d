/** AES-256-GCM for secrets kept in the state store, keyed by LEDGERSYNC_SECRET_KEY through scrypt. */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { LedgersyncError } from '../errors.js';

export interface Sealed {
  salt: Buffer;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

const keyCache = new Map<string, Buffer>();

function deriveKey(secretKey: string, salt: Buffer): Buffer {
  const cacheKey = secretKey + ':' + salt.toString('hex');
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = scryptSync(secretKey, salt, 32);
    keyCache.set(cacheKey, key);
  }
  return key;
}

export function requireSecretKey(secretKey: string | undefined): string {
  if (!secretKey || secretKey.length < 16) {
    throw new LedgersyncError(
      'secret_key_missing',
      'config',
      'LEDGERSYNC_SECRET_KEY is not set (or shorter than 16 characters); it encrypts the tokens ledgersync must store',
      {
        fix: 'export LEDGERSYNC_SECRET_KEY with a long random value (e.g. `openssl rand -hex 32`) and keep it with the state file',
      },
    );
  }
  return secretKey;
}

export function seal(plaintext: string, secretKey: string): Sealed {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secretKey, salt), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { salt, iv, tag: cipher.getAuthTag(), ciphertext };
}

export function open(sealed: Sealed, secretKey: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(secretKey, sealed.salt), sealed.iv);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new LedgersyncError('secret_undecryptable', 'config', 'a stored secret cannot be decrypted with the current LEDGERSYNC_SECRET_KEY', {
      fix: 'use the LEDGERSYNC_SECRET_KEY the state file was written with, or reconnect the account so a new token is stored',
      cause: error,
    });
  }
}
