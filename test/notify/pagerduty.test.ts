import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalStore } from '../../src/approvals/store.js';
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import { NotifyQueue, startNotifyWorker } from '../../src/notify/delivery.js';
import type { StoredEvent } from '../../src/notify/events.js';
import { PagerDutyNotifier } from '../../src/notify/pagerduty.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { defaultConfigData } from '../support/harness.js';
import { redisUrl, uniquePrefix, wipePrefix } from '../support/env.js';
import { startRecorder, type Recorded } from '../support/recorder.js';
import { EVENTS } from '../render/samples.js';

const KEY = 'R0UTINGKEY0123456789abcdef012345';
const SHA = (c: string) => c.repeat(40);
const carol = { id: 'shell:carol', name: 'carol' };

/** A rollout event of web (or `app`) in `env` for deploy commit `commit`, published at `at`. */
function rollout(type: 'rollout-failed' | 'rolled-out', env: string, commit: string, at: string, id = `${type}-${env}-${commit.slice(0, 4)}-${at}`): StoredEvent {
  const base = EVENTS['rollout-failed'] as Extract<StoredEvent, { rollout: unknown }>;
  const state = type === 'rolled-out' ? 'live' : 'degraded';
  return { type, rollout: { ...base.rollout, deploy: `web:${env}:${commit}`, env, commit, state }, id, at } as StoredEvent;
}

function pagerConfig(url: string, edit: (d: Record<string, any>) => void = () => undefined): Config {
  const d = defaultConfigData();
  d.deployRepo.webUrl = 'https://github.com/acme/deploy';
  d.environments.prod.url = 'https://web.acme.example';
  d.pagerduty = { services: { ops: { routingKeyEnv: 'PD_OPS_KEY', url } } };
  d.notify = [{ events: ['rollout-failed', 'verify-failed', 'rolled-out', 'verified'], to: ['pagerduty:ops'] }];
  edit(d);
  return ConfigSchema.parse(d);
}

