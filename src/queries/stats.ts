import type { Release } from '../domain/release.js';
import type { RolloutState, Transition } from '../rollout/state.js';
import type { FollowedDeploy } from '../rollout/store.js';
import type { QueryDeps } from './deps.js';

/**
 * Delivery metrics (the four DORA measures) from followed deploys: what Argo CD or Flux said
 * happened after each deploy commit, not what gantry asked for. Pure computation plus one reader.
 *
 * - deploys: deploys that went live (first `live` transition) in the window, rollbacks included;
 * - lead time: from the release's change time (`changeTime`: its commit, else its build) to live, for
 *   the deploys that went live in the window, rollbacks left out (they ship no change);
 * - change failure rate: of the deploys committed in the window whose rollout ended (settled or
 *   replaced by a rollback), those that went degraded, failed or timed out, or that the next
 *   deploy of the app in the environment rolled back;
 * - time to restore: from the app entering degraded/failed/timedOut in the environment to it
 *   being live again (the same deploy recovering, or any later deploy going live), for failures
 *   that began in the window; the ones not restored yet are counted, not guessed.
 */

export const DAY_MS = 86_400_000;
/** The window Prometheus' delivery gauges cover. */
export const METRICS_WINDOW_MS = 30 * DAY_MS;

/** A median and a 90th percentile (milliseconds) over `n` samples; absent when n is 0. */
export interface Spread {
  n: number;
  p50?: number;
  p90?: number;
}

export interface DeliveryFigures {
  /** deploys that went live in the window */
  deploys: number;
  perDay: number;
  leadTime: Spread;
  /** `ratio` absent when no deploy of the window ended */
  changeFailure: { failed: number; ended: number; ratio?: number };
  /** restored failures' spread (`p90` too); `open`: failures not restored yet */
  restore: Spread & { open: number };
  /** deploys committed in the window still rolling out */
  unsettled: number;
}

export interface DeliveryRow extends DeliveryFigures {
  app: string;
  env: string;
}

export interface DeliveryStats {
  from: string;
  to: string;
  /** one per app and environment with anything to show, by env then app */
  rows: DeliveryRow[];
  total: DeliveryFigures;
}

export interface StatsWindow {
  from: Date;
  to: Date;
  app?: string;
  env?: string;
}

export type ReleaseLookup = (app: string, version: string) => Pick<Release, 'builtAt' | 'changedAt'> | undefined;

/**
 * When the change a release carries was made: its commit's time as the push said it (releases
 * built from a tag or branch push); else, for releases registered by hand or by API or built by a
 * re-run, the build time, which leaves out the time between the commit and its build.
 */
export function changeTime(r: Pick<Release, 'builtAt' | 'changedAt'>): number {
  const changed = r.changedAt === undefined ? NaN : Date.parse(r.changedAt);
  return Number.isFinite(changed) ? changed : Date.parse(r.builtAt);
}

const BAD: ReadonlySet<RolloutState> = new Set(['degraded', 'failed', 'timedOut']);
const OPEN: ReadonlySet<RolloutState> = new Set(['committed', 'syncing']);

/** When a move happened: the event behind it where known (the deadline for a timeout), else when it was recorded. */
const timeOf = (t: Transition): number => Date.parse(t.eventAt ?? t.at);

/** When the deploy first went live, if it did. */
function liveAt(d: FollowedDeploy): number | undefined {
  const t = d.history.find((x) => x.to === 'live');
  return t && timeOf(t);
}

/** Each time the deploy went bad (from a good or open state), and when it was live again by itself. */
function episodes(d: FollowedDeploy): { start: number; end?: number }[] {
  const out: { start: number; end?: number }[] = [];
  let bad = false;
  for (const t of d.history) {
    const nowBad = BAD.has(t.to);
    const open = out.at(-1);
    if (nowBad && !bad) out.push({ start: timeOf(t) });
    else if (nowBad && open) open.start = Math.min(open.start, timeOf(t));
    else if (!nowBad && bad && open && t.to === 'live') {
      // timedOut → live for an event dated before the deadline: it was live in time, no failure
      if (t.from === 'timedOut' && timeOf(t) <= Date.parse(d.deadline) && out.length > 0) out.pop();
      else open.end = timeOf(t);
    }
    bad = nowBad;
  }
  return out;
}

/** What one app in one environment contributes: samples, so totals pool them rather than average figures. */
interface Samples {
  deploys: number;
  leads: number[];
  failed: number;
  ended: number;
  restores: number[];
  open: number;
  unsettled: number;
}

const noSamples = (): Samples => ({ deploys: 0, leads: [], failed: 0, ended: 0, restores: [], open: 0, unsettled: 0 });

