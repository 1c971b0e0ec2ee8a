import { spawn } from 'node:child_process';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseDuration } from '../domain/duration.js';
import { GantryError, isGantryError } from '../domain/errors.js';
import { convertManifestCode, isManifestCode, type RegisteredApp } from '../github/manifest-conversion.js';
import { buildAppManifest, checkAppName, checkOrg, githubEndpoints, parseBaseUrl, readAppYml } from '../github/manifest.js';
import { PACKAGE_DIR } from './package-info.js';
import { deliverCredentials, precheckEnvFile, type Destination } from './setup-github-deliver.js';
import { manifestPage, resultPage } from './setup-github-page.js';

/**
 * `gantry setup github`: GitHub's app manifest flow. A page on 127.0.0.1 posts the manifest built
 * from app.yml to GitHub; GitHub creates the app and redirects back with a one-time code and the
 * state the page sent; the code is converted into the app's credentials, which go into the env
 * file or to standard output. The page binds loopback only, whatever GANTRY_HOST says: it hands
 * out the state, and whoever holds the state can have their own app's code accepted.
 */

export interface GithubSetupOptions {
  /** gantry web's public base URL */
  url: string;
  org?: string;
  writeEnv?: string;
  print?: boolean;
  force?: boolean;
  port?: string;
  githubUrl?: string;
  name?: string;
  timeout?: string;
  open?: boolean;
  /** tests: the API that converts the code (default: api.github.com, or <github-url>/api/v3) */
  apiUrl?: string;
}

export interface GithubSetup {
  pageUrl: string;
  /** the outcome: what the user is told, and with --print the env lines; rejects with a GantryError */
  done: Promise<{ lines: string[]; printed: string | undefined }>;
}

const DEFAULT_TIMEOUT = '10m';

/** The flow's first half: checks the options, serves the page. `done` settles after the redirect or the timeout. */
export async function startGithubSetup(o: GithubSetupOptions): Promise<GithubSetup> {
  const url = parseBaseUrl('--url', o.url);
  const githubUrl = o.githubUrl !== undefined ? parseBaseUrl('--github-url', o.githubUrl) : undefined;
  const org = o.org !== undefined ? checkOrg(o.org) : undefined;
  const name = o.name !== undefined ? checkAppName(o.name) : undefined;
  const port = parsePort(o.port ?? '0');
  const timeoutMs = parseTimeout(o.timeout ?? DEFAULT_TIMEOUT);
  if (o.print && o.writeEnv !== undefined) {
    throw new GantryError('COMMAND_USAGE', '--write-env and --print exclude each other: write the env file, or print');
  }
  const dest: Destination = o.print
    ? { kind: 'print' }
    : { kind: 'env-file', file: path.resolve(o.writeEnv ?? '.env'), force: o.force === true };
  const app = readAppYml(path.join(PACKAGE_DIR, 'app.yml'));
  precheckEnvFile(dest);
  const endpoints = githubEndpoints(githubUrl, org);
  const apiUrl = o.apiUrl ?? endpoints.api;

  const state = randomBytes(32).toString('base64url');
  const server = http.createServer();
  await listen(server, port);
  const bound = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${bound}`;
  const manifest = buildAppManifest(app, { url, redirectUrl: `${origin}/callback`, name });
  const owner = org ? `the organization ${org}` : 'your account';
  const page = manifestPage({ action: `${endpoints.newAppPage}?state=${state}`, manifest, owner });
  const headers = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${new URL(endpoints.web).origin}; frame-ancestors 'none'`,
  };

  let used = false;
  let settle!: { resolve: (v: Awaited<GithubSetup['done']>) => void; reject: (e: unknown) => void };
  const done = new Promise<Awaited<GithubSetup['done']>>((resolve, reject) => (settle = { resolve, reject }));
  // the caller awaits it after printing the page's address: an early failure is not "unhandled"
  done.catch(() => undefined);
  const finish = () => {
    clearTimeout(timer);
    server.close();
    server.closeAllConnections();
  };
  const timer = setTimeout(() => {
    finish();
    const waited = o.timeout ?? DEFAULT_TIMEOUT;
    const text = `no answer from GitHub within ${waited}: nothing was registered here or written; run gantry setup github again`;
    settle.reject(new GantryError('TIMED_OUT', text));
  }, timeoutMs);

  server.on('request', (req, res) => {
    const answer = (status: number, html: string, after?: () => void) => {
      res.writeHead(status, headers).end(html, after);
    };
    // a page reached under another name is DNS rebinding: another site must not read the state
    if (req.headers.host !== `127.0.0.1:${bound}`) return answer(400, resultPage({ ok: false, lines: [`Open ${origin}/ instead.`] }));
    if (req.method !== 'GET') return answer(405, resultPage({ ok: false, lines: ['Only GET is served here.'] }));
    const target = new URL(req.url ?? '/', origin);
    if (target.pathname === '/') return answer(200, page);
    if (target.pathname !== '/callback') return answer(404, resultPage({ ok: false, lines: ['Nothing here.'] }));
    const refusal = checkCallback(target.searchParams, state, used);
    if (refusal) return answer(refusal.status, resultPage({ ok: false, lines: [refusal.text] }));
    used = true;
    clearTimeout(timer);
    void convertManifestCode(apiUrl, endpoints.web, target.searchParams.get('code')!)
      .then((registered) => {
        const delivered = deliverOrSayWhere(registered, dest);
        const lines = [
          `Registered the GitHub App "${registered.name}" (id ${registered.id}): ${registered.htmlUrl}`,
          ...delivered.lines,
          `Install it on the repositories gantry builds: ${registered.htmlUrl}/installations/new`,
          ...(githubUrl ? [`GitHub Enterprise Server: set GITHUB_API_URL=${endpoints.api} too.`] : []),
        ];
        answer(200, resultPage({ ok: true, lines }), finish);
        settle.resolve({ lines, printed: delivered.printed });
      })
      .catch((e: unknown) => {
        const text = e instanceof Error ? e.message : String(e);
        answer(502, resultPage({ ok: false, lines: [text] }), finish);
        settle.reject(e);
      });
  });
  return { pageUrl: `${origin}/`, done };
}

