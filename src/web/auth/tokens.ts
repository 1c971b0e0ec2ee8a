import { createHash, createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../../http/auth.js';

/** 256 random bits, base64url (43 characters): sign-in links, session ids, CSRF tokens, OAuth state. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What a token looks like before anything looks it up: 43 base64url characters. */
export const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Redis keys hold a token's hash, never the token: whoever can read Redis (a backup, a replica)
 * cannot sign in with what they find there.
 */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** `value.signature`: HMAC-SHA256 of the value under `key`, so a cookie cannot be made up or altered. */
export function signValue(value: string, key: string): string {
  return `${value}.${createHmac('sha256', key).update(value).digest('base64url')}`;
}

/** The value of a `signValue` result, or undefined when the signature does not match (compared in constant time). */
export function verifySigned(signed: string, key: string): string | undefined {
  const dot = signed.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const value = signed.slice(0, dot);
  return safeEqual(signed, signValue(value, key)) ? value : undefined;
}
