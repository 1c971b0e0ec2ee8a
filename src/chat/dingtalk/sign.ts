import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * DingTalk's signature, the same for the robot callback headers and the "加签" of custom group
 * robots: base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)).
 */
export function dingtalkSign(timestamp: string | number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
}

/** DingTalk accepts a callback for one hour after its timestamp; so do we. */
export const MAX_SKEW_MS = 60 * 60 * 1000;

/** Checks a callback's `timestamp` and `sign` headers; returns why not, or undefined when valid. */
export function verifyCallback(timestamp: string | undefined, sign: string | undefined, secret: string, now: number): string | undefined {
  if (!timestamp || !sign) return 'missing timestamp or sign header';
  if (!/^\d{10,16}$/.test(timestamp)) return 'malformed timestamp';
  if (Math.abs(now - Number(timestamp)) > MAX_SKEW_MS) return 'stale timestamp';
  const want = Buffer.from(dingtalkSign(timestamp, secret));
  const got = Buffer.from(sign);
  return want.length === got.length && timingSafeEqual(want, got) ? undefined : 'bad signature';
}

/** A custom group robot's webhook URL with the 加签 parameters added. */
export function signedRobotUrl(url: string, secret: string | undefined, now: number): string {
  if (!secret) return url;
  const u = new URL(url);
  u.searchParams.set('timestamp', String(now));
  u.searchParams.set('sign', dingtalkSign(now, secret));
  return u.toString();
}