/**
 * The credentials exist only in this answer: when they cannot be stored (the env file changed
 * meanwhile, a full disk), the error says that the app exists and how to get new ones.
 */
function deliverOrSayWhere(registered: RegisteredApp, dest: Destination): ReturnType<typeof deliverCredentials> {
  try {
    return deliverCredentials(registered, dest, new Date());
  } catch (e) {
    const what = e instanceof Error ? e.message : String(e);
    const where = `The app exists on GitHub (${registered.htmlUrl}): generate a private key and a webhook secret in its settings, or delete it and run again.`;
    throw new GantryError(isGantryError(e) ? e.code : 'INTERNAL', `${what.replace(/\.?$/, '.')} ${where}`, { cause: e });
  }
}

/** Why a redirect is refused (status and text), or undefined when it is the one this run waits for. */
function checkCallback(params: URLSearchParams, state: string, used: boolean): { status: number; text: string } | undefined {
  if (used) {
    return { status: 409, text: 'This setup already received its answer from GitHub: nothing changed. Run gantry setup github again for another app.' };
  }
  const states = params.getAll('state');
  if (states.length !== 1 || !sameSecret(states[0]!, state)) {
    return { status: 400, text: 'The state does not match the page this setup served: the request did not come from it. Nothing was written.' };
  }
  const codes = params.getAll('code');
  if (codes.length !== 1 || !isManifestCode(codes[0]!)) return { status: 400, text: 'The code is missing or malformed. Nothing was written.' };
  return undefined;
}

/** Constant-time comparison of any two strings (their digests have the same length). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new GantryError('COMMAND_USAGE', '--port must be a port number (0: any free port)');
  return Number(text);
}

function parseTimeout(text: string): number {
  try {
    const ms = parseDuration(text);
    if (ms > 0) return ms;
  } catch {
    // said below, as a usage error
  }
  throw new GantryError('COMMAND_USAGE', '--timeout must be a duration such as 10m or 90s');
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new GantryError('INPUT_INVALID', `cannot serve the setup page on 127.0.0.1:${port}: ${e.code ?? e.message}`)),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
}

/** `gantry setup github`: the page's address, then what happened. With --print, only the credentials go to standard output. */
export async function setupGithubCommand(o: GithubSetupOptions): Promise<number> {
  const say = (line: string) => (o.print ? process.stderr : process.stdout).write(`${line}\n`);
  const setup = await startGithubSetup(o);
  say(`Open ${setup.pageUrl} in a browser on this machine to register the GitHub App (waiting ${o.timeout ?? DEFAULT_TIMEOUT}).`);
  if (o.open) openBrowser(setup.pageUrl, say);
  const result = await setup.done;
  if (result.printed !== undefined) process.stdout.write(result.printed);
  for (const line of result.lines) say(line);
  return 0;
}

/** --open: the platform's opener; failing to start it only means the user opens the page. */
function openBrowser(url: string, say: (line: string) => void): void {
  const openers: Partial<Record<NodeJS.Platform, [string, string[]]>> = { darwin: ['open', [url]], win32: ['cmd', ['/c', 'start', '', url]] };
  const [cmd, args] = openers[process.platform] ?? ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => say(`Could not start ${cmd}: open the page yourself.`));
  child.unref();
}
