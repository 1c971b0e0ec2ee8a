import type { IncomingMessage, ServerResponse } from 'node:http';
import { readLimited, refuseBody } from '../../http/auth.js';
import { SECURITY_HEADERS } from '../respond.js';

/** Forms are a few hidden fields and a reason: 16 KiB is plenty, and bounds what anyone can make gantry hold. */
export const FORM_LIMIT = 16 * 1024;

/**
 * The urlencoded body of a form post, read safely: declared size checked before reading, the
 * read cut off at the limit, other content types refused (415). Undefined after answering.
 * Fields are read with `URLSearchParams.get`, so a field named `__proto__` is just a name.
 */
export async function readForm(req: IncomingMessage, res: ServerResponse): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    refusePlain(res, 415, 'send the form as application/x-www-form-urlencoded');
    return undefined;
  }
  if (refuseBody(req, res, FORM_LIMIT)) return undefined;
  const body = await readLimited(req, res, FORM_LIMIT);
  return body === undefined ? undefined : new URLSearchParams(body.toString('utf8'));
}

/**
 * Whether the browser says this request came from another site: `Sec-Fetch-Site` other than
 * same-origin (or none: typed by the person), or an `Origin` that is neither the public URL's
 * nor the one the request was sent to. Requests that carry neither (old browsers, scripts) are
 * left to the CSRF token, which every action needs anyway.
 */
export function crossSite(req: IncomingMessage, publicUrl: string | undefined): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const own = new Set<string>();
  if (publicUrl) own.add(new URL(publicUrl).origin);
  const host = req.headers.host;
  if (host) own.add(`${publicUrl?.startsWith('https:') ? 'https' : 'http'}://${host}`);
  return !own.has(origin);
}

/** A refusal as plain text with the page headers (the form never got far enough for a page). */
export function refusePlain(res: ServerResponse, status: number, text: string): void {
  // the body may still be unread: no keep-alive behind it
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.end(text);
}

/**
 * `next` after signing in: a path on this site only. `//evil.example`, `/\evil.example`,
 * `https://…`, control characters and anything not starting with one `/` fall back to `/`.
 */
export function localPath(next: string | null | undefined): string {
  if (!next || next.length > 2000) return '/';
  // eslint-disable-next-line no-control-regex
  if (!next.startsWith('/') || next.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(next)) return '/';
  // what a browser would make of it must still be this site
  const resolved = new URL(next, 'http://gantry.invalid');
  return resolved.origin === 'http://gantry.invalid' ? `${resolved.pathname}${resolved.search}` : '/';
}
