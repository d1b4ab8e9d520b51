import { createSecretKey, type KeyObject } from 'node:crypto';

/**
 * The JWT secret as an HMAC key object. Given a plain string, jsonwebtoken first tries to parse it as
 * a PEM public key on every verify and only then falls back to a secret key; that failed parse costs
 * more than the whole HS256 check. The key bytes are the secret's UTF-8 bytes, as before.
 */
export function jwtSecretKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}
