import type { IncomingMessage } from 'node:http';

/** The request's cookies by name (a Map: cookie names are outside input). The first of a repeated name wins. */
export function readCookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export interface CookieOptions {
  /** seconds; 0 deletes the cookie */
  maxAge: number;
  secure: boolean;
  path?: string;
}

/** A `Set-Cookie` value: never readable by scripts, sent only with same-site navigations and gantry's own requests. */
export function cookie(name: string, value: string, o: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${o.path ?? '/'}`, `Max-Age=${Math.max(0, Math.floor(o.maxAge))}`, 'HttpOnly', 'SameSite=Lax'];
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}
