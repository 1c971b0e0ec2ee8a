import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { GantryError, isGantryError } from '../domain/errors.js';
import { bearer, readLimited, refuseBody, unauthorized } from './auth.js';
import { sendJson } from './server.js';

/** A release is a few image references, a bundle a few app versions; anything near this size is neither. */
export const API_BODY_LIMIT = 64 * 1024;

/**
 * A JSON.parse reviver refusing a `__proto__` key: zod drops it silently (it would replace the
 * prototype of the record it builds), so without this an image named `__proto__` would vanish
 * from a release instead of being refused.
 */
function refuseProtoKey(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new GantryError('INPUT_INVALID', 'the body has a "__proto__" key: no app, image or field has that name');
  return value;
}

/**
 * Who, then how much, then what: an unauthenticated body is never read, an oversized one never
 * parsed. The body checked by `schema`, or undefined once the refusal (401/411/413/415/400) is sent.
 */
export async function readJsonBody<T>(token: string, req: IncomingMessage, res: ServerResponse, what: string, schema: z.ZodType<T>): Promise<T | undefined> {
  const refuse = (status: number, body: Record<string, string>): undefined => void sendJson(res, status, body);
  if (!bearer(req, token)) return void unauthorized(res, 'Bearer');
  if (refuseBody(req, res, API_BODY_LIMIT)) return;
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    return refuse(415, { error: `send the ${what} as application/json` });
  }
  const raw = await readLimited(req, res, API_BODY_LIMIT);
  if (raw === undefined) return;
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'), refuseProtoKey);
  } catch (e) {
    if (isGantryError(e)) return refuse(400, { error: e.message, code: e.code });
    return refuse(400, { error: 'the body is not valid JSON' });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return refuse(400, { error: `${issue.path.join('.') || 'body'}: ${issue.message}`, code: 'INPUT_INVALID' });
  }
  return parsed.data;
}
