import { describe, expect, it } from 'vitest';
import { deliveryStats, quantile, type ReleaseLookup } from '../../src/queries/stats.js';
import { NO_FACTS, type RolloutState, type Transition } from '../../src/rollout/state.js';
import type { FollowedDeploy } from '../../src/rollout/store.js';

const T = Date.parse('2026-11-01T00:00:00Z');
const H = 3_600_000;
const at = (h: number) => new Date(T + h * H).toISOString();

let n = 0;
/** A followed deploy as the store keeps it, its moves given as [state, hour of the event]. */
function deploy(o: { app?: string; env?: string; version?: string; action?: FollowedDeploy['action']; committed: number; deadline?: number; moves: [RolloutState, number][] }): FollowedDeploy {
  const app = o.app ?? 'web';
  const env = o.env ?? 'prod';
  const commit = (++n).toString(16).padStart(40, '0');
  let state: RolloutState = 'committed';
  const history: Transition[] = o.moves.map(([to, h]) => {
    const t: Transition = { from: state, to, at: at(h + 0.01), eventAt: at(h) };
    state = to;
    return t;
  });
  return {
    id: `${app}:${env}:${commit}`,
    app,
    env,
    commit,
    ...(o.version !== undefined ? { version: o.version } : {}),
    action: o.action ?? 'promote',
    requestedAt: at(o.committed - 0.1),
    committedAt: at(o.committed),
    deadline: at(o.deadline ?? o.committed + 1),
    facts: NO_FACTS,
    state,
    since: history.at(-1)?.at ?? at(o.committed),
    history,
  };
}

const BUILT: Record<string, number> = { 'web v1': 0, 'web v2': 23, 'web v3': 47, 'api v10': 99 };
/** api v10's commit was made 10 h before its build: its lead time starts there */
const CHANGED: Record<string, number> = { 'api v10': 89 };
const releases: ReleaseLookup = (app, version) => {
  const h = BUILT[`${app} ${version}`];
  const c = CHANGED[`${app} ${version}`];
  return h === undefined ? undefined : { builtAt: at(h), ...(c !== undefined ? { changedAt: at(c) } : {}) };
};

/**
 * web in prod: d0 (before the window) degrades inside it and d1 restores it; d2 degrades and is
 * rolled back by d3; d4 times out and a late event shows it was live before the deadline; d5
 * never settles. api in prod: e1 fails and recovers by itself; e2 (no known release) is
 * committed in the window and goes live after it. api in staging: f1 degrades and stays so.
 */
const DEPLOYS = [
  deploy({ version: 'v0', committed: -5, moves: [['live', -4], ['degraded', 0.5]] }),
  deploy({ version: 'v1', committed: 1, moves: [['syncing', 1.2], ['live', 1.5]] }),
  deploy({ version: 'v2', committed: 24, moves: [['live', 25], ['degraded', 30]] }),
  deploy({ version: 'v1', action: 'rollback', committed: 31, moves: [['live', 32]] }),
  deploy({ version: 'v3', committed: 48, deadline: 49, moves: [['timedOut', 49], ['live', 48.5]] }),
  deploy({ version: 'v4', committed: 72, moves: [['syncing', 72.1]] }),
  deploy({ app: 'api', version: 'v10', committed: 100, moves: [['failed', 101], ['live', 103]] }),
  deploy({ app: 'api', version: 'v11', committed: 239, moves: [['live', 241]] }),
  deploy({ app: 'api', env: 'staging', version: 'v10', committed: 200, moves: [['live', 201], ['degraded', 210]] }),
];

const WINDOW = { from: new Date(at(0)), to: new Date(at(240)) };

