import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDeliveryGauges } from '../../src/http/delivery-metrics.js';
import { metricsRoute } from '../../src/http/metrics.js';
import type { DeliveryStats } from '../../src/queries/stats.js';
import type { IsAncestor } from '../../src/rollout/revision.js';
import type { RolloutEvent } from '../../src/rollout/state.js';
import { RolloutStore, type FollowInput } from '../../src/rollout/store.js';
import { Keys } from '../../src/store/redis.js';
import { startHarness, type Harness } from '../support/harness.js';
import { serve } from '../http/serve.js';

const FLUX_PROD = { kind: 'Kustomization', namespace: 'flux-system', name: 'apps-prod' };
const T0 = Date.parse('2026-11-20T00:00:00Z');
const H = 3_600_000;
const at = (h: number) => new Date(T0 + h * H).toISOString();
const sha = (n: number) => n.toString(16).padStart(40, 'c');

/** Deploy commits on one line of history, in the order they were made: an older one is an ancestor of a newer one. */
const linear: IsAncestor = async (a, b) => a <= b;

/** The value of one sample line (`name{labels} value`), or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * Followed deploys written through the real RolloutStore on a real redis-server, then read back by
 * `/stats` through the command path and by a Prometheus scrape of GET /metrics.
 */
describe('/stats and the delivery gauges over followed deploys (real redis-server)', () => {
  let h: Harness;
  let clock = new Date(T0);
  let store: RolloutStore;
  let srv: Awaited<ReturnType<typeof serve>>;

  const follow = (n: number, o: { version: string; action?: FollowInput['action']; committed: number }) =>
    store.follow({ app: 'web', env: 'prod', commit: sha(n), version: o.version, action: o.action ?? 'promote', requestedAt: at(o.committed - 0.1), committedAt: at(o.committed) });
  /** Flux says `phase` of the deploy commit `n` at hour `h`; the clock is then a minute past it. */
  const flux = async (n: number, phase: RolloutEvent['phase'], h: number) => {
    clock = new Date(T0 + h * H + 60_000);
    const e: RolloutEvent = { source: 'flux', object: FLUX_PROD, revision: `main@sha1:${sha(n)}`, phase, message: phase, at: at(h) };
    return store.apply(e);
  };

  beforeAll(async () => {
    h = await startHarness({
      name: 'stats',
      workers: false,
      now: () => clock,
      edit: (d) => {
        d.environments.prod.rollout = { flux: FLUX_PROD, timeout: '1h' };
      },
    });
    store = new RolloutStore(h.gantry.redis, new Keys(h.gantry.prefix), h.config, linear, () => clock);
    srv = await serve([metricsRoute(h.gantry.metrics)]);
    await h.release('v1.0.0', { builtAt: at(0) });
    await h.release('v1.1.0', { builtAt: at(24) });
    await h.release('v1.2.0', { builtAt: at(48) });
    // v1.0.0 live 1.5 h after its build
    await follow(1, { version: 'v1.0.0', committed: 1 });
    await flux(1, 'live', 1.5);
    // v1.1.0 live 2 h after its build, degraded at 30 h, rolled back to v1.0.0: live again at 32 h
    await follow(2, { version: 'v1.1.0', committed: 25 });
    await flux(2, 'live', 26);
    await flux(2, 'degraded', 30);
    await follow(3, { version: 'v1.0.0', action: 'rollback', committed: 31 });
    await flux(3, 'live', 32);
    // v1.2.0 is still syncing
    await follow(4, { version: 'v1.2.0', committed: 49 });
    await flux(4, 'syncing', 49.1);
    clock = new Date(T0 + 49.5 * H);
    expect((await store.history('prod')).map((d) => d.state)).toEqual(['syncing', 'live', 'degraded', 'live']);
  });
  afterAll(async () => {
    await srv?.close();
    await h?.close();
  });

  it('/stats web prod answers the four measures with their sample sizes', async () => {
    const reply = await h.run('carol', '/stats web prod');
    expect(reply).toMatchObject({ ok: true, kind: 'stats', apps: ['web'], envs: ['prod'], period: 30 * 24 * H });
    expect(reply.text).toBe(
      [
        'Delivery of web in prod, last 30d (Oct 23, 2026, 01:30 UTC to Nov 22, 2026, 01:30 UTC):',
        'web in prod',
        '  deploys: 3 live, 0.1 a day (1 still rolling out)',
        '  lead time, change to live: median 1h 45m, p90 1h 57m (2 deploys)',
        '  change failure rate: 33% (1 of 3 ended deploys failed or were rolled back)',
        '  time to restore: median 2h, p90 2h (1 failure restored)',
      ].join('\n'),
    );
  });

  it('a shorter period counts what happened in it', async () => {
    const reply = await h.run('carol', '/stats prod 24h');
    expect(reply.text.split('\n').slice(1)).toEqual([
      'web in prod',
      // v1.1.0 live at 26 h and the rollback at 32 h; v1.0.0 went live before the period
      '  deploys: 2 live, 2 a day (1 still rolling out)',
      '  lead time, change to live: median 2h, p90 2h (1 deploy)',
      // committed in it: the rollback (live) and v1.2.0 (still syncing); v1.1.0 was committed before
      '  change failure rate: 0% (0 of 1 ended deploys failed or were rolled back)',
      '  time to restore: median 2h, p90 2h (1 failure restored)',
    ]);
  });

  it('an environment gantry does not follow says so and how to set it up, with no figures', async () => {
    const reply = await h.run('carol', '/stats qa 7d');
    expect(reply.ok).toBe(true);
    expect(reply.text).toMatch(/^No followed deploys of web in qa in the last 7d\. .*Argo CD application or Flux object/);
    expect(reply.text).not.toMatch(/\d+%|median/);
  });

  it('a bad period is a usage error that changes nothing', async () => {
    const reply = await h.run('carol', '/stats web prod 91d');
    expect(reply).toMatchObject({ ok: false, code: 'COMMAND_USAGE' });
    expect(reply.text).toBe('"91d" is not a period: give hours or days, from 1h to 90d (24h, 7d, 30d)\nusage: /stats [app] [env] [period]');
  });

  it('GET /metrics shows the 30-day gauges per app and environment', async () => {
    const res = await fetch(`${srv.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const web = 'app="web",env="prod"';
    expect(sample(text, `gantry_deployments_30d{${web}}`)).toBe(3);
    expect(sample(text, `gantry_lead_time_seconds{${web},quantile="0.5"}`)).toBe(1.75 * 3600);
    expect(sample(text, `gantry_lead_time_seconds{${web},quantile="0.9"}`)).toBe(1.95 * 3600);
    expect(sample(text, `gantry_change_failure_ratio{${web}}`)).toBeCloseTo(1 / 3, 12);
    expect(sample(text, `gantry_time_to_restore_seconds{${web},quantile="0.5"}`)).toBe(2 * 3600);
    expect(sample(text, `gantry_failures_unrestored{${web}}`)).toBe(0);
    // nothing followed in qa or staging: no series, rather than zeros
    expect(text).not.toMatch(/env="(qa|staging)"/);
  });
});

describe('delivery gauges: one computation per 30 s', () => {
  const stats = (deploys: number): DeliveryStats => ({
    from: at(0),
    to: at(720),
    rows: [{ app: 'web', env: 'prod', deploys, perDay: deploys / 30, leadTime: { n: 0 }, changeFailure: { failed: 0, ended: 0 }, restore: { n: 0, open: 0 }, unsettled: 0 }],
    total: { deploys, perDay: deploys / 30, leadTime: { n: 0 }, changeFailure: { failed: 0, ended: 0 }, restore: { n: 0, open: 0 }, unsettled: 0 },
  });

  it('serves the cached figures within 30 s, new ones after, and no series after a failed read', async () => {
    const registry = new Registry();
    let now = 0;
    const answers: (DeliveryStats | Error)[] = [stats(3), stats(4), new Error('redis down'), stats(5)];
    const failures: string[] = [];
    registerDeliveryGauges(
      registry,
      async () => {
        const next = answers.shift()!;
        if (next instanceof Error) throw next;
        return next;
      },
      (err) => failures.push(String(err)),
      () => now,
    );
    const deploys = async () => sample(await registry.metrics(), 'gantry_deployments_30d{app="web",env="prod"}');
    expect(await deploys()).toBe(3);
    now = 29_999;
    expect(await deploys()).toBe(3);
    now = 30_000;
    expect(await deploys()).toBe(4);
    now = 60_000;
    expect(await deploys()).toBeUndefined();
    expect(failures).toEqual(['Error: redis down']);
    // a failure is not kept: the next scrape reads again
    now = 60_001;
    expect(await deploys()).toBe(5);
    // without a lead time sample or an ended deploy, those series are absent, not 0
    expect(await registry.metrics()).not.toMatch(/gantry_lead_time_seconds\{|gantry_change_failure_ratio\{/);
  });
});
