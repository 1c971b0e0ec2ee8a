import { Redis } from 'ioredis';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppSchema, EnvironmentSchema } from '../../src/config/schema.js';
import { NameSchema } from '../../src/config/primitives.js';
import { record } from '../../src/domain/record.js';
import { appRolloutFields, environmentRolloutFields, rolloutIssues, watchFor, type RolloutConfig } from '../../src/rollout/config.js';
import { gitAncestry, type IsAncestor } from '../../src/rollout/revision.js';
import type { RolloutEvent } from '../../src/rollout/state.js';
import { RolloutStore, type FollowInput } from '../../src/rollout/store.js';
import { Keys } from '../../src/store/redis.js';
import { redisUrl, uniquePrefix, wipePrefix } from '../support/env.js';
import { makeGitChain, type GitChain } from './git-chain.js';

/** The config's environments and apps with the rollout fragments plugged in, as ConfigSchema will. */
const RolloutConfigSchema = z
  .object({
    environments: record(NameSchema, EnvironmentSchema.extend(environmentRolloutFields)),
    apps: record(NameSchema, AppSchema.extend(appRolloutFields)),
  })
  .superRefine((cfg, ctx) => {
    for (const issue of rolloutIssues(cfg)) ctx.addIssue({ code: 'custom', ...issue });
  });

const WEB = { images: { web: { repository: 'registry.example.com/acme/web' } }, deploy: { prod: [{ file: 'a.yaml', format: 'kubernetes' }] } };
const FLUX_PROD = { kind: 'Kustomization', namespace: 'flux-system', name: 'apps-prod' };

