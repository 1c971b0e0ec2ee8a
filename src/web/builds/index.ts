import type { Route } from '../../http/server.js';
import type { WebDeps } from '../deps.js';
import type { WebAccess } from '../viewer.js';

/** SKELETON (issue 14): build pages and their live logs. */
export function buildRoutes(_deps: WebDeps, _access: WebAccess): Route[] {
  return [];
}
