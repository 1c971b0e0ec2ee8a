import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellActor } from '../../src/chat/shell/shell.js';
import { execute } from '../../src/commands/execute.js';
import type { StoredEvent } from '../../src/notify/events.js';
import { NOTIFY_QUEUE } from '../../src/notify/delivery.js';
import { DEPLOY_QUEUE } from '../../src/queue/deploy-queue.js';
import type { FollowedDeploy } from '../../src/rollout/store.js';
import { createGantry, type Gantry } from '../../src/runtime/gantry.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { silentLogger } from '../../src/util/logger.js';
import { privateKey } from '../github/github-env.js';
import { redisUrl } from '../support/env.js';
import { deploymentsResponder } from '../support/github-deployments.js';
import { makeWorld, spawnGantry, until, type Spawned, type World } from '../support/processes.js';
import { startRecorder, type Recorded } from '../support/recorder.js';
import { said } from '../support/said.js';
import { argoBody, fluxBody as fluxEvent, fluxSignature } from './payloads.js';

const FLUX_SECRET = 'flux-restart-hmac-0123456789abcdef';
const ARGO_TOKEN = 'argocd-restart-token-0123456789abcdef';
const QA_URL = 'https://qa.acme.example';
const sha = (n: number) => n.toString(16).padStart(40, 'e');

/** The recorded Flux event, for qa's Kustomization reconciled at `at` to `commit`. */
const fluxBody = (commit: string, at: Date) => fluxEvent('web-qa', commit, at);
/** `X-Signature` as Flux's generic-hmac Provider signs. */
const sign = (body: string, secret = FLUX_SECRET, hash = 'sha256') => fluxSignature(body, secret, hash);

/**
 * Issue 12 with real processes: spawned `gantry web` (the Flux and Argo CD receivers) and `gantry
 * worker` (deploys, notifications, the rollout watch) on one Redis, killed with -9 and started
 * again. What a deploy waits for is in Redis: an event that reaches a new web still settles it,
 * a timeout still fires in a new worker, and the GitHub Deployment follows either way.
 */