function parse(environments: Record<string, unknown>, apps: Record<string, unknown> = { web: WEB }) {
  return RolloutConfigSchema.safeParse({ environments, apps });
}
function issuesOf(r: ReturnType<typeof parse>): string[] {
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('rollout config fragment', () => {
  it('accepts an Argo CD application or a Flux object per environment, with an app override and timeouts', () => {
    const r = parse(
      { prod: { rollout: { flux: FLUX_PROD, timeout: '15m' } }, qa: { rollout: { argocd: { application: 'web-qa' } } }, staging: {} },
      { web: { ...WEB, rollout: { prod: { argocd: { application: 'web-prod', namespace: 'argocd' } } } }, api: WEB },
    );
    expect(issuesOf(r)).toEqual([]);
    const cfg = r.data!;
    expect(watchFor(cfg, 'api', 'prod')).toEqual({ source: 'flux', flux: FLUX_PROD, timeoutMs: 15 * 60_000 });
    // the app's mapping wins; the environment's timeout still holds when the app names none
    expect(watchFor(cfg, 'web', 'prod')).toEqual({ source: 'argocd', argocd: { application: 'web-prod', namespace: 'argocd' }, timeoutMs: 15 * 60_000 });
    expect(watchFor(cfg, 'web', 'qa')).toMatchObject({ source: 'argocd', timeoutMs: 10 * 60_000 });
    expect(watchFor(cfg, 'web', 'staging')).toBeUndefined();
    expect(watchFor(cfg, 'web', 'constructor')).toBeUndefined();
    expect(watchFor(cfg, '__proto__', 'prod')).toBeUndefined();
  });

  it('refuses bad mappings with the path of the key at fault', () => {
    expect(issuesOf(parse({ prod: { rollout: { argocd: { application: 'a' }, flux: FLUX_PROD } } }))).toEqual(['environments.prod.rollout: needs exactly one of argocd or flux']);
    expect(issuesOf(parse({ prod: { rollout: { timeout: '5m' } } }))).toEqual(['environments.prod.rollout: needs exactly one of argocd or flux']);
    expect(issuesOf(parse({ prod: { rollout: { flux: { ...FLUX_PROD, kind: 'GitRepository' } } } }))[0]).toMatch(/^environments\.prod\.rollout\.flux\.kind: /);
    expect(issuesOf(parse({ prod: { rollout: { flux: { ...FLUX_PROD, namespace: 'Flux_System' } } } }))).toEqual([
      'environments.prod.rollout.flux.namespace: must be a Kubernetes namespace (lower-case letters, digits and -)',
    ]);
    expect(issuesOf(parse({ prod: { rollout: { argocd: { application: 'web', project: 'x' } } } }))[0]).toMatch(/^environments\.prod\.rollout\.argocd: .*project/);
    expect(issuesOf(parse({ prod: { rollout: { argocd: { application: 'web' }, timeout: 'soon' } } }))).toEqual([
      'environments.prod.rollout.timeout: must be a duration such as 30m, 1h or 2d12h',
    ]);
    expect(issuesOf(parse({ prod: {} }, { web: { ...WEB, rollout: { prdo: { argocd: { application: 'web' } } } } }))).toEqual([
      'apps.web.rollout.prdo: environment "prdo" is not defined',
    ]);
  });
});

const T0 = Date.parse('2025-03-01T12:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

describe('rollout store (real redis-server, real git)', () => {
  let g: GitChain;
  let redis: Redis;
  let other: Redis;
  let prefix: string;
  let clock: Date;
  let config: RolloutConfig;
  const store = (conn = redis) => new RolloutStore(conn, new Keys(prefix), config, gitAncestry({ dir: g.clone }), () => clock);
  const flux = (phase: RolloutEvent['phase'], sha: string | undefined, s: number, name = 'apps-prod'): RolloutEvent => ({
    source: 'flux',
    object: { kind: 'Kustomization', namespace: 'flux-system', name },
    ...(sha ? { revision: `main@sha1:${sha}` } : {}),
    phase,
    message: `${phase} ${s}s`,
    at: at(s),
  });
  const deploy = (commit: string, o: Partial<FollowInput> = {}): FollowInput => ({ app: 'web', env: 'prod', commit, version: 'v1.2.3', requestedAt: at(-10), committedAt: at(0), ...o });

  beforeAll(async () => {
    g = await makeGitChain('rollout-store');
    config = RolloutConfigSchema.parse({
      environments: { prod: { rollout: { flux: FLUX_PROD, timeout: '10m' } }, qa: { rollout: { argocd: { application: 'web-qa' } } } },
      apps: { web: { ...WEB, deploy: { prod: WEB.deploy.prod, qa: WEB.deploy.prod } }, api: { ...WEB, rollout: { prod: { flux: { ...FLUX_PROD, name: 'api-prod' } } } } },
    });
  });
  afterAll(() => g.remove());
  beforeEach(() => {
    prefix = uniquePrefix('rollout');
    redis = new Redis(redisUrl());
    other = new Redis(redisUrl());
    // events are read as no later than now: the clock stands after every event time the tests use
    clock = new Date(T0 + 300_000);
  });
  afterEach(async () => {
    redis.disconnect();
    other.disconnect();
    await wipePrefix(prefix);
  });

  it('ordered events move a followed deploy to live; the record says when and why', async () => {
    const s = store();
    const d = await s.follow(deploy(g.deploy));
    expect(d).toMatchObject({ state: 'committed', deadline: at(600) });
    expect((await s.apply(flux('syncing', g.deploy, 5))).map((m) => m.moved?.to)).toEqual(['syncing']);
    const [m] = await s.apply(flux('live', g.deploy, 50));
    expect(m?.moved).toMatchObject({ from: 'syncing', to: 'live', eventAt: at(50), revision: g.deploy });
    const latest = await store(other).latest('web', 'prod');
    expect(latest).toMatchObject({ state: 'live', since: at(300), commit: g.deploy, version: 'v1.2.3' });
    expect(latest!.history.map((t) => t.to)).toEqual(['syncing', 'live']);
    // an event for another object, or for an environment that maps none, moves nothing
    expect(await s.apply(flux('degraded', g.deploy, 55, 'apps-qa'))).toEqual([]);
  });

  it('the same events shuffled and duplicated end in the same stored state', async () => {
    const events = [flux('syncing', g.deploy, 5), flux('live', g.deploy, 40), flux('degraded', g.child, 90), flux('live', g.child, 120)];
    const orders = [events, [...events].reverse(), [events[2]!, events[0]!, events[3]!, events[2]!, events[1]!, events[0]!]];
    const finals = [];
    for (const order of orders) {
      prefix = uniquePrefix('rollout');
      const s = store();
      await s.follow(deploy(g.deploy));
      for (const e of order) await s.apply(e);
      const d = (await s.latest('web', 'prod'))!;
      finals.push({ state: d.state, facts: d.facts });
      await wipePrefix(prefix);
    }
    expect(finals[0]).toMatchObject({ state: 'live', facts: { best: { revision: g.child, at: at(120) } } });
    expect(finals[1]).toEqual(finals[0]);
    expect(finals[2]).toEqual(finals[0]);
  });

  it('an event for the parent commit leaves it syncing; one for a child commit makes it live; degraded after live', async () => {
    const s = store();
    await s.follow(deploy(g.deploy));
    await s.apply(flux('syncing', g.deploy, 5));
    const [older] = await s.apply(flux('live', g.parent, 20));
    expect(older).toMatchObject({ ignored: 'older-revision', deploy: { state: 'syncing' } });
    expect((await s.latest('web', 'prod'))?.state).toBe('syncing');
    await s.apply(flux('live', g.child, 30));
    expect((await s.latest('web', 'prod'))?.state).toBe('live');
    const [deg] = await s.apply(flux('degraded', g.child, 45));
    expect(deg?.moved).toMatchObject({ from: 'live', to: 'degraded', message: 'degraded 45s' });
    expect((await s.latest('web', 'prod'))?.state).toBe('degraded');
  });

  it('times out when no event comes (injected clock), and only then; a deploy followed before a restart is still followed', async () => {
    await store().follow(deploy(g.deploy));
    clock = new Date(T0 + 599_000);
    expect(await store().expire()).toEqual([]);
    // "restart": a new connection and a new store know the deploy from Redis alone
    const after = store(other);
    clock = new Date(T0 + 600_000);
    const [m] = await after.expire();
    expect(m?.moved).toMatchObject({ from: 'committed', to: 'timedOut', eventAt: at(600) });
    expect(await after.expire()).toEqual([]);
    expect((await after.latest('web', 'prod'))?.state).toBe('timedOut');
    clock = new Date(T0 + 700_000);
    await after.apply(flux('live', g.deploy, 650));
    expect((await after.latest('web', 'prod'))?.state).toBe('timedOut');
  });

  it('two applies racing on two connections end in one consistent state (the newer event wins)', async () => {
    // both applies ask git at once and go on together, so both read the record before either writes it
    const git = gitAncestry({ dir: g.clone });
    let waiting: (() => void)[] = [];
    const together: IsAncestor = async (a, b) => {
      const answer = await git(a, b);
      await new Promise<void>((go) => {
        waiting.push(go);
        if (waiting.length === 2) waiting.splice(0).forEach((f) => f());
      });
      return answer;
    };
    for (let i = 0; i < 8; i++) {
      prefix = uniquePrefix('rollout');
      waiting = [];
      await store().follow(deploy(g.deploy));
      const a = new RolloutStore(redis, new Keys(prefix), config, together, () => clock);
      const b = new RolloutStore(other, new Keys(prefix), config, together, () => clock);
      const [first, second] = i % 2 ? [a, b] : [b, a];
      await Promise.all([first.apply(flux('live', g.child, 30)), second.apply(flux('degraded', g.child, 31))]);
      const d = (await store().latest('web', 'prod'))!;
      expect(d.state).toBe('degraded');
      expect(d.facts.best).toMatchObject({ revision: g.child, at: at(31) });
      expect(d.history.map((t) => t.to)).toEqual(d.history.length === 1 ? ['degraded'] : ['live', 'degraded']);
      await wipePrefix(prefix);
    }
  });

  it('a timeout racing an event dated before the deadline loses to it, in either order', async () => {
    for (const eventFirst of [true, false]) {
      prefix = uniquePrefix('rollout');
      await store().follow(deploy(g.deploy));
      clock = new Date(T0 + 700_000);
      const a = store(redis);
      const b = store(other);
      const steps = [() => a.apply(flux('live', g.deploy, 590)), () => b.expire()];
      if (eventFirst) for (const step of steps) await step();
      else await Promise.all(steps.reverse().map((step) => step()));
      const d = (await store().latest('web', 'prod'))!;
      expect(d.state).toBe('live');
      expect(await redis.zscore(new Keys(prefix).k('rollout', 'open'), d.id)).toBeNull();
      clock = new Date(T0 + 300_000);
      await wipePrefix(prefix);
    }
  });

  it('keeps the newest deploy per app and environment; the one it replaced stays for history with a TTL', async () => {
    const s = store();
    const first = (await s.follow(deploy(g.parent, { committedAt: at(0) })))!;
    const second = (await s.follow(deploy(g.deploy, { committedAt: at(100) })))!;
    expect(await s.follow(deploy(g.deploy, { committedAt: at(100) }))).toEqual(second); // following twice is harmless
    expect((await s.latest('web', 'prod'))?.id).toBe(second.id);
    expect((await s.history('prod')).map((d) => d.commit)).toEqual([g.deploy, g.parent]);
    const k = new Keys(prefix);
    expect(await redis.ttl(k.k('rollout', 'deploy', first.id))).toBeGreaterThan(29 * 86_400);
    expect(await redis.ttl(k.k('rollout', 'deploy', second.id))).toBe(-1);
    // an event for the child commit settles both: the older one was still waiting, and a later commit carries it
    const moves = await s.apply(flux('live', g.child, 200));
    expect(moves.map((m) => `${m.deploy.commit}:${m.moved?.to}`).sort()).toEqual([`${g.deploy}:live`, `${g.parent}:live`].sort());
  });

  it('an app with its own mapping follows its own object, not the environment’s', async () => {
    const s = store();
    await s.follow(deploy(g.deploy, { app: 'api' }));
    await s.follow(deploy(g.deploy));
    expect((await s.apply(flux('live', g.deploy, 30))).map((m) => m.deploy.app)).toEqual(['web']);
    expect((await s.apply(flux('live', g.deploy, 30, 'api-prod'))).map((m) => m.deploy.app)).toEqual(['api']);
    expect(await s.follow(deploy(g.deploy, { env: 'staging' }))).toBeUndefined(); // nothing shows staging
  });
});
