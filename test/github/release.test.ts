import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuildSuccess } from '../../src/images/types.js';
import { recordRelease } from '../../src/github/release.js';
import type { GantryEvent } from '../../src/notify/events.js';
import type { BuildJobData } from '../../src/images/build-queue.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { startHarness, type Harness } from '../support/harness.js';
import { eventually, sleep } from './github-env.js';

const SHA = '9'.repeat(40);
const digest = (c: string) => `sha256:${c.repeat(64)}`;

function job(image: string): BuildJobData {
  return {
    app: 'web',
    image,
    images: ['web', 'worker'],
    source: { owner: 'acme', repo: 'web', installationId: 42, sha: SHA, changedAt: '2026-11-30T08:00:00.000Z' },
    trigger: { kind: 'tag', name: 'v3.0.0' },
    version: 'v3.0.0',
    checkRunId: image === 'web' ? 1 : 2,
    checkRunUrl: `https://github.com/acme/web/runs/${image === 'web' ? 1 : 2}`,
    repository: `registry.example.com/acme/${image}`,
    tags: ['v3.0.0', 'sha-9999999'],
    dockerfile: 'Dockerfile',
    context: '.',
    args: {},
    labels: {},
    cacheFrom: [],
    autoDeploy: {},
    delivery: 'd',
  };
}

function built(image: string, c: string): BuildSuccess {
  const repository = `registry.example.com/acme/${image}`;
  return { ok: true, ref: `${repository}:v3.0.0@${digest(c)}`, repository, tags: ['v3.0.0', 'sha-9999999'], digest: digest(c), sizeBytes: 1, imageId: 'x', durationMs: 1, logTail: '' };
}

describe('releases from builds', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('records a release once every image of the app is built, announces it once, and auto-deploys by the rules', async () => {
    h = await startHarness({ name: 'gh-release', edit: (d) => (d.apps.web.images.worker = { repository: 'registry.example.com/acme/worker' }) });
    const events: GantryEvent[] = [];
    const stop = await h.gantry.core.bus.subscribe(new Redis(h.gantry.redisUrl), (e) => events.push(e));
    const d = { core: h.gantry.core, redis: h.gantry.redis, keys: new Keys(h.prefix) };
    expect(await recordRelease(d, job('web'), built('web', 'a'), silentLogger)).toBeUndefined();
    expect(await h.gantry.core.releases.get('web', 'v3.0.0')).toBeUndefined();
    const release = await recordRelease(d, job('worker'), built('worker', 'b'), silentLogger);
    expect(release).toMatchObject({
      app: 'web',
      version: 'v3.0.0',
      commit: SHA,
      // the pushed commit's time, where lead time starts
      changedAt: '2026-11-30T08:00:00.000Z',
      url: 'https://github.com/acme/web/runs/1',
      images: { web: { tag: 'v3.0.0', digest: digest('a') }, worker: { tag: 'v3.0.0', digest: digest('b') } },
    });
    expect(await h.gantry.core.releases.get('web', 'v3.0.0')).toEqual(release);
    // a retried job repeats nothing visible
    await recordRelease(d, job('worker'), built('worker', 'b'), silentLogger);
    const announced = await eventually(() => events.find((e) => e.type === 'release-built'), 5000, 'release-built');
    expect(announced).toMatchObject({ trigger: { kind: 'tag', name: 'v3.0.0' }, autoDeploy: [{ env: 'staging', queued: true }] });
    await sleep(200);
    expect(events.filter((e) => e.type === 'release-built')).toHaveLength(1);
    // the staging auto-deploy went through the deploy queue and its policy: v3.0.0 never ran in qa
    const failed = await eventually(() => events.find((e) => e.type === 'deploy-failed'), 20_000, 'deploy outcome');
    expect(failed).toMatchObject({ code: 'ORDER_VIOLATION', request: { id: 'auto-web-staging-v3.0.0', action: 'auto' } });
    await stop();
  });
});