/** One app's deploys in one environment, oldest first. */
function samplesOf(group: FollowedDeploy[], releases: ReleaseLookup, from: number, to: number): Samples {
  const s = noSamples();
  const inWindow = (t: number | undefined): t is number => t !== undefined && t >= from && t < to;
  const lives = group.map(liveAt);
  group.forEach((d, i) => {
    const live = lives[i];
    if (inWindow(live)) {
      s.deploys++;
      const release = d.action !== 'rollback' && d.version !== undefined ? releases(d.app, d.version) : undefined;
      const lead = release ? live - changeTime(release) : NaN;
      // a record with an unreadable time is left out, never a NaN that would spoil every figure
      if (Number.isFinite(lead)) s.leads.push(Math.max(0, lead));
    }
    const eps = episodes(d);
    const rolledBack = group[i + 1]?.action === 'rollback';
    if (inWindow(Date.parse(d.committedAt))) {
      if (OPEN.has(d.state) && !rolledBack) s.unsettled++;
      else {
        s.ended++;
        if (rolledBack || eps.length > 0 || BAD.has(d.state)) s.failed++;
      }
    }
    for (const e of eps) {
      if (!inWindow(e.start)) continue;
      // the app is back when this deploy recovers or any later one goes live, whichever comes first
      const later = group.slice(i + 1).flatMap((n) => n.history.filter((t) => t.to === 'live').map(timeOf));
      const ends = [...(e.end !== undefined ? [e.end] : []), ...later].filter((t) => t >= e.start);
      if (ends.length === 0) s.open++;
      else s.restores.push(Math.min(...ends) - e.start);
    }
  });
  return s;
}

/** The p-quantile by linear interpolation between the closest ranks (median of 1, 2, 3, 4 is 2.5). */
export function quantile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0 };
  // whole milliseconds: durations are not known finer, and figures then compare exactly
  return { n: sorted.length, p50: Math.round(quantile(sorted, 0.5)!), p90: Math.round(quantile(sorted, 0.9)!) };
}

function figures(s: Samples, days: number): DeliveryFigures {
  return {
    deploys: s.deploys,
    perDay: days > 0 ? s.deploys / days : 0,
    leadTime: spread(s.leads),
    changeFailure: { failed: s.failed, ended: s.ended, ...(s.ended > 0 ? { ratio: s.failed / s.ended } : {}) },
    restore: { ...spread(s.restores), open: s.open },
    unsettled: s.unsettled,
  };
}

const hasAny = (s: Samples): boolean => s.deploys + s.ended + s.unsettled + s.restores.length + s.open > 0;

/** The four measures per app and environment and over all of them, for deploys of any environment and app. */
export function deliveryStats(deploys: readonly FollowedDeploy[], releases: ReleaseLookup, w: StatsWindow): DeliveryStats {
  const from = w.from.getTime();
  const to = w.to.getTime();
  const groups = new Map<string, FollowedDeploy[]>();
  for (const d of deploys) {
    if ((w.app !== undefined && d.app !== w.app) || (w.env !== undefined && d.env !== w.env)) continue;
    const key = `${d.env}\u0000${d.app}`;
    const g = groups.get(key);
    if (g) g.push(d);
    else groups.set(key, [d]);
  }
  const days = (to - from) / DAY_MS;
  const rows: DeliveryRow[] = [];
  const total = noSamples();
  for (const key of [...groups.keys()].sort()) {
    const group = groups.get(key)!.sort((a, b) => Date.parse(a.committedAt) - Date.parse(b.committedAt) || (a.id < b.id ? -1 : 1));
    const s = samplesOf(group, releases, from, to);
    if (!hasAny(s)) continue;
    rows.push({ app: group[0]!.app, env: group[0]!.env, ...figures(s, days) });
    total.deploys += s.deploys;
    total.leads.push(...s.leads);
    total.failed += s.failed;
    total.ended += s.ended;
    total.restores.push(...s.restores);
    total.open += s.open;
    total.unsettled += s.unsettled;
  }
  return { from: w.from.toISOString(), to: w.to.toISOString(), rows, total: figures(total, days) };
}

/**
 * The measures over the `periodMs` before now for `apps` in `envs`, from the followed deploys
 * the rollout store keeps (90 days) and the releases' catalog.
 */
export async function statsOf(
  d: Pick<QueryDeps, 'rollouts' | 'releases' | 'now'>,
  apps: readonly string[],
  envs: readonly string[],
  periodMs: number,
): Promise<DeliveryStats> {
  const to = d.now();
  const from = new Date(to.getTime() - periodMs);
  const wanted = new Set(apps);
  const deploys = (await Promise.all(envs.map((env) => d.rollouts.history(env)))).flat().filter((x) => wanted.has(x.app));
  const pairs = new Map<string, { app: string; version: string }>();
  for (const x of deploys) {
    if (x.version !== undefined && x.action !== 'rollback') pairs.set(`${x.app}\u0000${x.version}`, { app: x.app, version: x.version });
  }
  const found = new Map<string, Release>();
  await Promise.all(
    [...pairs].map(async ([key, p]) => {
      const r = await d.releases.get(p.app, p.version);
      if (r) found.set(key, r);
    }),
  );
  return deliveryStats(deploys, (app, version) => found.get(`${app}\u0000${version}`), { from, to });
}
