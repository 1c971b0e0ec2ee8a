import { commitOf, RevisionUnknown, type IsAncestor } from './revision.js';

/**
 * A deploy's life after the commit: committed → syncing → live | degraded | failed | timedOut.
 *
 * Events arrive duplicated, late and out of order, so the state is not "the last event's phase":
 * it is derived from facts that only grow (a revision carrying the commit was seen syncing; the
 * newest settled event, by its own time; whether one settled in time; whether the deadline
 * passed). Folding the same events in any order, any number of times, gives the same facts, so
 * the same state; and because facts only grow, a deploy never moves backwards.
 */

/** The normalized event from Flux or Argo CD (src/rollout/events.ts; these fields are all this module reads). */
export interface RolloutEvent {
  source: 'flux' | 'argocd';
  object: { kind: string; namespace?: string; name: string };
  revision?: string;
  phase: 'syncing' | 'live' | 'degraded' | 'failed';
  healthy?: boolean;
  message: string;
  at: string;
}

export type RolloutState = 'committed' | 'syncing' | 'live' | 'degraded' | 'failed' | 'timedOut';
export type SettledState = 'live' | 'degraded' | 'failed';

/** The states in which a deploy counts as failed (an automatic rollback may answer them). */
export const FAILED_STATES: ReadonlySet<RolloutState> = new Set(['degraded', 'failed', 'timedOut']);

/** The order of a deploy's life: a move never goes to a lower rank. */
export const RANK: Readonly<Record<RolloutState, number>> = { committed: 0, syncing: 1, live: 2, degraded: 2, failed: 2, timedOut: 2 };

/**
 * Every move the facts can make. Among settled states the newest event wins (live ↔ degraded ↔
 * failed). timedOut comes only from committed/syncing; it gives way to a settled state only for
 * an event dated before the deadline (the deploy was in fact live in time; the event came late).
 */
export const TRANSITIONS: Readonly<Record<RolloutState, readonly RolloutState[]>> = {
  committed: ['syncing', 'live', 'degraded', 'failed', 'timedOut'],
  syncing: ['live', 'degraded', 'failed', 'timedOut'],
  live: ['degraded', 'failed'],
  degraded: ['live', 'failed'],
  failed: ['live', 'degraded'],
  timedOut: ['live', 'degraded', 'failed'],
};

/** At the same instant, the worse news wins, so ties do not depend on arrival order. */
const TIE: Readonly<Record<SettledState, number>> = { live: 0, degraded: 1, failed: 2 };

/** The settled event that decides the state: the newest by (time, TIE). */
export interface Settled {
  state: SettledState;
  at: string;
  revision: string;
  source: RolloutEvent['source'];
  healthy?: boolean;
  message: string;
}

export interface RolloutFacts {
  /** when a revision carrying the commit was first seen syncing */
  syncingAt?: string;
  best?: Settled;
  /** some settled event was dated no later than the deadline */
  inTime: boolean;
  /** expire() found the deadline passed */
  expired: boolean;
}

export const NO_FACTS: RolloutFacts = { inTime: false, expired: false };

/** Facts with their keys always in one order, so equal facts are equal JSON (the store compares records as text). */
function facts(f: RolloutFacts): RolloutFacts {
  return {
    ...(f.syncingAt !== undefined ? { syncingAt: f.syncingAt } : {}),
    ...(f.best !== undefined ? { best: f.best } : {}),
    inTime: f.inTime,
    expired: f.expired,
  };
}

/** How an event's revision stands to the deploy commit. */
export type Relation = 'carries' | 'older' | 'unknown' | 'none';

/**
 * `carries` when the revision is the deploy commit or a descendant of it (a later commit carries
 * it too); `older` when it does not contain the commit (an ancestor, or another line of history);
 * `unknown` when the clone does not have it (fetch, then ask again: never guess); `none` when the
 * event names no readable revision (it cannot say which commit it speaks of).
 */
export async function relate(commit: string, revision: string | undefined, isAncestor: IsAncestor): Promise<Relation> {
  const sha = revision === undefined ? undefined : commitOf(revision);
  if (sha === undefined) return 'none';
  if (sha === commit.toLowerCase()) return 'carries';
  try {
    return (await isAncestor(commit.toLowerCase(), sha)) ? 'carries' : 'older';
  } catch (e) {
    if (e instanceof RevisionUnknown) return 'unknown';
    throw e;
  }
}

export function stateOf(f: RolloutFacts): RolloutState {
  if (f.best && f.inTime) return f.best.state;
  // a settled event dated after the deadline implies the deadline passed (times are clamped to now)
  if (f.expired || f.best) return 'timedOut';
  return f.syncingAt !== undefined ? 'syncing' : 'committed';
}

/** Why an event left the facts as they were. */
export type Ignored = 'older-revision' | 'unknown-revision' | 'no-revision' | 'bad-time' | 'no-news';

