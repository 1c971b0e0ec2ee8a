import { createHmac, generateKeyPairSync } from 'node:crypto';
import { chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ensureLocalDeployRepo } from '../../src/runtime/local.js';
import { run, type ExecResult } from '../../src/util/exec.js';
import { defaultConfigData, EXAMPLES, ROOT } from '../support/harness.js';
import { until } from '../support/processes.js';
import { docker, SKIP_IMAGE_TESTS, testImages, type Images } from './fixture.js';

const UID = 10001;
const WEBHOOK_SECRET = 'compose-webhook-secret';
const API_TOKEN = 'compose-api-token-0123456789abcdef';

/**
 * compose.yaml as shipped, on the suite's dockerd, with a test override for what a trial gets
 * elsewhere: the images built here, and a deploy repo bind-mounted from this machine.
 *
 * The network: the suite's dockerd runs without a default bridge, iptables rules or userland
 * proxy, so a published port is never forwarded to the host. The project's own network (a
 * user-defined bridge compose creates) still works: Docker gives it a Linux bridge with the
 * gateway address on the host, so the host reaches a container at its IP on it, and containers
 * find each other by service name through Docker's embedded DNS. The test talks to web there.
 */
describe.skipIf(SKIP_IMAGE_TESTS)('compose.yaml: web, worker and Redis', () => {
  let img: Images;
  let dir: string;
  let bare: string;
  const project = `gantry-compose-${process.pid}`;

  const compose = (args: string[], input?: string, timeoutMs = 120_000): Promise<ExecResult> =>
    run('docker-compose', ['--project-directory', dir, '-p', project, '-f', path.join(ROOT, 'compose.yaml'), '-f', path.join(dir, 'compose.test.yaml'), ...args], {
      env: {
        ...process.env,
        DOCKER_HOST: img.dockerHost,
        GANTRY_IMAGE: img.gantry,
        GANTRY_REDIS_IMAGE: img.redis,
        GANTRY_CONFIG_DIR: path.join(dir, 'config'),
        DOCKER_SOCKET: img.dockerHost.replace(/^unix:\/\//, ''),
        DOCKER_GID: String(statSync(img.dockerHost.replace(/^unix:\/\//, '')).gid),
      },
      timeoutMs,
      ...(input !== undefined ? { input } : {}),
    });
  const must = async (args: string[], input?: string): Promise<string> => {
    const r = await compose(args, input);
    if (r.code !== 0) throw new Error(`docker-compose ${args.join(' ')} failed (${r.code}): ${r.stderr.trim().slice(-2000)}\n${r.stdout.slice(-2000)}`);
    return r.stdout;
  };
  /** web's address on the project network (see above), and when its container started */
  const webContainer = async () => {
    const id = (await must(['ps', '-q', 'web'])).trim();
    const [ip, started] = (await docker(img.dockerHost, ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}} {{.State.StartedAt}}', id])).stdout.trim().split(' ');
    return { id, base: `http://${ip}:3000`, startedAt: Date.parse(started!) };
  };
  /** `up -d`, then /readyz 200: returns web's base URL and how long after its start it turned ready */
  const up = async () => {
    await must(['up', '-d']);
    const web = await webContainer();
    await until(() => fetch(`${web.base}/readyz`).then((r) => r.status === 200, () => false), 'web /readyz 200', 90_000, 50).catch(async (e: Error) => {
      throw new Error(`${e.message}; logs:\n${(await compose(['logs', '--tail', '30'])).stdout}`);
    });
    return { ...web, coldStartMs: Date.now() - web.startedAt };
  };
  const shell = async (as: string, commands: string) => must(['exec', '-T', 'web', 'gantry', 'shell', '--as', as], commands);
  const deployLog = async () => (await run('git', ['-c', 'safe.directory=*', '-C', bare, 'log', '-1', '--format=%B', 'main'])).stdout;

  beforeAll(async () => {
    img = await testImages();
    console.log(`image fixtures (ms): ${JSON.stringify(img.timings)}`);
    dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-compose-'));
    // the deploy repo lives on this machine and is pushed to by the container's user
    bare = path.join(dir, 'deploy.git');
    await ensureLocalDeployRepo(bare, 'main', EXAMPLES);
    chownTree(bare, UID);
    const config = defaultConfigData();
    config.deployRepo.url = '/srv/deploy.git';
    // no GitHub here: without a source repo no GitHub Deployment is attempted (each failing attempt
    // would hold its promotion's reply for the 5 s bound, and fill the logs the test reads)
    delete config.apps.web.source;
    mkdirSync(path.join(dir, 'config'));
    writeFileSync(path.join(dir, 'config', 'default.yml'), stringify(config));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    writeFileSync(path.join(dir, '.env'), [
      'GITHUB_APP_ID=12345',
      // one line, as env files need it: gantry turns the \n escapes back into newlines
      `GITHUB_PRIVATE_KEY=${privateKey.trim().replace(/\n/g, '\\n')}`,
      `GITHUB_WEBHOOK_SECRET=${WEBHOOK_SECRET}`,
      `GANTRY_API_TOKEN=${API_TOKEN}`,
      // the failed-delivery sweep would call GitHub, which no test reaches
      'GANTRY_REDELIVER_EVERY=off',
      'LOG_LEVEL=warn',
      '',
    ].join('\n'));
    const deployRepo = `${bare}:/srv/deploy.git`;
    writeFileSync(path.join(dir, 'compose.test.yaml'), stringify({
      services: { web: { volumes: [deployRepo] }, worker: { volumes: [deployRepo] } },
    }));
  }, 1_200_000);

  afterAll(async () => {
    if (dir) {
      await compose(['down', '-v', '--timeout', '5']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('comes up ready, takes a signed webhook, registers a release, promotes through the shell, and keeps it all across down/up', async () => {
    // where the time goes, for the CI budget
    const steps: string[] = [];
    let mark = Date.now();
    const step = (name: string) => {
      steps.push(`${name} ${Date.now() - mark}`);
      mark = Date.now();
    };
    const first = await up();
    step('up');
    const rss = (await docker(img.dockerHost, ['exec', first.id, 'sh', '-c', 'grep VmRSS /proc/$(cat /proc/1/task/1/children | cut -d" " -f1)/status'])).stdout;
    const size = JSON.parse((await docker(img.dockerHost, ['image', 'inspect', img.gantry])).stdout)[0].Size as number;
    console.log(`gantry web: cold start to /readyz 200 ${first.coldStartMs} ms; idle ${rss.trim().replace(/\s+/g, ' ')}; image ${(size / 1e6).toFixed(1)} MB`);

    // the dashboard ships with the image: sign-in page and stylesheet (assets/) are served
    const signIn = await fetch(`${first.base}/login`);
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${first.base}/assets/gantry.css`)).status).toBe(200);

    const body = JSON.stringify({ zen: 'Design for failure.', hook_id: 1, hook: { type: 'App', id: 1, events: [] } });
    const webhook = (secret: string, id: string) =>
      fetch(`${first.base}/api/github/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': id, 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
        body,
      }).then((r) => r.status);
    expect(await webhook(WEBHOOK_SECRET, 'compose-1')).toBe(200);
    expect(await webhook('forged', 'compose-2')).toBe(400);

    const release = await fetch(`${first.base}/api/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ app: 'web', version: 'v1.3.0', images: { web: 'registry.example.com/acme/web:v1.3.0' } }),
    });
    expect(release.status, await release.clone().text()).toBe(201);

    // the shell in the web container enqueues; the worker container commits and pushes
    step('webhook+release');
    expect(await shell('alice', '/promote v1.3.0 qa\n')).toMatch(/^promoted web v1\.3\.0 to qa/m);
    step('promote');
    const commit = await deployLog();
    expect(commit).toMatch(/^Gantry-Version: v1\.3\.0$/m);
    expect(commit).toMatch(/^Gantry-Environment: qa$/m);
    expect(commit).toMatch(/^Gantry-Requested-By: shell:alice/m);

    await must(['down', '--timeout', '10']);
    step('down');
    const second = await up();
    step('up again');
    console.log(`gantry web after down/up: /readyz 200 ${second.coldStartMs} ms after start`);
    // the release came back from Redis's AOF on its volume, the history from the deploy repo
    const after = await shell('bob', '/releases web\n/history qa\n');
    expect(after).toMatch(/v1\.3\.0/);
    expect(after).toMatch(/promote.*v1\.3\.0.*alice|alice.*v1\.3\.0/);
    step('shell');
    console.log(`compose steps (ms): ${steps.join(', ')}`);
  }, 600_000);
});

function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid);
    else chownSync(p, uid, uid);
  }
}
