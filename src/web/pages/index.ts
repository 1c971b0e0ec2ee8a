import type { Route } from '../../http/server.js';
import type { WebDeps } from '../deps.js';
import type { WebAccess } from '../viewer.js';

/** SKELETON (issue 14): overview, approvals, history, release pages. */
export function pageRoutes(_deps: WebDeps, _access: WebAccess): Route[] {
  return [];
}
