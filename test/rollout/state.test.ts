import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitOf, gitAncestry, RevisionUnknown } from '../../src/rollout/revision.js';
import {
  applyDeadline,
  applyEvent,
  NO_FACTS,
  relate,
  TRANSITIONS,
  type Relation,
  type Rollout,
  type RolloutEvent,
} from '../../src/rollout/state.js';
import { makeGitChain, type GitChain } from './git-chain.js';

const T0 = Date.parse('2025-03-01T12:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const NOW = new Date(T0 + 3600_000);

function ev(phase: RolloutEvent['phase'], revision: string | undefined, seconds: number, extra: Partial<RolloutEvent> = {}): RolloutEvent {
  return {
    source: 'flux',
    object: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps-prod' },
    ...(revision !== undefined ? { revision: `main@sha1:${revision}` } : {}),
    phase,
    message: `${phase} at ${seconds}s`,
    at: at(seconds),
    ...extra,
  };
}

function fresh(commit: string, timeoutS = 600): Rollout {
  return { commit, deadline: at(timeoutS), facts: NO_FACTS, state: 'committed', since: at(0), history: [] };
}

/** All orders of `xs`. */
function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('rollout state machine (real git ancestry)', () => {
  let g: GitChain;
  let isAncestor: ReturnType<typeof gitAncestry>;
  beforeAll(async () => {
    g = await makeGitChain('rollout-state');
    isAncestor = gitAncestry({ dir: g.clone });
  });
  afterAll(() => g.remove());

  /** Feeds events to a rollout of `commit`, asking git how each revision stands to it. */
  async function feed(r: Rollout, events: RolloutEvent[], now = NOW): Promise<Rollout> {
    for (const e of events) applyEvent(r, e, await relate(r.commit, e.revision, isAncestor), now);
    return r;
  }

  it('ordered events: committed → syncing → live, each move in the history', async () => {
    const r = await feed(fresh(g.deploy), [ev('syncing', g.deploy, 5), ev('live', g.deploy, 40)]);
    expect(r.state).toBe('live');
    expect(r.history.map((t) => `${t.from}→${t.to}`)).toEqual(['committed→syncing', 'syncing→live']);
    expect(r.history[1]).toMatchObject({ eventAt: at(40), revision: g.deploy, message: 'live at 40s' });
  });

  it('the same events shuffled and duplicated end in the same state, decided by the same event', async () => {
    const events = [ev('syncing', g.deploy, 5), ev('live', g.deploy, 40), ev('degraded', g.child, 90), ev('live', g.child, 120), ev('syncing', g.child, 100)];
    const relations = new Map<RolloutEvent, Relation>();
    for (const e of events) relations.set(e, await relate(g.deploy, e.revision, isAncestor));
    const outcomes = new Set<string>();
    for (const order of permutations(events)) {
      const r = fresh(g.deploy);
      // every event twice: once in this order, then again backwards
      for (const e of [...order, ...order.slice().reverse()]) applyEvent(r, e, relations.get(e)!, NOW);
      outcomes.add(JSON.stringify({ state: r.state, facts: r.facts }));
    }
    expect(outcomes.size).toBe(1);
    expect(JSON.parse([...outcomes][0]!)).toMatchObject({ state: 'live', facts: { best: { at: at(120), revision: g.child } } });
  });

  it('an event for the parent of the deploy commit does not make it live: it stays syncing', async () => {
    const r = await feed(fresh(g.deploy), [ev('syncing', g.deploy, 5), ev('live', g.parent, 30)]);
    expect(r.state).toBe('syncing');
    expect(await relate(g.deploy, g.parent, isAncestor)).toBe('older');
    expect(await relate(g.deploy, g.side, isAncestor)).toBe('older'); // another line of history
  });

  it('an event for a child commit (which carries the deploy) makes it live', async () => {
    const r = await feed(fresh(g.deploy), [ev('live', g.child, 30)]);
    expect(r.state).toBe('live');
    expect(r.history.map((t) => t.to)).toEqual(['live']);
  });

  it('live can turn degraded and live again; syncing never follows live, a stale event changes nothing', async () => {
    const r = await feed(fresh(g.deploy), [ev('live', g.deploy, 30), ev('degraded', g.deploy, 60)]);
    expect(r.state).toBe('degraded');
    await feed(r, [ev('syncing', g.deploy, 70), ev('live', g.deploy, 50)]);
    expect(r.state).toBe('degraded');
    await feed(r, [ev('live', g.deploy, 80)]);
    expect(r.state).toBe('live');
    expect(r.history.map((t) => t.to)).toEqual(['live', 'degraded', 'live']);
  });

  it('synced but not yet healthy is still rolling out; a failed sync is failed', async () => {
    const r = await feed(fresh(g.deploy), [ev('live', g.deploy, 20, { healthy: false })]);
    expect(r.state).toBe('syncing');
    await feed(r, [ev('failed', g.deploy, 30)]);
    expect(r.state).toBe('failed');
  });

  it('times out at the deadline when no event comes; an event dated before the deadline still counts, one after does not', async () => {
    const r = fresh(g.deploy, 600);
    await feed(r, [ev('syncing', g.deploy, 5)]);
    expect(applyDeadline(r, new Date(T0 + 599_000))).toBeUndefined();
    expect(r.state).toBe('syncing');
    expect(applyDeadline(r, new Date(T0 + 600_000))).toMatchObject({ from: 'syncing', to: 'timedOut', eventAt: at(600) });
    await feed(r, [ev('live', g.deploy, 700)]);
    expect(r.state).toBe('timedOut');
    await feed(r, [ev('live', g.deploy, 590)]); // it was live in time; the event came late
    expect(r.state).toBe('live');
    // the newest event decides among settled states, the late one included
    expect(r.facts.best?.at).toBe(at(700));
    expect(applyDeadline(r, new Date(T0 + 900_000))).toBeUndefined();
    expect(r.state).toBe('live');
  });

  it('an event dated in the future is read as now, so it cannot outrank the real ones after it', async () => {
    const r = await feed(fresh(g.deploy), [ev('degraded', g.deploy, 99_999)], new Date(T0 + 30_000));
    await feed(r, [ev('live', g.deploy, 40)], new Date(T0 + 40_000));
    expect(r.state).toBe('live');
  });

  it('a revision the clone does not have is unknown and changes nothing; after one fetch it is known', async () => {
    const r = await feed(fresh(g.deploy), [ev('live', g.later, 30)]);
    expect(r.state).toBe('committed');
    expect(await relate(g.deploy, g.later, isAncestor)).toBe('unknown');
    await expect(isAncestor(g.deploy, g.later)).rejects.toBeInstanceOf(RevisionUnknown);
    const fetching = gitAncestry({ dir: g.clone, fetch: g.fetch });
    expect(await relate(g.deploy, g.later, fetching)).toBe('carries');
    expect(g.fetches()).toBe(1);
    // a commit that exists nowhere: one fetch, then still unknown, never a guess
    expect(await relate(g.deploy, 'f'.repeat(40), fetching)).toBe('unknown');
    expect(g.fetches()).toBe(2);
  });

  it('events without a readable revision change nothing; hostile revisions never reach git', async () => {
    const r = await feed(fresh(g.deploy), [
      ev('live', undefined, 30),
      { ...ev('live', undefined, 31), revision: '--upload-pack=touch /tmp/x' },
      { ...ev('live', undefined, 32), revision: g.deploy.slice(0, 7) },
    ]);
    expect(r.state).toBe('committed');
    expect(commitOf(`main/${g.deploy}`)).toBe(g.deploy);
    expect(commitOf(g.deploy.toUpperCase())).toBe(g.deploy);
    expect(commitOf('main@sha1:--exec')).toBeUndefined();
    await expect(isAncestor('--all', g.deploy)).rejects.toBeInstanceOf(RevisionUnknown);
  });

  it('random histories: any order and any duplication give one state, and every move is an allowed one', async () => {
    const pool = [g.deploy, g.child, g.parent, g.side];
    const relations = new Map<string, Relation>();
    for (const sha of pool) relations.set(sha, await relate(g.deploy, sha, isAncestor));
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const phases: RolloutEvent['phase'][] = ['syncing', 'live', 'degraded', 'failed'];
    for (let round = 0; round < 200; round++) {
      const events = Array.from({ length: 1 + rand(6) }, () => ev(phases[rand(4)]!, pool[rand(4)]!, rand(900), { healthy: rand(3) !== 0 }));
      const results = new Set<string>();
      for (let k = 0; k < 6; k++) {
        const r = fresh(g.deploy, 600);
        const order = events.map((e) => ({ e, key: rand(1000) })).sort((a, b) => a.key - b.key).map((x) => x.e);
        const expireAt = rand(order.length + 1);
        order.forEach((e, i) => {
          if (i === expireAt) applyDeadline(r, NOW);
          applyEvent(r, e, relations.get(commitOf(e.revision!)!)!, NOW);
          if (rand(2)) applyEvent(r, e, relations.get(commitOf(e.revision!)!)!, NOW);
        });
        applyDeadline(r, NOW);
        for (const t of r.history) expect(TRANSITIONS[t.from]).toContain(t.to);
        results.add(r.state);
      }
      expect([...results], JSON.stringify(events)).toHaveLength(1);
    }
  });
});