describe('following a deploy across kill -9 of gantry web and gantry worker', () => {
  let world: World;
  let asker: Gantry;
  let github: Awaited<ReturnType<typeof startRecorder>>;
  const spawned: Spawned[] = [];
  const events: StoredEvent[] = [];
  let unsubscribe: (() => Promise<void>) | undefined;
  /** GitHub Deployment id → the version it records */
  const deploymentOf = new Map<number, string>();
  let web: { base: string; proc: Spawned };
  let worker: Spawned;
  /** GitHub takes its time to create the Deployment of this version, until `open()` */
  const slowGithub = (() => {
    let open = () => {};
    const until = new Promise<void>((r) => (open = r));
    return { version: 'v1.0.5', until, open: () => open() };
  })();

  beforeAll(async () => {
    world = await makeWorld('rollout-restart', (d) => {
      d.environments.qa.rollout = { flux: { kind: 'Kustomization', namespace: 'flux-system', name: 'web-qa' }, timeout: '3s' };
      d.environments.qa.url = QA_URL;
      // /status of the in-test gantry reads the deploy repo as the spawned worker just pushed it
      d.deployRepo.refreshInterval = '0s';
      d.environments.prod.rollout = { argocd: { application: 'web-prod', namespace: 'argocd' } };
      // prod straight from a lead, so the Argo CD receiver has a deploy to speak for
      delete d.environments.prod.from;
      delete d.environments.prod.approvals;
    });
    asker = createGantry({ config: world.config, redisUrl: redisUrl(), prefix: world.prefix, workdir: path.join(world.dir, 'asker'), log: silentLogger });
    github = await startRecorder(
      deploymentsResponder({
        created: async (id, r) => {
          deploymentOf.set(id, r.body.payload.version);
          if (r.body.payload.version === slowGithub.version) await slowGithub.until;
        },
      }),
    );
    for (let n = 1; n <= 5; n++) {
      const version = `v1.0.${n}`;
      await asker.core.releases.add({ app: 'web', version, builtAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(), commit: sha(n), images: { web: { repository: 'registry.example.com/acme/web', tag: version } } });
    }
    unsubscribe = await asker.core.bus.subscribe(new Redis(redisUrl()), (e) => events.push(e));
    web = await startWeb('web-1');
    worker = await startWorker('worker-1');
  }, 60_000);

  afterAll(async () => {
    slowGithub.open();
    await Promise.all(spawned.map((s) => s.kill9()));
    await unsubscribe?.();
    await asker?.close();
    await github?.close();
    await world?.close();
  });

  /** one environment for every process, as one deployment would give them */
  const env = (extra: Record<string, string> = {}) =>
    world.env({
      GITHUB_APP_ID: '1',
      GITHUB_PRIVATE_KEY: privateKey(),
      GITHUB_WEBHOOK_SECRET: 'rollout-restart-secret',
      GITHUB_API_URL: github.url,
      GANTRY_REDELIVER_EVERY: 'off',
      GANTRY_FLUX_WEBHOOK_SECRET: FLUX_SECRET,
      GANTRY_ARGOCD_WEBHOOK_TOKEN: ARGO_TOKEN,
      GANTRY_ROLLOUT_WATCH: '500ms',
      ...extra,
    });
  async function startWeb(name: string): Promise<{ base: string; proc: Spawned }> {
    const port = await freePort();
    const proc = spawnGantry(['web'], { cwd: path.join(world.dir, name), env: env({ PORT: String(port) }) });
    spawned.push(proc);
    const base = `http://127.0.0.1:${port}`;
    await until(() => fetch(`${base}/healthz`).then((r) => r.ok, () => false), () => `gantry web (${name}) up:\n${proc.output()}`, 30_000);
    return { base, proc };
  }
  async function startWorker(name: string): Promise<Spawned> {
    const before = (await asker.queueHandle(DEPLOY_QUEUE).getWorkers()).length;
    const proc = spawnGantry(['worker'], { cwd: path.join(world.dir, name), env: env() });
    spawned.push(proc);
    const serving = async () => (await asker.queueHandle(DEPLOY_QUEUE).getWorkers()).length > before;
    await until(serving, () => `gantry worker (${name}) serving:\n${proc.output()}`, 30_000);
    return proc;
  }

  const run = async (line: string) => said(await execute(asker.core, line, { actor: shellActor(asker.core, 'alice') }));
  /** promotes through the spawned worker; the followed deploy it made */
  const promote = async (version: string, envName: string): Promise<FollowedDeploy> => {
    const reply = await run(`/promote ${version} ${envName}`);
    expect(reply.text, reply.text).toMatch(new RegExp(`^promoted web ${version.replace(/\./g, '\\.')} to ${envName}`));
    const followed = await asker.core.rollouts.get(`web:${envName}:${await world.head()}`);
    expect(followed, `${version} in ${envName} is followed`).toMatchObject({ version, state: 'committed' });
    return followed!;
  };
  const stateOf = async (d: FollowedDeploy) => (await asker.core.rollouts.get(d.id))?.state;
  /** the statuses GitHub got for the Deployment of `version`, in order */
  const statuses = (version: string): Recorded[] =>
    github.calls.filter((c) => {
      const m = /^\/repos\/acme\/web\/deployments\/(\d+)\/statuses$/.exec(c.path);
      return m !== null && deploymentOf.get(Number(m[1])) === version;
    });
  const statesOf = (version: string) => statuses(version).map((c) => c.body.state as string);
  const untilStatus = (version: string, state: string, ms = 20_000) =>
    until(
      () => statesOf(version).includes(state),
      () => `GitHub status ${state} for ${version}; got [${statesOf(version).join(', ')}]\nworker: ${worker.output().slice(-1500)}`,
      ms,
    );
  const status = async () => (await run('/status web qa')).text;
  const post = (url: string, body: string, headers: Record<string, string>) =>
    fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(5000) });
  const postFlux = (base: string, body: string, headers: Record<string, string>) =>
    post(`${base}/rollout/flux`, body, { 'gotk-component': 'kustomize-controller', ...headers });
  const postArgo = (base: string, body: string, headers: Record<string, string>) => post(`${base}/rollout/argocd`, body, headers);

  it('a deploy waiting for Flux while web and worker die: the event to the new web makes it live, the new worker tells GitHub', async () => {
    const deploy = await promote('v1.0.1', 'qa');
    await untilStatus('v1.0.1', 'in_progress');
    await Promise.all([web.proc.kill9(), worker.kill9()]);

    web = await startWeb('web-2');
    // Flux reconciled within the 3 s timeout, while gantry was down; its event reaches the new web.
    // (Dated by Flux, in seconds: a moment after the commit, so before the deadline however slow the restart.)
    const reconciled = new Date(Math.floor((Date.parse(deploy.committedAt) + 1000) / 1000) * 1000);
    const body = fluxBody(deploy.commit, reconciled);
    const res = await postFlux(web.base, body, { 'x-signature': sign(body) });
    expect([res.status, await res.json()]).toEqual([200, { accepted: true, phase: 'live' }]);
    expect(await stateOf(deploy)).toBe('live');
    expect(await status()).toMatch(/v1\.0\.1[\s\S]*live and healthy since/);
    // no worker yet: the follow-up waits in the notify queue
    expect(statesOf('v1.0.1')).toEqual(['in_progress']);

    worker = await startWorker('worker-2');
    await untilStatus('v1.0.1', 'success');
    expect(statesOf('v1.0.1')).toEqual(['in_progress', 'success']);
    expect(statuses('v1.0.1')[1]!.body).toMatchObject({ environment_url: QA_URL, description: expect.stringMatching(/live and healthy/) });
    expect(events.filter((e) => e.type === 'rolled-out' && e.rollout.deploy === deploy.id)).toHaveLength(1);
    expect(await stateOf(deploy)).toBe('live'); // the new worker's watch leaves a settled deploy alone
  }, 90_000);

  /** waits for the timeout of `deploy` and checks everything that tells of it */
  const timedOut = async (deploy: FollowedDeploy, version: string) => {
    await until(async () => (await stateOf(deploy)) === 'timedOut', () => `${version} timed out\nworker: ${worker.output().slice(-1500)}`, 20_000);
    const d = (await asker.core.rollouts.get(deploy.id))!;
    expect(Date.parse(d.since)).toBeGreaterThanOrEqual(Date.parse(deploy.deadline));
    await untilStatus(version, 'error');
    expect(statesOf(version)).toEqual(['in_progress', 'error']);
    expect(statuses(version)[1]!.body).toMatchObject({ environment_url: QA_URL, description: expect.stringMatching(/not live before the rollout timeout/) });
    expect(await status()).toMatch(new RegExp(`${version.replace(/\./g, '\\.')}[\\s\\S]*timed out: not live before the rollout timeout`));
    const failed = await until(() => events.find((e) => e.type === 'rollout-failed' && e.rollout.deploy === deploy.id), `the rollout-failed event of ${version}`, 5000);
    expect(failed).toMatchObject({ rollout: { state: 'timedOut', version, env: 'qa', commit: deploy.commit } });
  };

  it('nothing from Flux: after the 3 s timeout the deploy is timed out, GitHub gets error, rollout-failed is published', async () => {
    const deploy = await promote('v1.0.2', 'qa');
    await timedOut(deploy, 'v1.0.2');
  }, 60_000);

  it('the timeout still fires when the worker dies before the deadline and starts after it', async () => {
    const deploy = await promote('v1.0.3', 'qa');
    await worker.kill9();
    expect(Date.now()).toBeLessThan(Date.parse(deploy.deadline)); // it really died before the deadline
    // past the deadline with no worker: nobody times it out (web does not run the watch)
    await new Promise((r) => setTimeout(r, Date.parse(deploy.deadline) - Date.now() + 1500));
    expect(await stateOf(deploy)).toBe('committed');
    expect(statesOf('v1.0.3')).toEqual(['in_progress']);
    worker = await startWorker('worker-3');
    await timedOut(deploy, 'v1.0.3');
  }, 60_000);

  it('forged, unsigned and stale requests to both receivers get 401 and change nothing; the genuine ones then do', async () => {
    const qa = (await asker.core.rollouts.latest('web', 'qa'))!;
    expect(qa).toMatchObject({ version: 'v1.0.3', state: 'timedOut' });
    const prod = await promote('v1.0.4', 'prod');
    await untilStatus('v1.0.4', 'in_progress');
    const before = { qa: await asker.core.rollouts.get(qa.id), prod: await asker.core.rollouts.get(prod.id), calls: github.calls.length, events: events.length };

    // a Flux event dated before qa's deadline would still make it live (timedOut gives way to an in-time event)
    const body = fluxBody(qa.commit, new Date(Math.floor(Date.parse(qa.committedAt) / 1000) * 1000 + 1000));
    const old = fluxBody(qa.commit, new Date(Date.now() - 60 * 60_000));
    const fluxForgeries: [string, Record<string, string>][] = [
      [body, {}],
      [body, { 'x-signature': sign(body, 'not-the-flux-secret-0123456789') }],
      [body, { 'x-signature': sign(body, FLUX_SECRET, 'sha1') }],
      [body.replace('web-qa', 'web-qb'), { 'x-signature': sign(body) }],
      [old, { 'x-signature': sign(old) }], // a replay of an hour-old event, signed rightly
    ];
    for (const [b, h] of fluxForgeries) expect((await postFlux(web.base, b, h)).status, JSON.stringify(h)).toBe(401);
    const argo = argoBody(prod.commit, new Date());
    const argoForgeries: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${ARGO_TOKEN}x` },
      { authorization: `Bearer ${ARGO_TOKEN.slice(0, -1)}` },
      { authorization: `Basic ${Buffer.from(`admin:${ARGO_TOKEN}`).toString('base64')}` },
      { authorization: `Bearer ${FLUX_SECRET}` },
    ];
    for (const h of argoForgeries) expect((await postArgo(web.base, argo, h)).status, JSON.stringify(h)).toBe(401);

    await new Promise((r) => setTimeout(r, 1000)); // time for anything a refused request might have set off
    expect({ qa: await asker.core.rollouts.get(qa.id), prod: await asker.core.rollouts.get(prod.id), calls: github.calls.length, events: events.length }).toEqual(before);

    // the same bodies, rightly sent: accepted, so the refusals above were for the forgery alone
    expect((await postFlux(web.base, body, { 'x-signature': sign(body) })).status).toBe(200);
    expect((await postArgo(web.base, argo, { authorization: `Bearer ${ARGO_TOKEN}` })).status).toBe(200);
    expect(await stateOf(qa)).toBe('live');
    expect(await stateOf(prod)).toBe('live');
    await untilStatus('v1.0.4', 'success');
    expect(statesOf('v1.0.4')).toEqual(['in_progress', 'success']);
  }, 60_000);

  it('Flux is faster than GitHub: a deploy live before its Deployment exists still ends as success on GitHub', async () => {
    const before = await world.head();
    const promoted = run('/promote v1.0.5 qa');
    // the worker has committed and follows the deploy, but GitHub has not answered createDeployment yet
    const deploy = await until(async () => {
      const head = await world.head();
      return head !== before ? asker.core.rollouts.get(`web:qa:${head}`) : undefined;
    }, 'v1.0.5 committed and followed', 20_000);
    await until(() => github.calls.some((c) => c.path === '/repos/acme/web/deployments' && c.body.payload?.version === 'v1.0.5'), 'createDeployment of v1.0.5 asked', 20_000);
    const body = fluxBody(deploy.commit, new Date(Math.floor(Date.now() / 1000) * 1000));
    const res = await postFlux(web.base, body, { 'x-signature': sign(body) });
    expect(res.status).toBe(200);
    expect(await stateOf(deploy)).toBe('live');
    // the follow-up of rolled-out has run in the worker (and found no Deployment to move yet)
    const rolledOut = await until(() => events.find((e) => e.type === 'rolled-out' && e.rollout.deploy === deploy.id), 'rolled-out of v1.0.5', 5000);
    const notify = asker.queueHandle(NOTIFY_QUEUE);
    await until(async () => (await notify.getJobState(`${rolledOut.id}~follow-up`)) === 'completed', 'the follow-up of rolled-out done', 15_000);
    slowGithub.open();
    expect((await promoted).text).toMatch(/^promoted web v1\.0\.5 to qa/);
    await untilStatus('v1.0.5', 'success');
    expect(statesOf('v1.0.5')).toEqual(['in_progress', 'success']);
    expect(statuses('v1.0.5')[1]!.body).toMatchObject({ environment_url: QA_URL, description: expect.stringMatching(/live and healthy/) });
  }, 60_000);
});
