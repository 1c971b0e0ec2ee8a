import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import nock from 'nock';
import { parse } from 'yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGithubSetup, type GithubSetupOptions } from '../../src/cli/setup-github.js';
import { resolveEnvFiles } from '../../src/config/env-files.js';
import { readGithubEnv } from '../../src/github/env.js';
import { tempDir } from '../support/env.js';
import { ROOT } from '../support/harness.js';
import { formOf } from './setup-github-helpers.js';

/**
 * `gantry setup github` in-process: the page is a real server on 127.0.0.1 requested with fetch;
 * GitHub's conversion endpoint is nock with the documented 201 answer
 * (test/fixtures/github/app-manifest-conversion.json, from GitHub's REST reference) and the
 * documented 404 and 422 bodies. A mock left unused, or a request no mock matches, fails the test.
 */
const CONVERSION = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/github/app-manifest-conversion.json'), 'utf8')) as Record<string, any>;
const APP_YML = parse(readFileSync(path.join(ROOT, 'app.yml'), 'utf8')) as Record<string, any>;
const DOCS = 'https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest';
const ENV_BEFORE = '# gantry\nREDIS_URL=redis://127.0.0.1:6379\n\n# GitHub App\nGITHUB_APP_ID=\nSLACK_BOT_TOKEN=xoxb-keep-me # a comment\n';

