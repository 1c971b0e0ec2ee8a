import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parse } from 'yaml';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { MAIN } from '../support/cli.js';
import { tempDir } from '../support/env.js';
import { ROOT } from '../support/harness.js';
import { formOf, spawnSetup, startRecordedGhes } from './setup-github-helpers.js';

const CONVERSION = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/github/app-manifest-conversion.json'), 'utf8')) as Record<string, any>;
const APP_YML = parse(readFileSync(path.join(ROOT, 'app.yml'), 'utf8')) as Record<string, any>;

/** The command as users run it: a real process, its page fetched at the address it prints. */
describe('gantry setup github (process)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
  });
  beforeEach(() => (tmp = tempDir('setup-github-cli')));
  afterEach(() => tmp.remove());
  const gantry = (args: string[]) => run('node', [MAIN, 'setup', 'github', ...args], { cwd: tmp.dir, timeoutMs: 30_000 });

  it.each([
    [[], /required option '--url <url>'/],
    [['--url', 'ftp://gantry.example.com'], /--url must be an http\(s\) URL/],
    [['--url', 'https://user:pw@gantry.example.com'], /without credentials/],
    [['--url', 'https://gantry.example.com', '--print', '--write-env', 'x.env'], /--write-env and --print exclude each other/],
    [['--url', 'https://gantry.example.com', '--port', '70000'], /--port must be a port number/],
    [['--url', 'https://gantry.example.com', '--timeout', 'soon'], /--timeout must be a duration/],
    [['--url', 'https://gantry.example.com', '--org', '../evil'], /--org must be a GitHub organization login/],
    [['--url', 'https://gantry.example.com', '--name', 'x'.repeat(35)], /--name must be 1 to 34/],
  ])('%j is a usage error (exit 2) that starts nothing', async (args, said) => {
    const r = await gantry(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(said);
    expect(r.stderr).toContain('(gantry setup github --help for more)');
    expect(r.stdout).toBe('');
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  it('prints the page address, serves the form on 127.0.0.1 only, refuses a forged redirect, and exits 1 after --timeout', async () => {
    const setup = await spawnSetup(['--url', 'https://gantry.example.com/', '--timeout', '3s', '--write-env', path.join(tmp.dir, 'gantry.env')], tmp.dir);
    const pageUrl = setup.pageUrl;
    const form = formOf(await (await fetch(pageUrl)).text());
    expect(form.action.href).toMatch(/^https:\/\/github\.com\/settings\/apps\/new\?state=[\w-]{43}$/);
    expect(form.manifest).toMatchObject({ hook_attributes: { url: 'https://gantry.example.com/api/github/webhooks' }, redirect_url: `${pageUrl}callback` });
    expect(form.manifest.default_permissions).toEqual(APP_YML.default_permissions);
    expect(form.manifest.default_events).toEqual(APP_YML.default_events);
    expect((await fetch(`${pageUrl}callback?code=abc&state=forged`)).status).toBe(400);
    // the same port under another name (DNS rebinding) gets no page and no state
    const { port } = new URL(pageUrl);
    const rebound = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/', headers: { host: `evil.example:${port}` } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString())).on('end', () => resolve({ status: res.statusCode, body }));
      }).on('error', reject);
    });
    expect(rebound.status).toBe(400);
    expect(rebound.body).not.toContain(form.action.searchParams.get('state'));

    expect(await setup.exited).toBe(1);
    expect(setup.stderr()).toBe('gantry: no answer from GitHub within 3s: nothing was registered here or written; run gantry setup github again\n');
    expect(readdirSync(tmp.dir)).toEqual([]);
  });

  it.each([
    ['writes the env file', [] as string[]],
    ['--print', ['--print']],
  ])('end to end against a recorded GitHub Enterprise Server: %s, says what happened, exits 0', async (_, extra) => {
    const ghes = await startRecordedGhes('5f3e7a', CONVERSION);
    try {
      const setup = await spawnSetup(['--url', 'https://gantry.example.com', '--github-url', ghes.url, '--org', 'acme', ...extra], tmp.dir);
      const form = formOf(await (await fetch(setup.pageUrl)).text());
      expect(form.action.href).toMatch(new RegExp(`^${ghes.url}/organizations/acme/settings/apps/new\\?state=[\\w-]{43}$`));
      // what GitHub does after the user confirmed: the browser follows the redirect_url
      const back = await fetch(`${form.manifest.redirect_url}?code=5f3e7a&state=${form.action.searchParams.get('state')}`);
      expect(back.status).toBe(200);
      expect(await setup.exited).toBe(0);
      expect(ghes.unexpected).toEqual([]);
      const install = `Install it on the repositories gantry builds: ${ghes.url}/github-apps/octoapp/installations/new`;
      if (extra.includes('--print')) {
        // standard output carries the credentials only, so it can go straight to a file
        expect(setup.stdout()).toBe(`GITHUB_APP_ID=1\nGITHUB_WEBHOOK_SECRET=${CONVERSION.webhook_secret}\nGITHUB_PRIVATE_KEY="${CONVERSION.pem.replace(/\n/g, '\\n')}"\nGITHUB_CLIENT_ID=${CONVERSION.client_id}\nGITHUB_CLIENT_SECRET=${CONVERSION.client_secret}\n`);
        expect(setup.stderr()).toContain(install);
        expect(readdirSync(tmp.dir)).toEqual([]);
      } else {
        const out = setup.stdout();
        expect(out).toContain(`Registered the GitHub App "Octocat App" (id 1): ${ghes.url}/github-apps/octoapp\n`);
        expect(out).toContain(install);
        expect(out).toContain(`GitHub Enterprise Server: set GITHUB_API_URL=${ghes.url}/api/v3 too.`);
        expect(out).not.toContain(CONVERSION.webhook_secret);
        expect(setup.stderr()).toBe('');
        expect(readdirSync(tmp.dir).sort()).toEqual(['.env', 'github-app-1.private-key.pem']);
        expect(statSync(path.join(tmp.dir, '.env')).mode & 0o777).toBe(0o600);
        expect(readFileSync(path.join(tmp.dir, '.env'), 'utf8')).toContain(`GITHUB_WEBHOOK_SECRET=${CONVERSION.webhook_secret}\n`);
      }
    } finally {
      await ghes.close();
    }
  });
});
