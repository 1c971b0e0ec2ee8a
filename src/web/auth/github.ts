import type { Route } from '../../http/server.js';
import type { SignIn } from './index.js';

/** The GitHub App's OAuth client (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET) and where GitHub is. */
export interface GithubOAuthSettings {
  clientId: string;
  clientSecret: string;
  /** https://github.com, or a GitHub Enterprise server */
  webUrl?: string;
  /** https://api.github.com, or a GitHub Enterprise server's API */
  apiUrl?: string;
}

/** SKELETON until step 4: GitHub sign-in. */
export function githubRoutes(_signIn: SignIn, _settings: GithubOAuthSettings | undefined): Route[] {
  return [];
}
