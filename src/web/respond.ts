import type { ServerResponse } from 'node:http';
import type { Html } from './html.js';

/**
 * The headers of every page gantry serves: a Content-Security-Policy that allows only gantry's
 * own stylesheet and scripts (no inline script or style, no framing, forms post only to gantry),
 * no MIME sniffing, no referrer leaving the site, and no caching of what a signed-in person saw.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'private, no-store',
};

export function sendHtml(res: ServerResponse, status: number, page: Html | string, headers: Record<string, string | string[]> = {}): void {
  const body = typeof page === 'string' ? page : page.value;
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** 303 See Other: after a form post, the browser GETs `location` (a path on this site). */
export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, location, 'content-length': 0, ...headers });
  res.end();
}
