import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './server.js';

/**
 * Authentication and request guards for the routes gantry serves itself (API, admin, metrics):
 * static tokens from the environment, compared in constant time, and bodies bounded before
 * anything reads them.
 */

/**
 * Constant-time string comparison. Both sides are hashed first, so neither the content nor the
 * length of the secret leaks through timing (timingSafeEqual alone needs equal lengths).
 */
export function safeEqual(given: string, secret: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}

/** `Authorization: Bearer <token>`. */
export function bearer(req: IncomingMessage, token: string): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  return !!m && safeEqual(m[1]!, token);
}

/**
 * Bearer, or HTTP Basic with the token as the password (any user name), so a browser can open
 * the admin pages through its own login prompt.
 */
export function bearerOrBasic(req: IncomingMessage, token: string): boolean {
  if (bearer(req, token)) return true;
  const m = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && safeEqual(decoded.slice(colon + 1), token);
}

/** 401 with the challenge that makes clients (and browsers, for Basic) ask for credentials. */
export function unauthorized(res: ServerResponse, scheme: 'Bearer' | 'Basic'): void {
  res.setHeader('www-authenticate', scheme === 'Basic' ? 'Basic realm="gantry admin", charset="UTF-8"' : 'Bearer realm="gantry"');
  sendJson(res, 401, { error: 'unauthorized: send Authorization: Bearer <token>' });
}

/**
 * Refuses a request whose declared body is over `limit` bytes (413), or whose size is not
 * declared at all when a body is allowed (411: chunked uploads are never needed here, unless
 * `chunked` says the route takes them, when `readLimited` cuts them off at the limit). Returns
 * true when it answered. The connection is closed afterwards, so the unread body is never read.
 */
export function refuseBody(req: IncomingMessage, res: ServerResponse, limit: number, o: { chunked?: boolean } = {}): boolean {
  const declared = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (declared === undefined && !chunked) return false;
  if (chunked && declared === undefined && o.chunked && limit > 0) return false;
  const size = declared === undefined ? NaN : Number(declared);
  if (chunked && limit > 0) return refuse(res, 411, 'send Content-Length; chunked bodies are not accepted');
  if (chunked || !Number.isFinite(size) || size > limit) return refuse(res, 413, `request body too large (at most ${limit} bytes)`);
  return false;
}

/**
 * Bytes that the bodies of one route may hold at once, across all its requests: a cap per body
 * still lets many senders at once add up to more memory than the process has.
 */
export class BodyBudget {
  private used = 0;
  constructor(readonly bytes: number) {}
  take(n: number): boolean {
    if (this.used + n > this.bytes) return false;
    this.used += n;
    return true;
  }
  give(n: number): void {
    this.used -= n;
  }
}

/**
 * Reads a body already checked by `refuseBody`, still counting: a client that sends more than it
 * declared is cut off at `limit`. With a `budget`, the bytes are held from it until the response
 * is over (the handler parses them meanwhile), and a body that does not fit is refused with 503.
 * Resolves undefined when it answered itself.
 */
export function readLimited(req: IncomingMessage, res: ServerResponse, limit: number, budget?: BodyBudget): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    if (budget) res.once('close', () => budget.give(size));
    const stop = (status: 413 | 503, error: string) => {
      done = true;
      req.off('data', onData);
      req.pause();
      refuse(res, status, error);
      resolve(undefined);
    };
    const onData = (c: Buffer) => {
      if (size + c.length > limit) return stop(413, `request body too large (at most ${limit} bytes)`);
      if (budget && !budget.take(c.length)) return stop(503, 'too many large requests at once; try again later');
      size += c.length;
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!done) reject(err);
    });
  });
}

function refuse(res: ServerResponse, status: 411 | 413 | 503, error: string): true {
  res.setHeader('connection', 'close');
  if (status === 503) res.setHeader('retry-after', '5');
  sendJson(res, status, { error });
  // the rest of the body stays unread: end the connection once the answer is out
  const socket = res.socket;
  res.once('finish', () => socket?.destroySoon());
  return true;
}
