import type { Env } from '../../config/env.js';
import type { WebAuthSettings } from './index.js';

/**
 * Sign-in settings from the environment: the cookie key, and GitHub sign-in when the App's OAuth
 * client is given. On GitHub Enterprise Server the web address is the API's without `/api/v3`.
 */
export function webAuthSettings(env: Pick<Env, 'GANTRY_SESSION_SECRET' | 'GITHUB_CLIENT_ID' | 'GITHUB_CLIENT_SECRET' | 'GITHUB_API_URL'>): WebAuthSettings {
  const api = env.GITHUB_API_URL?.replace(/\/+$/, '');
  const github =
    env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET
      ? {
          clientId: env.GITHUB_CLIENT_ID,
          clientSecret: env.GITHUB_CLIENT_SECRET,
          ...(api ? { apiUrl: api, webUrl: api.replace(/\/api\/v3$/, '') } : {}),
        }
      : undefined;
  return { ...(env.GANTRY_SESSION_SECRET ? { sessionSecret: env.GANTRY_SESSION_SECRET } : {}), ...(github ? { github } : {}) };
}
