/**
 * Values under MIN_SECRET_LENGTH characters are never masked (masking `123` or `EUR` would damage
 * every payload that holds them); a configured secret that short gets a warning naming its
 * property, never its value.
 */
import { expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, redact, registerSecret, unmaskedSecretWarning } from '../../engine/secrets.js';

it('a value shorter than the minimum is not masked', () => {
  expect(MIN_SECRET_LENGTH).toBe(4);
  registerSecret('a1b');
  expect(redact('amount a1b')).toBe('amount a1b');
  registerSecret('a1b2');
  expect(redact('amount a1b2')).toBe('amount ***');
});

it('a configured secret too short to be masked is warned about by property, without its value', () => {
  const warning = unmaskedSecretWarning('sink.password', 'x9z');
  expect(warning).toBe(
    'sink.password is shorter than 4 characters, so it is not masked in logs, errors or the state (masking a value that short would damage ordinary words and numbers everywhere): use a longer secret',
  );
  expect(warning).not.toContain('x9z');
  expect(unmaskedSecretWarning('sink.password', 'long-enough')).toBeUndefined();
  expect(unmaskedSecretWarning('sink.password', undefined)).toBeUndefined();
  expect(unmaskedSecretWarning('sink.password', '')).toBeUndefined();
});
