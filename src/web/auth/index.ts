import type { Route } from '../../http/server.js';
import type { WebDeps } from '../deps.js';
import type { WebAccess } from '../viewer.js';

/** Sign-in settings from the environment (GitHub OAuth client, session key). */
export interface WebAuthSettings {
  sessionSecret?: string;
  github?: { clientId: string; clientSecret: string; webUrl?: string; apiUrl?: string };
}

/** SKELETON (issue 14): sessions, CSRF, GitHub OAuth and chat links come here. Until then nobody may read. */
export function webAuth(_deps: WebDeps, _settings: WebAuthSettings): { access: WebAccess; routes: Route[] } {
  const forbid = (res: import('node:http').ServerResponse) => {
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('sign-in is not available yet');
    return undefined;
  };
  return { access: { reader: async (_req, res) => forbid(res), actor: async (_req, res) => forbid(res) }, routes: [] };
}
