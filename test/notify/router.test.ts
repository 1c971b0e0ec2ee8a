import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import type { GantryEvent, StoredEvent } from '../../src/notify/events.js';
import { routeEvent } from '../../src/notify/router.js';
import { checkFreezes } from '../../src/queue/freeze-watch.js';
import { connect, Keys } from '../../src/store/redis.js';
import { redisUrl } from '../support/env.js';
import { defaultConfigData, startHarness, type Harness } from '../support/harness.js';

const deployed = (app: string, env: string): GantryEvent => ({
  type: 'deployed',
  result: { requestId: 'r', app, env, action: 'promote', version: 'v1', commit: 'a'.repeat(40), changes: [], retries: 0 },
  request: { id: 'r', action: 'promote', app, env, version: 'v1', requestedBy: { id: 'shell:alice' }, approvedBy: [] },
});

describe('notification routing', () => {
  const data = defaultConfigData();
  data.apps.api = { images: { api: { repository: 'registry.example.com/acme/api' } }, deploy: { qa: [{ file: 'apps/api/qa.yaml', format: 'kubernetes' }] } };
  data.dingtalk = { robots: { 'ops-robot': { urlEnv: 'DINGTALK_OPS_URL', secretEnv: 'DINGTALK_OPS_SECRET' } } };
  data.email = { from: 'gantry <gantry@acme.example>' };
  data.notify = [
    { events: ['deployed', 'rolled-back'], environments: ['prod'], to: ['slack:#deploys', 'email:leads@acme.example'] },
    { events: ['deployed'], apps: ['api'], to: ['slack:#api'] },
    { events: ['locked', 'unlocked'], to: ['slack:#deploys'] },
    { events: ['build-failed'], apps: ['web'], to: ['dingtalk:ops-robot'] },
  ];
  const config = ConfigSchema.parse(data);

  it('maps events × apps × environments to targets, each once', () => {
    expect(routeEvent(config, deployed('web', 'prod'))).toEqual(['slack:#deploys', 'email:leads@acme.example']);
    expect(routeEvent(config, deployed('web', 'qa'))).toEqual([]);
    expect(routeEvent(config, deployed('api', 'qa'))).toEqual(['slack:#api']);
    expect(routeEvent(config, { type: 'locked', env: 'qa', by: { id: 'shell:bob' }, reason: 'x' })).toEqual(['slack:#deploys']);
    const approval = { id: '3', status: 'pending', request: { id: 'approval-3', action: 'promote', app: 'web', env: 'prod', version: 'v1', requestedBy: { id: 'slack:U024BE7LH' }, approvedBy: [] }, required: 1, approvers: ['leads'], votes: [], createdAt: '', deadline: '', preview: { changes: [] } } as const;
    // leads are alice and dave; alice asked, so only dave is mailed
    expect(routeEvent(config, { type: 'approval-requested', approval } as unknown as GantryEvent)).toEqual(['email:dave@acme.example']);
    expect(routeEvent(config, { type: 'build-failed', build: { app: 'web', image: 'web', repo: 'acme/web', sha: 'a'.repeat(40), trigger: 'pr #1', version: 'pr-1' }, stage: 'build', message: 'x' } as GantryEvent)).toEqual(['dingtalk:ops-robot']);
  });

  it('refuses rules naming unknown apps, environments or malformed targets', () => {
    const bad = defaultConfigData();
    bad.notify = [{ events: ['deployed'], apps: ['nope'], environments: ['moon'], to: ['slack:deploys', 'pager:x'] }];
    const r = ConfigSchema.safeParse(bad);
    expect(r.success).toBe(false);
    const msgs = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(msgs).toContain('notify.0.to.0: must be slack:#channel, slack:<channel id>, dingtalk:<robot>, email:<address>, webhook:<name> or pagerduty:<service>');
    expect(msgs).toContain('notify.0.to.1: must be slack:#channel, slack:<channel id>, dingtalk:<robot>, email:<address>, webhook:<name> or pagerduty:<service>');
  });
});

describe('freeze watch', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ name: 'freeze-watch', workers: false, edit: (d) => (d.environments.prod.freeze = [{ cron: '0 9 * * 3', duration: '2h', timezone: 'UTC', reason: 'release train' }]) });
  });
  afterEach(async () => h.close());

  it('reports a window opening and closing once each', async () => {
    const events: StoredEvent[] = [];
    const stop = await h.gantry.core.bus.subscribe(connect(redisUrl()), (e) => events.push(e));
    const keys = new Keys(h.prefix);
    const at = (iso: string) => checkFreezes(h.config, h.gantry.redis, keys, h.gantry.core.bus, new Date(iso));
    expect(await at('2026-11-18T08:00:00Z')).toEqual([]);
    expect(await at('2026-11-18T09:01:00Z')).toEqual(['prod']);
    expect(await at('2026-11-18T10:00:00Z')).toEqual([]);
    expect(await at('2026-11-18T11:01:00Z')).toEqual(['prod']);
    await new Promise((r) => setTimeout(r, 100));
    await stop();
    expect(events.map((e) => e.type)).toEqual(['frozen', 'unfrozen']);
    expect(events[0]).toMatchObject({ env: 'prod', reason: 'release train', until: '2026-11-18T11:00:00.000Z' });
  });
});
