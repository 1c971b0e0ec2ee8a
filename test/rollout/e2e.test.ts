import type http from 'node:http';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackModule } from '../../src/chat/slack/module.js';
import { rolloutWebRoutes } from '../../src/cli/serve.js';
import { buildImage } from '../../src/images/builder.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import type { StoredEvent } from '../../src/notify/events.js';
import { EmailNotifier } from '../../src/notify/email.js';
import { PagerDutyNotifier } from '../../src/notify/pagerduty.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { busyboxContext, dockerClient, dockerServices, type TestDockerServices } from '../support/docker.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/processes.js';
import { startRecorder, type Recorded } from '../support/recorder.js';
import { startSmtp } from '../support/smtp.js';
import { faceDeps, postSlack, SIGNING_SECRET, slackApi, slashBody } from '../support/slack.js';
import { argoBody, fluxBody, fluxSignature } from './payloads.js';

/**
 * Issue 12 end to end, on the real parts: a real deploy repo, Redis, dockerd running FROM-scratch
 * busybox verification images, signed Flux and Argo CD payloads in their documented shapes posted
 * to gantry web's routes, and local servers standing for PagerDuty's Events API and Slack's Web API.
 *
 * qa is shown by a Flux Kustomization and verified by a container; staging takes only versions
 * verified in qa; prod is shown by an Argo CD application and rolls back by itself.
 */
const FLUX_SECRET = 'e2e-flux-hmac-token-0123456789abcdef';
const ARGO_TOKEN = 'e2e-argocd-notify-token-0123456789abcdef';
const PD_KEY = 'R0123456789ABCDEF0123456789ABCDE';
const ALICE_SLACK = 'U024BE7LH';
const CAROL_SLACK = 'U0CAROL42';