/**
 * The facts after `event`, whose revision stands to the commit as `relation`. The event's time is
 * clamped to `now`: a clock running ahead cannot date an event into the future and so outrank
 * the real ones that follow.
 */
export function foldEvent(
  f: RolloutFacts,
  deadline: string,
  event: RolloutEvent,
  relation: Relation,
  now: Date,
): { facts: RolloutFacts; ignored?: Ignored } {
  if (relation === 'older') return { facts: f, ignored: 'older-revision' };
  if (relation === 'unknown') return { facts: f, ignored: 'unknown-revision' };
  if (relation === 'none') return { facts: f, ignored: 'no-revision' };
  const ms = Date.parse(event.at);
  if (!Number.isFinite(ms)) return { facts: f, ignored: 'bad-time' };
  const at = new Date(Math.min(ms, now.getTime())).toISOString();
  const to = phaseOf(event);
  if (to === 'syncing') {
    if (f.syncingAt !== undefined && f.syncingAt <= at) return { facts: f, ignored: 'no-news' };
    return { facts: facts({ ...f, syncingAt: at }) };
  }
  const settled: Settled = {
    state: to,
    at,
    revision: commitOf(event.revision!)!,
    source: event.source,
    ...(event.healthy !== undefined ? { healthy: event.healthy } : {}),
    message: event.message.slice(0, 500),
  };
  const inTime = f.inTime || Date.parse(at) <= Date.parse(deadline);
  const newer = !f.best || outranks(settled, f.best);
  if (!newer && inTime === f.inTime) return { facts: f, ignored: 'no-news' };
  return { facts: facts({ ...f, inTime, ...(newer ? { best: settled } : {}) }) };
}

/** Newer first, then worse news, then (same instant, same news) any fixed order, so arrival order never decides. */
function outranks(a: Settled, b: Settled): boolean {
  if (a.at !== b.at) return a.at > b.at;
  if (a.state !== b.state) return TIE[a.state] > TIE[b.state];
  return `${a.revision}\u0000${a.message}` > `${b.revision}\u0000${b.message}`;
}

/** The facts at `now`: past the deadline the deploy has timed out unless it settled in time. */
export function foldDeadline(f: RolloutFacts, deadline: string, now: Date): RolloutFacts {
  if (f.expired || now.getTime() < Date.parse(deadline)) return f;
  return facts({ ...f, expired: true });
}

/**
 * What an event says the deploy is: its phase, except that "synced but not healthy (yet)" is
 * still rolling out; live means live and healthy (or no health known).
 */
function phaseOf(e: RolloutEvent): 'syncing' | SettledState {
  return e.phase === 'live' && e.healthy === false ? 'syncing' : e.phase;
}

/** One move of a deploy, kept in its history. */
export interface Transition {
  from: RolloutState;
  to: RolloutState;
  /** when the move was recorded */
  at: string;
  /** the event time behind it (the deadline for a timeout) */
  eventAt?: string;
  revision?: string;
  message?: string;
}

/** What the state machine keeps of one deploy; the store adds who, what and where. */
export interface Rollout {
  commit: string;
  deadline: string;
  facts: RolloutFacts;
  state: RolloutState;
  /** when `state` was entered */
  since: string;
  history: Transition[];
}

/** Flapping health would grow the history without end: the newest moves are what anyone reads. */
const HISTORY_MAX = 50;

/** Sets `r.facts` to `next` and records the move its state makes, if any; returns it. */
export function settle(r: Rollout, next: RolloutFacts, now: Date): Transition | undefined {
  r.facts = next;
  const to = stateOf(next);
  if (to === r.state) return undefined;
  if (!TRANSITIONS[r.state].includes(to)) throw new Error(`rollout of ${r.commit}: ${r.state} → ${to} is not a move`);
  const best = next.best;
  const cause =
    to === 'syncing'
      ? { eventAt: next.syncingAt }
      : to === 'timedOut' || !best
        ? { eventAt: r.deadline }
        : { eventAt: best.at, revision: best.revision, message: best.message };
  const t: Transition = { from: r.state, to, at: now.toISOString(), ...cause };
  r.state = to;
  r.since = t.at;
  r.history = [...r.history, t].slice(-HISTORY_MAX);
  return t;
}

/** Applies an event to `r` (in place); the move it made, or why it made none. */
export function applyEvent(r: Rollout, event: RolloutEvent, relation: Relation, now: Date): { moved?: Transition; ignored?: Ignored } {
  const { facts, ignored } = foldEvent(r.facts, r.deadline, event, relation, now);
  if (ignored) return { ignored };
  const moved = settle(r, facts, now);
  return moved ? { moved } : {};
}

/** Times `r` out when `now` is past its deadline and it has not settled in time. */
export function applyDeadline(r: Rollout, now: Date): Transition | undefined {
  const facts = foldDeadline(r.facts, r.deadline, now);
  return facts === r.facts ? undefined : settle(r, facts, now);
}