describe('PagerDuty pages on-call for failed rollouts and resolves after the next healthy one', () => {
  /** PagerDuty as the Events API behaves: incidents by dedup key; `answers` scripts the next statuses */
  const incidents = new Map<string, { status: 'triggered' | 'resolved'; events: number }>();
  let opened = 0;
  let answers: { status: number; body: unknown }[] = [];
  let pd: Awaited<ReturnType<typeof startRecorder>>;
  let prefix: string;
  let redis: Redis;
  let queue: NotifyQueue;
  let worker: { close(): Promise<void> };
  let config: Config;
  let notifier: PagerDutyNotifier;

  const enqueued = () => pd.calls.filter((c) => c.path === '/v2/enqueue');
  const deliver = async (e: StoredEvent) => {
    await queue.fanOut(config, e);
    const job = await queue.queue.getJob(`${e.id}~pagerduty~ops`);
    expect(job, `a job for ${e.type}`).toBeDefined();
    for (let i = 0; i < 300; i++) {
      const state = await job!.getState();
      if (state === 'completed' || state === 'failed') return (await queue.queue.getJob(job!.id!))!;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`the delivery of ${e.type} never settled`);
  };

  beforeAll(async () => {
    pd = await startRecorder((r: Recorded) => {
      const next = answers.shift();
      if (next) return next;
      const { dedup_key: key, event_action: action } = r.body as { dedup_key?: string; event_action?: string };
      if (r.path === '/v2/enqueue' && key) {
        const open = incidents.get(key);
        if (action === 'trigger' && open?.status !== 'triggered') {
          incidents.set(key, { status: 'triggered', events: 1 });
          opened++;
        } else if (open) incidents.set(key, { status: action === 'resolve' ? 'resolved' : open.status, events: open.events + 1 });
      }
      return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: key } };
    });
    prefix = uniquePrefix('pagerduty');
    redis = new Redis(redisUrl());
    config = pagerConfig(pd.url);
    notifier = new PagerDutyNotifier(config, redis, new Keys(prefix), { PD_OPS_KEY: KEY });
    queue = new NotifyQueue(redisUrl(), prefix, 20);
    worker = startNotifyWorker({ url: redisUrl(), prefix, notifiers: [notifier], approvals: new ApprovalStore(redis, new Keys(prefix)), log: silentLogger });
  });
  afterAll(async () => {
    await worker.close();
    await queue.close();
    await wipePrefix(prefix);
    redis.disconnect();
    await pd.close();
  });
  beforeEach(() => {
    pd.calls.length = 0;
    answers = [];
  });

  it('triggers one incident per deploy, with the event line, links and details, however often it is delivered', async () => {
    const failed = rollout('rollout-failed', 'prod', SHA('a'), '2026-12-04T10:00:00.000Z');
    expect((await deliver(failed)).finishedOn).toBeDefined();
    expect(enqueued()).toHaveLength(1);
    const [trigger] = enqueued();
    expect(trigger!.body).toEqual({
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: `gantry/web/prod/${SHA('a')}`,
      payload: {
        summary: '🔥 web v1.2.10 is degraded in prod (aaaaaaa): Deployment web: <Progressing> exceeded its progress deadline',
        source: 'https://web.acme.example',
        severity: 'critical',
        timestamp: '2026-12-04T10:00:00.000Z',
        component: 'web',
        group: 'prod',
        class: 'rollout-failed',
        custom_details: { version: 'v1.2.10', commit: SHA('a'), state: 'degraded', message: 'Deployment web: <Progressing> exceeded its progress deadline', requester: 'carol' },
      },
      links: [{ href: `https://github.com/acme/deploy/commit/${SHA('a')}`, text: 'deploy commit aaaaaaa' }],
      client: 'gantry',
    });

    // the same event again is the same job (nothing is sent); the failure published again (a restart) is the same incident
    await queue.fanOut(config, failed);
    await deliver({ ...failed, id: 'republished', at: '2026-12-04T10:00:05.000Z' });
    expect(enqueued().map((c) => c.body.dedup_key)).toEqual([`gantry/web/prod/${SHA('a')}`, `gantry/web/prod/${SHA('a')}`]);
    expect(incidents.get(`gantry/web/prod/${SHA('a')}`)).toEqual({ status: 'triggered', events: 2 });
    expect(opened).toBe(1);
  });

  it('a failed verification is an incident of its deploy too, linking its log', async () => {
    const v = EVENTS['verify-failed'] as Extract<StoredEvent, { verification: unknown }>;
    await deliver({ ...v, verification: { ...v.verification, commit: SHA('b'), requestedBy: carol }, id: 'verify-qa', at: '2026-12-04T10:01:00.000Z' });
    const [trigger] = enqueued();
    expect(trigger!.body).toMatchObject({
      event_action: 'trigger',
      dedup_key: `gantry/web/qa/${SHA('b')}`,
      payload: {
        summary: '🧪 web v1.2.10 failed verification in qa: smoke: exit code 1 <after 3s> (log: https://gantry.example/verifications/v2/log)',
        source: 'web/qa',
        class: 'verify-failed',
        custom_details: { state: 'verification failed', log: 'https://gantry.example/verifications/v2/log', requester: 'carol' },
      },
      links: [
        { href: `https://github.com/acme/deploy/commit/${SHA('b')}`, text: 'deploy commit bbbbbbb' },
        { href: 'https://gantry.example/verifications/v2/log', text: 'verification log' },
      ],
    });
    expect(incidents.get(`gantry/web/qa/${SHA('b')}`)?.status).toBe('triggered');
  });

  it("resolves the app/env's open incidents after its next healthy rollout, once, and not another env's", async () => {
    await deliver(rollout('rollout-failed', 'prod', SHA('c'), '2026-12-04T10:02:00.000Z'));
    pd.calls.length = 0;
    await deliver(rollout('rolled-out', 'prod', SHA('d'), '2026-12-04T10:10:00.000Z'));
    // in no particular order (a set in Redis)
    expect(enqueued().map((c) => c.body).sort((x, y) => String(x.dedup_key).localeCompare(String(y.dedup_key)))).toEqual([
      { routing_key: KEY, event_action: 'resolve', dedup_key: `gantry/web/prod/${SHA('a')}` },
      { routing_key: KEY, event_action: 'resolve', dedup_key: `gantry/web/prod/${SHA('c')}` },
    ]);
    expect(incidents.get(`gantry/web/prod/${SHA('a')}`)?.status).toBe('resolved');
    expect(incidents.get(`gantry/web/prod/${SHA('c')}`)?.status).toBe('resolved');
    expect(incidents.get(`gantry/web/qa/${SHA('b')}`)?.status).toBe('triggered');

    // a second healthy rollout has nothing left to resolve
    pd.calls.length = 0;
    await deliver(rollout('rolled-out', 'prod', SHA('d'), '2026-12-04T10:11:00.000Z', 'rolled-out-again'));
    expect(enqueued()).toEqual([]);

    // a failure published before that healthy rollout, delivered late (retries), pages no one
    await deliver(rollout('rollout-failed', 'prod', SHA('e'), '2026-12-04T10:05:00.000Z'));
    expect(enqueued()).toEqual([]);
    expect(incidents.has(`gantry/web/prod/${SHA('e')}`)).toBe(false);

    // qa's passed verification resolves qa's
    const ok = EVENTS.verified as Extract<StoredEvent, { verification: unknown }>;
    await deliver({ ...ok, id: 'verified-qa', at: '2026-12-04T10:12:00.000Z' });
    expect(enqueued().map((c) => [c.body.event_action, c.body.dedup_key])).toEqual([['resolve', `gantry/web/qa/${SHA('b')}`]]);
    expect(incidents.get(`gantry/web/qa/${SHA('b')}`)?.status).toBe('resolved');
  });

  it('retries a 500 and delivers once; a 400 fails at once with PagerDuty\'s reason', async () => {
    answers = [{ status: 500, body: { status: 'error', message: 'internal' } }];
    const job = await deliver(rollout('rollout-failed', 'staging', SHA('f'), '2026-12-04T11:00:00.000Z'));
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(2);
    expect(enqueued().map((c) => c.body.dedup_key)).toEqual([`gantry/web/staging/${SHA('f')}`, `gantry/web/staging/${SHA('f')}`]);
    expect(incidents.get(`gantry/web/staging/${SHA('f')}`)).toEqual({ status: 'triggered', events: 1 });

    pd.calls.length = 0;
    answers = [{ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: ["Length of 'routing_key' is incorrect (should be 32 characters)"] } }];
    const refused = await deliver(rollout('rollout-failed', 'staging', SHA('0'), '2026-12-04T11:01:00.000Z'));
    expect(await refused.getState()).toBe('failed');
    expect(refused.attemptsMade).toBe(1);
    expect(refused.failedReason).toBe("PagerDuty service ops answered HTTP 400, the event is invalid: Event object is invalid; Length of 'routing_key' is incorrect (should be 32 characters)");
    await new Promise((r) => setTimeout(r, 300)); // well past the 20 ms backoff: no retry comes
    expect(enqueued()).toHaveLength(1);
  });

  it('a resolve that fails half-way is retried for the incidents PagerDuty has not accepted yet', async () => {
    await deliver(rollout('rollout-failed', 'dev', SHA('1'), '2026-12-04T11:10:00.000Z'));
    await deliver(rollout('rollout-failed', 'dev', SHA('2'), '2026-12-04T11:11:00.000Z'));
    pd.calls.length = 0;
    answers = [{ status: 202, body: {} }, { status: 503, body: { message: 'unavailable' } }];
    const job = await deliver(rollout('rolled-out', 'dev', SHA('3'), '2026-12-04T11:20:00.000Z'));
    expect(await job.getState()).toBe('completed');
    const sent = enqueued().map((c) => c.body.dedup_key as string);
    // the first was accepted (by the scripted answer) and not sent again; the second was sent twice
    expect(sent).toHaveLength(3);
    expect(sent[2]).toBe(sent[1]);
    expect(new Set(sent)).toEqual(new Set([`gantry/web/dev/${SHA('1')}`, `gantry/web/dev/${SHA('2')}`]));
    pd.calls.length = 0;
    await deliver(rollout('rolled-out', 'dev', SHA('3'), '2026-12-04T11:21:00.000Z', 'dev-live-again'));
    expect(enqueued()).toEqual([]);
  });

  it('reads the routing key when it sends, naming the variable when it is missing', async () => {
    const bare = new PagerDutyNotifier(config, redis, new Keys(prefix), {});
    await expect(bare.send('ops', rollout('rollout-failed', 'qa', SHA('9'), '2026-12-04T12:00:00.000Z'))).rejects.toThrow('PD_OPS_KEY (the routing key of PagerDuty service ops) is not set');
    expect(enqueued()).toEqual([]);
  });

  it('gantry doctor --notify sends a change event, which pages no one', async () => {
    await notifier.test('ops');
    expect(pd.calls.map((c) => c.path)).toEqual(['/v2/change/enqueue']);
    expect(pd.calls[0]!.body).toMatchObject({ routing_key: KEY, payload: { source: 'gantry', summary: expect.stringContaining('pages no one') } });
    expect(pd.calls[0]!.body.event_action).toBeUndefined();
  });
});

