import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BundleRequest } from '../../src/domain/bundle.js';
import { Voice } from '../../src/i18n/voice.js';
import type { GantryEvent } from '../../src/notify/events.js';
import { routeEvent } from '../../src/notify/router.js';
import { eventLine } from '../../src/render/event-text.js';
import { PLAIN } from '../../src/render/markup.js';
import { eventually } from '../github/github-env.js';
import type { Harness } from '../support/harness.js';
import { ENGLISH } from '../support/said.js';
import { startBundleHarness } from './seed.js';

const CHINESE = new Voice('zh-CN', 'UTC');

describe("a bundle's events: failures reported, approvals naming every app, routed by any app", () => {
  let h: Harness;
  const events: GantryEvent[] = [];
  let stop: () => Promise<void>;
  beforeEach(async () => {
    events.length = 0;
    h = await startBundleHarness('bundle-events');
    stop = await h.gantry.core.bus.subscribe(new Redis(h.gantry.redisUrl), (e) => events.push(e));
  });
  afterEach(async () => {
    await stop();
    await h.close();
  });
  type Of<T extends GantryEvent['type']> = GantryEvent & { type: T };
  const seen = async <T extends GantryEvent['type']>(type: T, pred: (e: Of<T>) => boolean = () => true): Promise<Of<T>> =>
    (await eventually(() => events.find((e) => e.type === type && pred(e as Of<T>)), 10_000, type)) as Of<T>;

  it('the approval names every app in every line, is routed where any app is, and its failed job is reported on it', async () => {
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote bundle 2026.12 ${env}`)).ok).toBe(true);
    const asked = await h.run('carol', '/promote bundle 2026.12 prod');
    const id = asked.approval!.id;
    const requested = await seen('approval-requested', (e) => e.approval.id === id);
    expect(eventLine(requested, ENGLISH, PLAIN)).toBe(`approval ${id} (promote bundle 2026.12: api v3.4.0, web v1.2.3 to prod): requested`);
    expect(eventLine(requested, CHINESE, PLAIN)).toBe(`审批 ${id}（发布批次 2026.12：api v3.4.0、web v1.2.3 到 prod）：已发起`);

    // the approval's request names api (the first app): a rule for web alone still hears it
    const notify = [
      { events: ['approval-requested', 'deploy-failed'], apps: ['web'], to: ['slack:#web'] },
      { events: ['approval-requested', 'deploy-failed'], apps: ['docs'], to: ['slack:#docs'] },
      { events: ['approval-requested', 'deploy-failed'], to: ['slack:#all'] },
    ] as typeof h.config.notify;
    const routed = (e: GantryEvent) => routeEvent({ ...h.config, notify }, e);
    expect(routed(requested)).toEqual(['slack:#web', 'slack:#all']);

    // web is blocked while the approval waits: the vote's bundle job fails, and says so
    expect((await h.run('bob', '/block web v1.2.3 corrupts sessions')).ok).toBe(true);
    const head = await h.head();
    const approved = await h.run('alice', `/approve ${id}`);
    expect(approved).toMatchObject({ ok: false, code: 'RELEASE_BLOCKED' });
    const failed = await seen('deploy-failed');
    expect(failed).toMatchObject({ code: 'RELEASE_BLOCKED', bundle: { name: '2026.12', apps: ['api', 'web'] }, request: { env: 'prod', approval: id, requestedBy: { id: 'shell:carol' } } });
    expect(eventLine(failed, ENGLISH, PLAIN)).toMatch(/^❌ bundle 2026\.12 \(api, web\) to prod failed: bundle 2026\.12 to prod refused as a whole; nothing was written:\n {2}- web: .*corrupts sessions/);
    expect(eventLine(failed, CHINESE, PLAIN)).toMatch(/^❌ 批次 2026\.12（api、web）到 prod 的发布失败：/);
    expect(routed(failed)).toEqual(['slack:#web', 'slack:#all']);
    expect((await h.gantry.core.approvals.get(id))!.status).toBe('failed');
    expect(await h.head()).toBe(head);
  });

  it('a forged job refused by the guard is reported with the stored bundle\'s apps', async () => {
    const forged = { id: 'forged-1', action: 'promote', bundle: '2026.12', env: 'prod', requestedBy: { id: 'shell:carol' }, approvedBy: [] };
    await expect(h.gantry.core.bundles!.queue.submit(forged as BundleRequest)).rejects.toThrow(/needs 1 approval/);
    const failed = await seen('deploy-failed');
    expect(failed).toMatchObject({ code: 'DEPLOY_REFUSED', bundle: { name: '2026.12', apps: ['api', 'web'] }, request: { id: 'forged-1', app: 'api', env: 'prod', requestedBy: { id: 'shell:carol', name: 'carol' } } });
    expect(failed.request.approval).toBeUndefined();
    expect(eventLine(failed, ENGLISH, PLAIN)).toMatch(/^❌ bundle 2026\.12 \(api, web\) to prod failed: deploy job forged-1 refused: /);
  });
});