describe('delivery stats from followed deploys', () => {
  it('computes every figure per app and environment and over all of them', () => {
    const s = deliveryStats([...DEPLOYS].reverse(), releases, WINDOW);
    expect(s.from).toBe(at(0));
    expect(s.to).toBe(at(240));
    expect(s.rows.map((r) => `${r.app}/${r.env}`)).toEqual(['api/prod', 'web/prod', 'api/staging']);
    const [apiProd, webProd, apiStaging] = s.rows;
    expect(webProd).toEqual({
      app: 'web',
      env: 'prod',
      // d1, d2, d3 (the rollback) and d4; d0 went live before the window, d5 never did
      deploys: 4,
      perDay: 0.4,
      // d1 1.5h, d2 2h, d4 1.5h (live by the late event's time); the rollback ships no change
      leadTime: { n: 3, p50: 1.5 * H, p90: 1.9 * H },
      // d2 degraded and was rolled back; d4's timeout was not a failure; d0 was committed before the window
      changeFailure: { failed: 1, ended: 4, ratio: 0.25 },
      // d0 degraded at 0.5h, d1 live at 1.5h; d2 degraded at 30h, the rollback live at 32h
      restore: { n: 2, p50: 1.5 * H, p90: 1.9 * H, open: 0 },
      unsettled: 1,
    });
    expect(apiProd).toEqual({
      app: 'api',
      env: 'prod',
      deploys: 1,
      perDay: 0.1,
      // from v10's commit (89 h), not its build (99 h), to live at 103 h
      leadTime: { n: 1, p50: 14 * H, p90: 14 * H },
      changeFailure: { failed: 1, ended: 2, ratio: 0.5 },
      // e1 failed at 101h and was live again at 103h by itself, before e2 went live
      restore: { n: 1, p50: 2 * H, p90: 2 * H, open: 0 },
      unsettled: 0,
    });
    expect(apiStaging).toEqual({
      app: 'api',
      env: 'staging',
      deploys: 1,
      perDay: 0.1,
      leadTime: { n: 1, p50: 112 * H, p90: 112 * H },
      changeFailure: { failed: 1, ended: 1, ratio: 1 },
      restore: { n: 0, open: 1 },
      unsettled: 0,
    });
    // totals pool the samples: leads 1.5, 1.5, 2, 14, 112 h; restores 1, 2, 2 h
    expect(s.total).toEqual({
      deploys: 6,
      perDay: 0.6,
      leadTime: { n: 5, p50: 2 * H, p90: 72.8 * H },
      changeFailure: { failed: 3, ended: 7, ratio: 3 / 7 },
      restore: { n: 3, p50: 2 * H, p90: 2 * H, open: 1 },
      unsettled: 1,
    });
  });

  it('counts only what happened in the window when the window cuts the histories', () => {
    const s = deliveryStats(DEPLOYS, releases, { from: new Date(at(31)), to: new Date(at(100)), app: 'web' });
    expect(s.rows).toHaveLength(1);
    expect(s.rows[0]).toMatchObject({
      // the rollback (live at 32h) and d4; d2 went live before the window
      deploys: 2,
      leadTime: { n: 1, p50: 1.5 * H },
      // d3, d4 and the open d5 were committed in it; d2 (rolled back) was committed before
      changeFailure: { failed: 0, ended: 2, ratio: 0 },
      // d2's failure began at 30h, before the window
      restore: { n: 0, open: 0 },
      unsettled: 1,
    });
    expect(s.rows[0]!.perDay).toBeCloseTo(2 / (69 / 24), 10);
  });

  it('a failure that began in the window counts with its restore, even one after the window; one not restored yet is open', () => {
    const cut = deliveryStats(DEPLOYS, releases, { from: new Date(at(25.5)), to: new Date(at(31.5)), env: 'prod', app: 'web' });
    expect(cut.rows).toHaveLength(1);
    // the rollback was committed at 31h (ended: it went live) and restored d2 at 32h
    expect(cut.rows[0]).toMatchObject({ deploys: 0, changeFailure: { failed: 0, ended: 1 }, restore: { n: 1, p50: 2 * H, open: 0 } });
    const open = deliveryStats(DEPLOYS.slice(0, 3), releases, { from: new Date(at(25.5)), to: new Date(at(31.5)) });
    expect(open.rows[0]).toMatchObject({ restore: { n: 0, open: 1 } });
    expect(open.rows[0]!.changeFailure.ratio).toBeUndefined();
  });

  it('has no rows and no ratios when nothing was followed in the window', () => {
    const s = deliveryStats(DEPLOYS, releases, { from: new Date(at(300)), to: new Date(at(400)) });
    expect(s.rows).toEqual([]);
    expect(s.total).toEqual({ deploys: 0, perDay: 0, leadTime: { n: 0 }, changeFailure: { failed: 0, ended: 0 }, restore: { n: 0, open: 0 }, unsettled: 0 });
  });

  it('interpolates quantiles between the closest ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 10);
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([], 0.5)).toBeUndefined();
  });
});

describe('delivery stats from records with unreadable times', () => {
  it('leaves such a time out of the figures instead of spoiling them', () => {
    const bad = deploy({ version: 'v2', committed: 1, moves: [['live', 2], ['degraded', 3]] });
    bad.history[1]!.eventAt = 'not a time';
    bad.history[1]!.at = 'not a time';
    const s = deliveryStats([bad], () => ({ builtAt: 'garbage' }), WINDOW);
    expect(s.total).toEqual({ deploys: 1, perDay: 0.1, leadTime: { n: 0 }, changeFailure: { failed: 1, ended: 1, ratio: 1 }, restore: { n: 0, open: 0 }, unsettled: 0 });
  });
});
