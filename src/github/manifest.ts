import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { GantryError } from '../domain/errors.js';

/**
 * The GitHub App manifest (docs.github.com: registering a GitHub App from a manifest), built from
 * the package's `app.yml` so that the permissions and events reviewed there are exactly the ones
 * registered. Only the deployment-specific parts come from the command line.
 */

// strict: a key added to app.yml that this does not post would be a setting silently not registered
const AppYmlSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** for registering by hand: --url gives both */
    url: z.string().optional(),
    hook_attributes: z.object({ url: z.string() }).optional(),
    public: z.boolean().default(false),
    default_permissions: z.record(z.string().regex(/^[a-z_]+$/), z.enum(['read', 'write', 'admin'])),
    default_events: z.array(z.string().regex(/^[a-z_]+$/)),
  })
  .strict();
export type AppYml = z.infer<typeof AppYmlSchema>;

/** What GitHub reads from the `manifest` form field. */
export interface AppManifest {
  name: string;
  url: string;
  description?: string;
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  /** where GitHub sends people back after "Sign in with GitHub" (the app's OAuth callback) */
  callback_urls: string[];
  public: boolean;
  default_permissions: Record<string, string>;
  default_events: string[];
}

/** GitHub refuses longer app names. */
const MAX_NAME = 34;

export function readAppYml(file: string): AppYml {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GantryError('CONFIG_INVALID', `${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = AppYmlSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new GantryError('CONFIG_INVALID', `${file}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return r.data;
}

/**
 * A public base URL given on the command line (`--url`, `--github-url`): http(s), no credentials,
 * query or fragment; returned without a trailing slash, so paths can be appended.
 */
export function parseBaseUrl(option: string, text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GantryError('COMMAND_USAGE', `${option} must be an http(s) URL such as https://gantry.example.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new GantryError('COMMAND_USAGE', `${option} must be an http(s) URL`);
  if (url.username || url.password || url.search || url.hash) {
    throw new GantryError('COMMAND_USAGE', `${option} must be a base URL without credentials, query or fragment`);
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** `--org`: a GitHub organization login. */
export function checkOrg(org: string): string {
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(org)) throw new GantryError('COMMAND_USAGE', '--org must be a GitHub organization login (letters, digits, hyphens)');
  return org;
}

export function checkAppName(name: string): string {
  if (name.trim() === '' || name.length > MAX_NAME || /[\x00-\x1f\x7f]/.test(name)) {
    throw new GantryError('COMMAND_USAGE', `--name must be 1 to ${MAX_NAME} printable characters (GitHub's limit)`);
  }
  return name;
}

/** `url` is gantry web's public base URL; `redirectUrl` is the local page's callback. */
export function buildAppManifest(app: AppYml, o: { url: URL; redirectUrl: string; name: string | undefined }): AppManifest {
  const base = o.url.href.replace(/\/$/, '');
  return {
    name: o.name ?? app.name,
    url: base,
    description: app.description,
    hook_attributes: { url: `${base}/api/github/webhooks`, active: true },
    redirect_url: o.redirectUrl,
    callback_urls: [`${base}/login/github/callback`],
    public: app.public,
    default_permissions: { ...app.default_permissions },
    default_events: [...app.default_events],
  };
}

/** Where the manifest is posted and the API that converts the code: github.com, or a GHES host. */
export interface GithubEndpoints {
  /** https://github.com or the GHES web URL */
  web: string;
  /** https://api.github.com or <GHES>/api/v3 */
  api: string;
  /** the form's action, without the state */
  newAppPage: string;
}

export function githubEndpoints(githubUrl: URL | undefined, org: string | undefined): GithubEndpoints {
  const web = githubUrl ? githubUrl.href.replace(/\/$/, '') : 'https://github.com';
  const api = githubUrl ? `${web}/api/v3` : 'https://api.github.com';
  const newAppPage = org ? `${web}/organizations/${encodeURIComponent(org)}/settings/apps/new` : `${web}/settings/apps/new`;
  return { web, api, newAppPage };
}
