import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import nock from 'nock';
import { Inbox } from '../../src/github/inbox.js';
import { REDELIVER_QUEUE, startRedeliverSweep, sweepFailedDeliveries } from '../../src/github/redeliver.js';
import { createGithubProbot } from '../../src/github/server.js';
import type { Octokit } from '../../src/github/check-run.js';
import { Keys } from '../../src/store/redis.js';
import { redisUrl, uniquePrefix, wipePrefix } from '../support/env.js';
import { API, lockDownNetwork } from './fake-github.js';
import { testLog, testSettings } from './github-env.js';
import { Queue } from 'bullmq';

/** One attempt as GET /app/hook/deliveries lists it (GitHub's documented shape). */
const attempt = (id: number, guid: string, at: Date, status_code: number, o: { redelivery?: boolean; event?: string; action?: string } = {}) => ({
  id,
  guid,
  delivered_at: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  redelivery: o.redelivery ?? false,
  duration: 0.27,
  status: status_code === 200 ? 'OK' : status_code ? `Invalid HTTP Response: ${status_code}` : 'timed out',
  status_code,
  event: o.event ?? 'push',
  action: o.action ?? null,
  installation_id: 42,
  repository_id: 1296269,
  throttled_at: null,
});

describe('failed webhook deliveries are redelivered (GitHub does not retry them)', () => {
  let redis: Redis;
  let keys: Keys;
  let prefix: string;
  let app: () => Promise<Octokit>;
  const NOW = new Date('2026-11-22T10:00:00Z');
  const ago = (min: number) => new Date(NOW.getTime() - min * 60_000);

  beforeAll(() => {
    lockDownNetwork();
    redis = new Redis(redisUrl());
    const probot = createGithubProbot(testSettings(), testLog());
    app = async () => (await probot.auth()) as Octokit;
  });
  afterEach(async () => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    await wipePrefix(prefix);
    expect(pending, 'every recorded GitHub response was used').toEqual([]);
  });
  afterAll(async () => {
    redis.disconnect();
    nock.enableNetConnect();
  });

  const sweep = () => sweepFailedDeliveries({ app, redis, keys, log: testLog(), now: () => NOW });
  /** the app's JWT, not an installation token, lists and redelivers */
  const api = () => nock(API, { reqheaders: { authorization: (v) => /^bearer ey[\w-]+\.[\w-]+\.[\w-]+$/i.test(v) } });

  it('redelivers each failed delivery gantry does not have, once, across pages; skips the rest', async () => {
    prefix = uniquePrefix('redeliver');
    keys = new Keys(prefix);
    // a delivery gantry took (its inbox marker is set) though GitHub saw it time out
    await new Inbox(redis, keys).push({ delivery: 'c-took-it', act: '1|push|refs/heads/main|c', app: 'web', receivedAt: ago(30).toISOString() } as never);
    api()
      .get('/app/hook/deliveries')
      .query({ per_page: 100 })
      .reply(
        200,
        [
          attempt(9005, 'b-recovered', ago(5), 200, { redelivery: true }),
          attempt(9004, 'a-lost', ago(10), 503, { event: 'pull_request', action: 'opened' }),
          attempt(9003, 'b-recovered', ago(11), 503),
          attempt(9002, 'c-took-it', ago(30), 0),
          attempt(9001, 'd-fine', ago(40), 200),
        ],
        { link: `<${API}/app/hook/deliveries?per_page=100&cursor=v1_9001>; rel="next"` },
      )
      .get('/app/hook/deliveries')
      .query({ per_page: 100, cursor: 'v1_9001' })
      .reply(200, [attempt(8999, 'e-lost-too', ago(90), 502), attempt(8000, 'f-too-old', ago(60 * 30), 503)], {
        link: `<${API}/app/hook/deliveries?per_page=100&cursor=v1_8000>; rel="next"`,
      })
      .post('/app/hook/deliveries/9004/attempts')
      .reply(202, {})
      .post('/app/hook/deliveries/8999/attempts')
      .reply(202, {});
    const r = await sweep();
    // f-too-old is before the first sweep's window (a day): the third page is never asked for
    expect(r).toEqual({ checked: 5, redelivered: ['a-lost', 'e-lost-too'], gaveUp: [] });
    expect(Number(await redis.get(`${prefix}:gh:redeliver:since`))).toBe(NOW.getTime());
  });

  it('asks at most three times for a delivery that keeps failing, then gives up and says so', async () => {
    prefix = uniquePrefix('redeliver-max');
    keys = new Keys(prefix);
    for (let i = 0; i < 4; i++) {
      const scope = api().get('/app/hook/deliveries').query({ per_page: 100 }).reply(200, [attempt(7000 + i, 'g-broken', ago(5), 500, { redelivery: i > 0 })]);
      if (i < 3) scope.post(`/app/hook/deliveries/${7000 + i}/attempts`).reply(202, {});
      const r = await sweep();
      expect(r.redelivered).toEqual(i < 3 ? ['g-broken'] : []);
      expect(r.gaveUp).toEqual(i < 3 ? [] : ['g-broken']);
    }
  });

  it('a refused redelivery is asked again by the next sweep', async () => {
    prefix = uniquePrefix('redeliver-retry');
    keys = new Keys(prefix);
    api()
      .get('/app/hook/deliveries')
      .query({ per_page: 100 })
      .reply(200, [attempt(6001, 'h-lost', ago(5), 503)])
      .post('/app/hook/deliveries/6001/attempts')
      .reply(422, { message: 'Validation Failed', documentation_url: 'https://docs.github.com/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook', status: '422' })
      .get('/app/hook/deliveries')
      .query({ per_page: 100 })
      .reply(200, [attempt(6001, 'h-lost', ago(5), 503)])
      .post('/app/hook/deliveries/6001/attempts')
      .reply(202, {});
    expect((await sweep()).redelivered).toEqual([]);
    expect((await sweep()).redelivered).toEqual(['h-lost']);
  });

  it('a worker schedules the sweep once for all worker processes', async () => {
    prefix = uniquePrefix('redeliver-sched');
    keys = new Keys(prefix);
    // the first sweep runs at once: nothing failed
    api().get('/app/hook/deliveries').query({ per_page: 100 }).reply(200, []);
    const a = startRedeliverSweep({ app, redis, keys, log: testLog(), redisUrl: redisUrl(), everyMs: 3_600_000 });
    const b = startRedeliverSweep({ app, redis, keys, log: testLog(), redisUrl: redisUrl(), everyMs: 3_600_000 });
    const q = new Queue(REDELIVER_QUEUE, { connection: { url: redisUrl() }, prefix });
    try {
      for (let i = 0; i < 50 && (await q.getJobSchedulers()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      const schedulers = await q.getJobSchedulers();
      expect(schedulers).toHaveLength(1);
      expect(schedulers[0]).toMatchObject({ key: 'redeliver', every: 3_600_000 });
      for (let i = 0; i < 100 && !(await redis.get(`${prefix}:gh:redeliver:since`)); i++) await new Promise((r) => setTimeout(r, 50));
      expect(await redis.get(`${prefix}:gh:redeliver:since`), 'the first sweep ran').not.toBeNull();
    } finally {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
      await a.close();
      await b.close();
    }
  });
});