describe('PagerDuty config', () => {
  const issues = (edit: (d: Record<string, any>) => void) => {
    const d = defaultConfigData();
    d.pagerduty = { services: { ops: { routingKeyEnv: 'PD_OPS_KEY' } } };
    d.notify = [{ events: ['rollout-failed', 'rolled-out'], to: ['pagerduty:ops'] }];
    edit(d);
    const r = ConfigSchema.safeParse(d);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts a service with the defaults (critical, the US endpoint)', () => {
    expect(issues(() => undefined)).toEqual([]);
    const d = defaultConfigData();
    d.pagerduty = { services: { ops: { routingKeyEnv: 'PD_OPS_KEY' } } };
    expect(ConfigSchema.parse(d).pagerduty.services.ops).toEqual({ routingKeyEnv: 'PD_OPS_KEY', severity: 'critical' });
  });

  it('refuses an undefined service, a bad variable name, a plain-http URL and events that page no one, saying where', () => {
    expect(issues((d) => (d.notify[0].to = ['pagerduty:nope']))).toEqual(['notify.0.to.0: no pagerduty.services.nope is defined']);
    expect(issues((d) => (d.notify[0].to = ['pagerduty:__proto__']))).toEqual(['notify.0.to.0: no pagerduty.services.__proto__ is defined']);
    expect(issues((d) => (d.pagerduty.services.ops.routingKeyEnv = 'pd-key'))).toEqual(['pagerduty.services.ops.routingKeyEnv: must be the NAME of an environment variable']);
    expect(issues((d) => (d.pagerduty.services.ops.url = 'http://events.eu.pagerduty.com'))).toEqual(['pagerduty.services.ops.url: must be https (plain http only to 127.0.0.1 or localhost)']);
    expect(issues((d) => (d.pagerduty.services.ops.severity = 'sev1'))).toHaveLength(1);
    expect(issues((d) => (d.notify[0].events = ['rolled-out', 'deploy-failed']))).toEqual([
      'notify.0.events.1: pagerduty:ops takes only rollout-failed, verify-failed, rolled-out, verified, not deploy-failed',
    ]);
  });
});