describe('gantry setup github (manifest flow, in-process)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let envFile: string;
  const pending: Promise<unknown>[] = [];

  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => {
    tmp = tempDir('setup-github');
    envFile = path.join(tmp.dir, '.env');
  });
  afterEach(async () => {
    await Promise.allSettled(pending.splice(0));
    const left = nock.pendingMocks();
    nock.cleanAll();
    tmp.remove();
    expect(left).toEqual([]);
  });

  /** Starts the flow; `done` is awaited by the test or, failing that, settled in afterEach. */
  const start = async (o: Partial<GithubSetupOptions> = {}) => {
    const setup = await startGithubSetup({ url: 'https://gantry.example.com', writeEnv: envFile, timeout: '30s', ...o });
    pending.push(setup.done);
    const page = await fetch(setup.pageUrl);
    expect(page.status).toBe(200);
    const form = formOf(await page.text());
    const callback = (query: string) => fetch(`${setup.pageUrl}callback?${query}`);
    return { ...setup, page, form, callback };
  };
  const api = (base = 'https://api.github.com') => nock(base, { badheaders: ['authorization'] });
  const filesInDir = () => readdirSync(tmp.dir).sort();

  it('serves the manifest of app.yml, converts the code GitHub redirects with, and merges the credentials into the env file', async () => {
    writeFileSync(envFile, ENV_BEFORE, { mode: 0o644 });
    const flow = await start();
    expect(flow.page.headers.get('content-security-policy')).toContain('form-action https://github.com');
    expect(flow.form.action.origin + flow.form.action.pathname).toBe('https://github.com/settings/apps/new');
    const state = flow.form.action.searchParams.get('state')!;
    expect(state).toMatch(/^[\w-]{43}$/);
    expect(flow.form.manifest).toEqual({
      name: 'gantry',
      url: 'https://gantry.example.com',
      description: APP_YML.description,
      hook_attributes: { url: 'https://gantry.example.com/api/github/webhooks', active: true },
      redirect_url: `${flow.pageUrl}callback`,
      // "Sign in with GitHub" on the dashboard comes back here
      callback_urls: ['https://gantry.example.com/login/github/callback'],
      public: false,
      default_permissions: APP_YML.default_permissions,
      default_events: APP_YML.default_events,
    });

    api().post('/app-manifests/a1b2c3d4e5/conversions').reply(201, CONVERSION);
    const res = await flow.callback(`code=a1b2c3d4e5&state=${state}`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('https://github.com/apps/octoapp/installations/new');
    expect(html).not.toContain(CONVERSION.webhook_secret);
    const result = await flow.done;
    expect(result.printed).toBeUndefined();
    expect(result.lines.join('\n')).not.toContain(CONVERSION.webhook_secret);
    expect(result.lines.at(-1)).toBe('Install it on the repositories gantry builds: https://github.com/apps/octoapp/installations/new');

    const keyFile = path.join(tmp.dir, 'github-app-1.private-key.pem');
    const written = readFileSync(envFile, 'utf8');
    // unrelated lines and comments kept byte for byte; the empty placeholder filled where it stood
    expect(written.split('\n').slice(0, 5)).toEqual(['# gantry', 'REDIS_URL=redis://127.0.0.1:6379', '', '# GitHub App', 'GITHUB_APP_ID=1']);
    expect(written).toContain('SLACK_BOT_TOKEN=xoxb-keep-me # a comment\n');
    expect(written).toMatch(new RegExp(`\\n# GitHub App "Octocat App" \\(id 1\\), registered by gantry setup github on [^\\n]+\\nGITHUB_PRIVATE_KEY_FILE=${keyFile}\\nGITHUB_WEBHOOK_SECRET=${CONVERSION.webhook_secret}\\nGITHUB_CLIENT_ID=${CONVERSION.client_id}\\nGITHUB_CLIENT_SECRET=${CONVERSION.client_secret}\\n$`));
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(filesInDir()).toEqual(['.env', 'github-app-1.private-key.pem']);

    expect(readFileSync(keyFile, 'utf8')).toBe(CONVERSION.pem);

    // what gantry itself then reads from that file (a secret file's trailing newline is dropped)
    const env: NodeJS.ProcessEnv = { ...parseEnv(written) };
    resolveEnvFiles(env);
    expect(readGithubEnv(env)).toMatchObject({ appId: 1, privateKey: CONVERSION.pem.trimEnd(), webhookSecret: CONVERSION.webhook_secret });

    // the page is gone: nothing listens for a second redirect
    await expect(flow.callback(`code=a1b2c3d4e5&state=${state}`)).rejects.toThrow();
  });

  it('refuses a wrong, missing or repeated state and a malformed code with 400, writing nothing, then still takes the right one', async () => {
    writeFileSync(envFile, ENV_BEFORE);
    const flow = await start();
    const state = flow.form.action.searchParams.get('state')!;
    for (const query of ['code=abc', `code=abc&state=${state}x`, `code=abc&state=${state.slice(0, -1)}`, `code=abc&state=${state}&state=${state}`, `state=${state}`, `code=a%2Fb&state=${state}`, `code=abc&code=def&state=${state}`]) {
      const res = await flow.callback(query);
      expect(res.status, query).toBe(400);
      expect(await res.text()).toContain('Nothing was written.');
    }
    expect(readFileSync(envFile, 'utf8')).toBe(ENV_BEFORE);
    expect(filesInDir()).toEqual(['.env']);

    // single use: a second redirect while the first is being converted is refused, and GitHub is asked once
    api().post('/app-manifests/abc/conversions').delay(300).reply(201, CONVERSION);
    const first = flow.callback(`code=abc&state=${state}`);
    await new Promise((r) => setTimeout(r, 100));
    const second = await flow.callback(`code=other&state=${state}`);
    expect(second.status).toBe(409);
    expect((await first).status).toBe(200);
    await flow.done;
    expect(filesInDir()).toEqual(['.env', 'github-app-1.private-key.pem']);
  });

  it.each([
    [404, { message: 'Not Found', documentation_url: DOCS, status: '404' }, /answered 404: "Not Found"; the code is unknown, already used or expired/],
    [422, { message: 'Validation Failed', errors: [{ resource: 'Integration', code: 'custom', message: 'Name is already in use' }], documentation_url: DOCS, status: '422' }, /answered 422: "Validation Failed"; GitHub refused the conversion/],
  ])('GitHub answering %i is a clear error and writes nothing', async (status, body, said) => {
    writeFileSync(envFile, ENV_BEFORE);
    const flow = await start();
    api().post('/app-manifests/c0ffee/conversions').reply(status, body);
    const res = await flow.callback(`code=c0ffee&state=${flow.form.action.searchParams.get('state')}`);
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('Nothing was written.');
    await expect(flow.done).rejects.toMatchObject({ code: 'GITHUB_API_FAILED', message: expect.stringMatching(said) });
    expect(readFileSync(envFile, 'utf8')).toBe(ENV_BEFORE);
    expect(filesInDir()).toEqual(['.env']);
  });

  it('refuses an answer that is not what GitHub documents (no webhook secret, a key that is no key, an app page elsewhere), writing nothing', async () => {
    const answer = (change: Record<string, unknown>) => JSON.stringify({ ...CONVERSION, ...change });
    const bad: [string, RegExp][] = [
      [answer({ webhook_secret: null }), /webhook_secret/],
      [answer({ pem: '-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n' }), /pem is not an RSA private key/],
      [answer({ html_url: 'https://evil.example/apps/octoapp' }), /html_url is not on https:\/\/github.com/],
      [answer({ id: '1; rm -rf /' }), /id: /],
      [answer({ name: 'line\nbreak' }).replace(/^\{/, '{"__proto__":{"polluted":true},'), /name: must be a line of text/],
      ['<html>rate limited</html>', /not JSON/],
    ];
    for (const [body, said] of bad) {
      const flow = await start();
      api().post('/app-manifests/beef/conversions').reply(201, body);
      const res = await flow.callback(`code=beef&state=${flow.form.action.searchParams.get('state')}`);
      expect(res.status).toBe(502);
      await expect(flow.done).rejects.toMatchObject({ code: 'GITHUB_API_FAILED', message: expect.stringMatching(said) });
      expect(filesInDir()).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it('refuses up front an env file that already sets the app (under any name), and replaces it with --force', async () => {
    const before = 'APP_ID=7\nGITHUB_PRIVATE_KEY="-----BEGIN RSA PRIVATE KEY-----\nold\n-----END RSA PRIVATE KEY-----"\nGITHUB_WEBHOOK_SECRET=old-secret\nKEEP=1\n';
    writeFileSync(envFile, before);
    const refused = startGithubSetup({ url: 'https://gantry.example.com', writeEnv: envFile });
    await expect(refused).rejects.toMatchObject({ code: 'INPUT_INVALID', message: `${envFile} already sets APP_ID, GITHUB_PRIVATE_KEY, GITHUB_WEBHOOK_SECRET: nothing was written (--force replaces them)` });
    await expect(refused).rejects.not.toMatchObject({ message: expect.stringContaining('old-secret') });

    const flow = await start({ force: true });
    api().post('/app-manifests/f00d/conversions').reply(201, CONVERSION);
    expect((await flow.callback(`code=f00d&state=${flow.form.action.searchParams.get('state')}`)).status).toBe(200);
    await flow.done;
    const keyFile = path.join(tmp.dir, 'github-app-1.private-key.pem');
    // replaced where they stood; the OAuth client, new to this file, appended under a header
    expect(readFileSync(envFile, 'utf8')).toMatch(
      new RegExp(
        `^GITHUB_APP_ID=1\\nGITHUB_PRIVATE_KEY_FILE=${keyFile}\\nGITHUB_WEBHOOK_SECRET=${CONVERSION.webhook_secret}\\nKEEP=1\\n\\n# GitHub App "Octocat App" \\(id 1\\)[^\\n]+\\nGITHUB_CLIENT_ID=${CONVERSION.client_id}\\nGITHUB_CLIENT_SECRET=${CONVERSION.client_secret}\\n$`,
      ),
    );
  });

  it('an env file that gained the variables meanwhile is refused after the conversion too, saying the app exists', async () => {
    writeFileSync(envFile, ENV_BEFORE);
    const flow = await start();
    writeFileSync(envFile, 'GITHUB_WEBHOOK_SECRET=set-meanwhile\n');
    api().post('/app-manifests/0ddba11/conversions').reply(201, CONVERSION);
    expect((await flow.callback(`code=0ddba11&state=${flow.form.action.searchParams.get('state')}`)).status).toBe(502);
    await expect(flow.done).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: `${envFile} already sets GITHUB_WEBHOOK_SECRET: nothing was written (--force replaces them). The app exists on GitHub (https://github.com/apps/octoapp): generate a private key and a webhook secret in its settings, or delete it and run again.`,
    });
    expect(readFileSync(envFile, 'utf8')).toBe('GITHUB_WEBHOOK_SECRET=set-meanwhile\n');
    expect(filesInDir()).toEqual(['.env']);
  });

  it('--print gives the credentials as env lines gantry reads, and writes no file', async () => {
    const flow = await start({ print: true, writeEnv: undefined });
    api().post('/app-manifests/d00d/conversions').reply(201, CONVERSION);
    expect((await flow.callback(`code=d00d&state=${flow.form.action.searchParams.get('state')}`)).status).toBe(200);
    const { printed, lines } = await flow.done;
    expect(lines.join('\n')).toContain('printed on standard output; nothing was written');
    const env: NodeJS.ProcessEnv = { ...parseEnv(printed!) };
    expect(readGithubEnv(env)).toMatchObject({ appId: 1, privateKey: CONVERSION.pem, webhookSecret: CONVERSION.webhook_secret });
    expect(printed!.trimEnd().split('\n')).toHaveLength(5);
    expect(printed).toContain(`GITHUB_CLIENT_ID=${CONVERSION.client_id}\nGITHUB_CLIENT_SECRET=${CONVERSION.client_secret}\n`);
    expect(filesInDir()).toEqual([]);
  });

  it('GitHub Enterprise Server and an organization: the form posts to the org page of that host, the code is converted at <host>/api/v3', async () => {
    const flow = await start({ githubUrl: 'https://ghe.example.com/', org: 'acme', name: 'gantry-prod' });
    expect(flow.form.action.origin + flow.form.action.pathname).toBe('https://ghe.example.com/organizations/acme/settings/apps/new');
    expect(flow.form.manifest.name).toBe('gantry-prod');
    api('https://ghe.example.com').post('/api/v3/app-manifests/e1e1/conversions').reply(201, { ...CONVERSION, html_url: 'https://ghe.example.com/github-apps/octoapp' });
    expect((await flow.callback(`code=e1e1&state=${flow.form.action.searchParams.get('state')}`)).status).toBe(200);
    const { lines } = await flow.done;
    expect(lines).toContain('Install it on the repositories gantry builds: https://ghe.example.com/github-apps/octoapp/installations/new');
    expect(lines.at(-1)).toBe('GitHub Enterprise Server: set GITHUB_API_URL=https://ghe.example.com/api/v3 too.');
    expect(existsSync(path.join(tmp.dir, 'github-app-1.private-key.pem'))).toBe(true);
  });
});
