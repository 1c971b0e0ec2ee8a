import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { GantryError } from '../domain/errors.js';

/**
 * The last step of the manifest flow: `POST {api}/app-manifests/{code}/conversions` turns the
 * one-time code GitHub redirected with into the new app's id, private key and webhook secret. No
 * authentication: the code is the credential (single use, valid for an hour).
 */

/** The registered app, checked: only what gantry keeps or shows. */
export interface RegisteredApp {
  id: number;
  slug: string;
  name: string;
  /** https://github.com/apps/<slug> (or the GHES host's) */
  htmlUrl: string;
  /** the PEM private key */
  pem: string;
  webhookSecret: string;
  /** the app's OAuth client: "Sign in with GitHub" on the dashboard (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET) */
  clientId: string;
  clientSecret: string;
}

/** GitHub's codes are short hex strings; anything else never reaches a URL. */
const CODE = /^[A-Za-z0-9_-]{1,128}$/;
/** the documented 201 answer is a few kilobytes; a larger one is not GitHub's */
const MAX_BODY = 256 * 1024;
const TIMEOUT_MS = 30_000;

const ConversionSchema = z.object({
  id: z.number().int().positive(),
  slug: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/),
  name: z.string().regex(/^[^\x00-\x1f\x7f]{1,100}$/, 'must be a line of text'),
  html_url: z.string(),
  pem: z.string().min(1).max(16 * 1024),
  webhook_secret: z.string().regex(/^[\x21-\x7e]{1,512}$/, 'must be a printable secret (was the webhook left inactive?)'),
  client_id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  client_secret: z.string().regex(/^[\x21-\x7e]{1,512}$/, 'must be a printable secret'),
});

export function isManifestCode(code: string): boolean {
  return CODE.test(code);
}

/**
 * Converts `code` at the API `apiUrl`; `webUrl` is GitHub's web origin, which the app's html_url
 * must be on (the install link printed to the user is built from it).
 */
export async function convertManifestCode(apiUrl: string, webUrl: string, code: string): Promise<RegisteredApp> {
  if (!isManifestCode(code)) throw new GantryError('INPUT_INVALID', 'the code GitHub redirected with is malformed');
  const url = `${apiUrl}/app-manifests/${encodeURIComponent(code)}/conversions`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'gantry-setup' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    throw new GantryError('GITHUB_API_FAILED', `POST ${url} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = await readBounded(res, url);
  if (res.status !== 201) throw new GantryError('GITHUB_API_FAILED', refusal(res.status, text, url));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GantryError('GITHUB_API_FAILED', `POST ${url}: the answer is not JSON`);
  }
  const r = ConversionSchema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    // never the value: it may be the key or a secret
    throw new GantryError('GITHUB_API_FAILED', `POST ${url}: unexpected answer: ${issue.path.join('.')}: ${issue.message}`);
  }
  const app = r.data;
  checkPem(app.pem, url);
  const htmlUrl = checkHtmlUrl(app.html_url, webUrl, url);
  return { id: app.id, slug: app.slug, name: app.name, htmlUrl, pem: app.pem, webhookSecret: app.webhook_secret, clientId: app.client_id, clientSecret: app.client_secret };
}

/** What GitHub said, in its own words (`message`), with what it means here. */
function refusal(status: number, text: string, url: string): string {
  let message = '';
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') message = `: "${m.slice(0, 200).replace(/[\x00-\x1f\x7f]/g, ' ')}"`;
  } catch {
    // not JSON: the status says enough
  }
  const meaning =
    status === 404
      ? 'the code is unknown, already used or expired (codes last an hour): run gantry setup github again'
      : status === 422
        ? 'GitHub refused the conversion: run gantry setup github again'
        : 'GitHub did not convert the code';
  return `POST ${url} answered ${status}${message}; ${meaning}. Nothing was written.`;
}

async function readBounded(res: Response, url: string): Promise<string> {
  const tooLarge = () => new GantryError('GITHUB_API_FAILED', `POST ${url}: the answer is over ${MAX_BODY} bytes`);
  if (Number(res.headers.get('content-length') ?? '0') > MAX_BODY) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > MAX_BODY) throw tooLarge();
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function checkPem(pem: string, url: string): void {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key');
  } catch {
    throw new GantryError('GITHUB_API_FAILED', `POST ${url}: the answer's pem is not an RSA private key`);
  }
}

/** The app's page must be on the GitHub the user chose: the install link is built from it. */
function checkHtmlUrl(htmlUrl: string, webUrl: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(htmlUrl);
  } catch {
    throw new GantryError('GITHUB_API_FAILED', `POST ${url}: the answer's html_url is not a URL`);
  }
  if (parsed.origin !== new URL(webUrl).origin || parsed.search || parsed.hash || parsed.username) {
    throw new GantryError('GITHUB_API_FAILED', `POST ${url}: the answer's html_url is not on ${new URL(webUrl).origin}`);
  }
  return parsed.href.replace(/\/$/, '');
}
