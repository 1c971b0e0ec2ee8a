import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { parseRedisUrl } from '../store/redis-url.js';

/**
 * The value types of environment variables (src/config/env-vars.ts). Every message here names
 * the rule, never the value: the value may be a secret.
 */

export const RedisUrlText = z.string().superRefine((url, ctx) => {
  try {
    parseRedisUrl(url);
  } catch (e) {
    // the parser's messages name no password
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
  }
});

/** A shared secret someone must send: long enough that guessing it over HTTP is hopeless. */
export const TokenText = z
  .string()
  .min(24, 'must be at least 24 characters (e.g. openssl rand -hex 24)')
  .max(512)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** A duration in gantry's grammar (`30m`, `90s`, `1h30m`), checked by the parser that reads it later. */
export const DurationText = z.string().refine((s) => {
  try {
    parseDuration(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a duration such as 30m or 90s');

export const BytesText = z
  .string()
  .regex(/^\d+[kmg]?$/i, 'must be a size in bytes, optionally with k, m or g (e.g. 2g)');

export const IntText = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const HttpUrlText = z.url({ protocol: /^https?$/ });

export const BindAddress = z.union([z.ipv4(), z.ipv6(), z.literal('localhost')], {
  error: 'must be an IP address to bind, such as 0.0.0.0 or ::',
});