describe('a deploy followed to the end: rollout, verification, automatic rollback, paging', () => {
  let svc: TestDockerServices;
  let h: Harness;
  let web: http.Server;
  let base: string;
  let pagerduty: Awaited<ReturnType<typeof startRecorder>>;
  let slack: Awaited<ReturnType<typeof startRecorder>>;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let sub: Redis;
  let unsubscribe: () => Promise<void>;
  const events: StoredEvent[] = [];

  beforeAll(async () => {
    svc = await dockerServices();
    const docker = dockerClient(svc.dockerHost);
    const image = await buildImage(docker, { source: Readable.from([await busyboxContext('hello')]), repository: `${svc.registry}/gantry-test/verify-e2e`, tags: ['t1'] });
    if (!image.ok) throw new Error(`verification image: ${image.message}`);
    pagerduty = await startRecorder((r) => (r.path === '/v2/enqueue' ? { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: (r.body as { dedup_key?: string }).dedup_key } } : undefined));
    slack = await startRecorder(slackApi);
    smtp = await startSmtp();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    h = await startHarness({
      name: 'rollout-e2e',
      workers: false,
      gantry: { docker: () => docker, publicUrl: base },
      edit: (d) => {
        d.deployRepo.webUrl = 'https://github.com/acme/deploy';
        d.environments.qa.rollout = { flux: { kind: 'Kustomization', namespace: 'flux-system', name: 'web-qa' } };
        // the check passes for every version but v1.0.2: a real container decides, from the variables it is given
        d.environments.qa.verify = [
          { name: 'smoke', container: { image: image.ref, command: ['sh', '-c', 'echo "checking $GANTRY_APP $GANTRY_VERSION in $GANTRY_ENV"; test "$GANTRY_VERSION" != v1.0.2'], timeout: '30s' } },
        ];
        d.environments.staging.from = { env: 'qa', verified: true };
        d.environments.prod.rollout = { argocd: { application: 'web-prod' } };
        d.environments.prod.url = 'https://web.example.com';
        d.environments.prod.onFailure = 'rollback';
        d.users.alice.ids.push(`slack:${ALICE_SLACK}`);
        d.users.carol.ids.push(`slack:${CAROL_SLACK}`);
        d.email = { from: 'gantry@acme.example', approvers: false };
        d.pagerduty = { services: { ops: { routingKeyEnv: 'PD_E2E_KEY', url: pagerduty.url } } };
        d.notify = [{ events: ['rollout-failed', 'verify-failed', 'rolled-out', 'verified'], to: ['pagerduty:ops'] }];
      },
    });
    const keys = new Keys(h.prefix);
    const slackSettings = { botToken: 'xoxb-e2e', signingSecret: SIGNING_SECRET, apiUrl: `${slack.url}/api/`, resolveByEmail: false };
    const deps = faceDeps(h.gantry, silentLogger);
    const s = h.gantry.services;
    const email = new EmailNotifier({ config: h.config, releases: s.queries.releases, approval: s.approval, approversOf: s.approversOf }, smtp.url);
    const notifiers = [new PagerDutyNotifier(h.config, h.gantry.redis, keys, { PD_E2E_KEY: PD_KEY }), slackModule.notifier(deps, slackSettings)!, email];
    h.gantry.startWorkers(undefined, { notifiers });
    // gantry web: the rollout routes and the Slack face, wired as `gantry web` wires them
    const face = await slackModule.create(deps, slackSettings);
    const routes = [...rolloutWebRoutes(h.gantry, { GANTRY_FLUX_WEBHOOK_SECRET: FLUX_SECRET, GANTRY_ARGOCD_WEBHOOK_TOKEN: ARGO_TOKEN }, silentLogger), ...face.routes];
    web = createHttpServer(routes, silentLogger);
    await listen(web, port, '127.0.0.1');
    sub = new Redis(h.gantry.redisUrl);
    unsubscribe = await h.gantry.core.bus.subscribe(sub, (e) => events.push(e as StoredEvent));
    for (const v of ['v1.0.1', 'v1.0.2', 'v1.0.3']) await h.release(v);
  }, 180_000);

  afterAll(async () => {
    await unsubscribe?.();
    await new Promise((r) => web?.close(r));
    await h?.close();
    await pagerduty?.close();
    await slack?.close();
    await smtp?.close();
    await svc?.stop();
  });

  /** A Flux event as notification-controller posts it (generic-hmac: X-Signature over the exact body). */
  const flux = async (name: string, revision: string, reason = 'ReconciliationSucceeded', secret = FLUX_SECRET) => {
    const body = fluxBody(name, revision, new Date(), reason);
    const res = await fetch(`${base}/rollout/flux`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': fluxSignature(body, secret) }, body });
    return res.status;
  };
  /** Argo CD Notifications' webhook with gantry's template rendered over the recorded Application. */
  const argo = async (revision: string, health: 'Healthy' | 'Degraded', message?: string) => {
    const body = argoBody(revision, new Date(), health, message);
    const res = await fetch(`${base}/rollout/argocd`, { method: 'POST', headers: { authorization: `Bearer ${ARGO_TOKEN}`, 'content-type': 'application/json' }, body });
    return res.status;
  };
  const promote = async (as: string, line: string) => {
    const r = await h.run(as, line);
    if (!r.ok || r.kind !== 'deployed') throw new Error(`${line}: ${r.text}`);
    return r.result.commit;
  };
  const stateOf = async (env: string) => (await h.gantry.core.rollouts.latest('web', env))?.state;
  const event = (type: StoredEvent['type'], pred: (e: StoredEvent) => boolean, what: string) =>
    until(() => events.find((e) => e.type === type && pred(e)), () => `${what}; events so far: ${events.map((e) => (e.type === 'deploy-failed' ? `${e.type} (${e.message})` : e.type)).join(', ')}`, 20_000);
  const paged = (action: string, pred: (body: Record<string, any>) => boolean = () => true) =>
    pagerduty.calls.filter((c: Recorded) => c.path === '/v2/enqueue' && (c.body as Record<string, any>).event_action === action && pred(c.body as Record<string, any>));

  it('qa: an older revision changes nothing; the deploy revision makes it live, the container verifies it, staging takes it', async () => {
    const before = await h.head();
    const commit = await promote('carol', '/promote v1.0.1 qa');
    expect(await stateOf('qa')).toBe('committed');
    // Flux reports the revision before the deploy commit: it carries nothing of this deploy
    expect(await flux('web-qa', before)).toBe(200);
    expect(await stateOf('qa')).toBe('committed');
    // a request without the right signature is refused and changes nothing
    expect(await flux('web-qa', commit, 'ReconciliationSucceeded', 'not-the-flux-secret-0123456789')).toBe(401);
    expect(await stateOf('qa')).toBe('committed');
    expect(await flux('web-qa', commit)).toBe(200);
    expect(await stateOf('qa')).toBe('live');
    const live = await event('rolled-out', (e) => e.type === 'rolled-out' && e.rollout.env === 'qa', 'the rolled-out event of qa');
    expect(live.type === 'rolled-out' && live.rollout).toMatchObject({ app: 'web', env: 'qa', version: 'v1.0.1', commit, state: 'live' });
    const verified = await event('verified', (e) => e.type === 'verified' && e.verification.version === 'v1.0.1', 'v1.0.1 verified in qa');
    expect(verified.type === 'verified' && verified.verification).toMatchObject({ app: 'web', env: 'qa', ok: true, commit });
    const status = (await h.run('carol', '/status web qa')).text;
    expect(status).toMatch(/live and healthy since/);
    expect(status).toContain('🧪 verified');
    expect((await h.run('carol', '/promote v1.0.1 staging')).ok).toBe(true);
  });

  it('qa: a version that fails its verification is refused in staging, with the link to the kept log', async () => {
    const commit = await promote('carol', '/promote v1.0.2 qa');
    expect(await flux('web-qa', commit)).toBe(200);
    const failed = await event('verify-failed', (e) => e.type === 'verify-failed' && e.verification.version === 'v1.0.2', 'v1.0.2 failing verification in qa');
    if (failed.type !== 'verify-failed') throw new Error('unreachable');
    const logUrl = failed.verification.logUrl!;
    expect(logUrl).toMatch(new RegExp(`^${base}/verifications/[0-9a-f]{32}/log$`));
    const refused = await h.run('carol', '/promote v1.0.2 staging');
    expect(refused.ok).toBe(false);
    expect(refused.text).toContain('v1.0.2 failed verification in qa');
    expect(refused.text).toContain(logUrl);
    const log = await fetch(logUrl);
    expect(log.status).toBe(200);
    expect(await log.text()).toContain('checking web v1.0.2 in qa');
    // qa only notifies (onFailure defaults to notify): it still runs v1.0.2, and on-call is paged
    const status = (await h.run('carol', '/status web qa')).text;
    expect(status).toContain('v1.0.2');
    expect(status).toContain(`🧪 failed verification ${logUrl}`);
    await until(() => paged('trigger', (b) => b.payload.class === 'verify-failed').length === 1 || undefined, 'the PagerDuty trigger for the failed verification', 20_000);
  });

  it('prod: degraded after going live rolls back by itself, holds, tells the approver, pages; the next healthy rollout resolves', async () => {
    const asked = await h.run('carol', '/promote v1.0.1 prod');
    if (!asked.ok || asked.kind !== 'approval-requested') throw new Error(`expected an approval request: ${asked.text}`);
    const approved = await h.run('alice', `/approve ${asked.approval.id}`);
    if (!approved.ok || approved.kind !== 'deployed') throw new Error(`expected the deploy: ${approved.text}`);
    const commit = approved.result.commit;
    const previous = approved.result.previousVersion!;
    expect(await argo(commit, 'Healthy')).toBe(200);
    expect(await stateOf('prod')).toBe('live');
    expect(await argo(commit, 'Degraded', 'Deployment web: Progressing exceeded its progress deadline')).toBe(200);
    await event('rollout-failed', (e) => e.type === 'rollout-failed' && e.rollout.env === 'prod', 'prod degraded');

    // the automatic rollback: gantry's commit, with the failure as its reason
    const rolledBack = await event('rolled-back', (e) => e.type === 'rolled-back' && e.result.env === 'prod', 'the automatic rollback of prod');
    if (rolledBack.type !== 'rolled-back') throw new Error('unreachable');
    expect(rolledBack.result.version).toBe(previous);
    const message = await h.git('log', '-1', '--format=%B', rolledBack.result.commit);
    expect(message).toMatch(/^Gantry-Requested-By: github:gantry \(gantry\)$/m);
    expect(message).toMatch(/^Gantry-Reason: web v1\.0\.1 degraded in prod: Deployment web: Progressing exceeded its progress deadline$/m);
    expect(await h.file('apps/web/prod/values.yaml')).toContain(`tag: "${previous}"`);
    expect((await h.run('carol', '/status web prod')).text).toContain('[on hold after rollback]');

    // the approver of the failed release hears it directly, on Slack (she approved from the shell: by person)
    await slack.waitFor((c) => c.path === '/api/chat.postMessage' && (c.body as { channel: string }).channel === ALICE_SLACK, 'the direct message to alice', 20_000);
    // and by mail, the approver and the requester of the release it rolled back from
    const mails = await until(() => (smtp.mails.length >= 2 ? smtp.mails : undefined), () => `mails to alice and carol; got ${smtp.mails.flatMap((m) => m.to).join(', ')}`, 20_000);
    expect(mails.flatMap((m) => m.to).sort()).toEqual(['alice@acme.example', 'carol@acme.example']);
    expect(mails[0]!.subject).toMatch(/rolled back|web/);
    const trigger = await until(() => paged('trigger', (b) => b.payload.class === 'rollout-failed')[0], 'the PagerDuty trigger for prod', 20_000);
    expect((trigger.body as Record<string, any>).dedup_key).toBe(`gantry/web/prod/${commit}`);

    // the rollback goes live: prod is healthy again, the incident is resolved
    expect(await argo(rolledBack.result.commit, 'Healthy')).toBe(200);
    await until(() => paged('resolve', (b) => b.dedup_key === `gantry/web/prod/${commit}`)[0], 'the PagerDuty resolve for prod', 20_000);
    // a second degraded event of the failed deploy is old news: no second rollback
    expect(await argo(commit, 'Degraded', 'still degraded')).toBe(200);
    expect(events.filter((e) => e.type === 'rolled-back')).toHaveLength(1);
  });

  it('slack: the rollout and the verification are told in the thread of the command that deployed', async () => {
    const from = slack.calls.length;
    const posted = (pred: (c: Recorded) => boolean) => slack.calls.slice(from).find((c) => c.path === '/api/chat.postMessage' && pred(c));
    const body = slashBody({ command: '/promote', text: 'v1.0.3 qa', user: CAROL_SLACK, responseUrl: `${slack.url}/response/carol` });
    expect((await postSlack(`${base}/slack/events`, body, 'form')).status).toBe(200);
    const reply = await until(() => posted((c) => /^promoted web v1\.0\.3 to qa/.test(String(c.body.text))), 'the promote reply in its thread', 20_000);
    const thread = String(reply.body.thread_ts);
    expect(thread).toMatch(/^\d+\.\d+$/);
    const commit = (await h.gantry.core.rollouts.latest('web', 'qa'))!.commit;
    expect(await flux('web-qa', commit)).toBe(200);
    const live = await until(() => posted((c) => c.body.thread_ts === thread && /is live in qa, healthy/.test(String(c.body.text))), 'the rollout in the thread', 20_000);
    expect(String(live.body.text)).toMatch(/^✅ web v1\.0\.3 is live in qa, healthy, \S.* after the commit \(\w{7}\)$/);
    await until(() => posted((c) => c.body.thread_ts === thread && /web v1\.0\.3 passed verification in qa/.test(String(c.body.text))), 'the verification in the thread', 30_000);
  });
});
