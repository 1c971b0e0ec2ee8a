import type { Route } from '../http/server.js';
import { assetRoutes } from './assets.js';
import { webAuth, type WebAuthSettings } from './auth/index.js';
import { buildRoutes } from './builds/index.js';
import type { WebDeps } from './deps.js';
import { pageRoutes } from './pages/index.js';

/**
 * Everything `gantry web` serves to browsers: sign-in (src/web/auth/), the dashboard pages
 * (src/web/pages/), build pages with their live logs (src/web/builds/) and the assets.
 */
export function webRoutes(deps: WebDeps, settings: WebAuthSettings): Route[] {
  const auth = webAuth(deps, settings);
  return [...auth.routes, ...pageRoutes(deps, auth.access), ...buildRoutes(deps, auth.access), ...assetRoutes()];
}
