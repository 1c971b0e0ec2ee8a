import type { Redis } from 'ioredis';
import type { DeployRequest } from '../domain/deploy.js';
import type { Actor } from '../domain/identity.js';
import { GantryError } from '../domain/errors.js';
import { msg } from '../i18n/voice.js';
import type { Keys } from '../store/redis.js';
import { watchersOf, watchFor, type RolloutConfig } from './config.js';
import { applyDeadline, applyEvent, NO_FACTS, relate } from './state.js';
import type { Ignored, Relation, Rollout, RolloutEvent, RolloutState, Transition } from './state.js';
import type { IsAncestor } from './revision.js';

/** Who asked for a deploy and through what: its thread, its requester, its approval. */
export interface DeployOrigin {
  requestId?: string;
  action?: DeployRequest['action'];
  requestedBy?: Actor;
  approval?: string;
}

/** A deploy gantry follows until Argo CD or Flux says how it went. */
export interface FollowedDeploy extends Rollout, DeployOrigin {
  id: string;
  app: string;
  env: string;
  version?: string;
  requestedAt: string;
  committedAt: string;
}

export interface FollowInput extends DeployOrigin {
  app: string;
  env: string;
  /** the deploy commit (full SHA) */
  commit: string;
  version?: string;
  requestedAt: string;
  committedAt: string;
}

/** What one event or one deadline did to one deploy. */
export interface RolloutMove {
  deploy: FollowedDeploy;
  moved?: Transition;
  ignored?: Ignored;
}

/** Superseded deploys stay this long for history (and /stats' 90 days); the newest per app and environment stays. */
const HISTORY_TTL_S = 90 * 86_400;
const DEPLOY_ID = /^[a-z][a-z0-9-]{0,62}:[a-z][a-z0-9-]{0,62}:[0-9a-f]{40}([0-9a-f]{24})?$/;
const OPEN: ReadonlySet<RolloutState> = new Set(['committed', 'syncing']);

/**
 * Compare-and-set of one record: written only when it is still what the change was computed
 * from. A Lua script rather than WATCH/MULTI because the connection is shared: another store's
 * EXEC on it would drop this one's WATCH, and a lost update would pass unseen.
 */
const CAS = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
if ARGV[4] == '1' then redis.call('ZREM', KEYS[2], ARGV[3]) end
return 1`;

/** Starts following a deploy: the record, the environment's index, the open set, the newest per app/env. */
const FOLLOW = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return {0, false} end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
local prev = redis.call('GET', KEYS[4])
local prevScore = prev and redis.call('ZSCORE', KEYS[2], prev)
if prevScore and tonumber(prevScore) > tonumber(ARGV[3]) then
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return {1, false}
end
redis.call('SET', KEYS[4], ARGV[2])
if prev == ARGV[2] then return {1, false} end
return {1, prev}`;

/**
 * Followed deploys in Redis, so a restart loses none: one record per deploy, an index per
 * environment (history, newest first), the newest per app and environment (what /status shows),
 * and the open ones by deadline (what expire() looks at).
 */
export class RolloutStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly config: RolloutConfig,
    private readonly isAncestor: IsAncestor,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private key(id: string): string {
    return this.keys.k('rollout', 'deploy', id);
  }
  private envKey(env: string): string {
    return this.keys.k('rollout', 'env', env);
  }
  private latestKey(app: string, env: string): string {
    return this.keys.k('rollout', 'latest', env, app);
  }
  private get openKey(): string {
    return this.keys.k('rollout', 'open');
  }

  /**
   * Follows a deploy when its environment (or app) maps to an Argo CD application or Flux
   * object; undefined when nothing shows it. Following the same commit twice is harmless.
   */
  async follow(input: FollowInput): Promise<FollowedDeploy | undefined> {
    const target = watchFor(this.config, input.app, input.env);
    if (!target) return undefined;
    const id = `${input.app}:${input.env}:${input.commit.toLowerCase()}`;
    if (!DEPLOY_ID.test(id)) {
      throw new GantryError('INPUT_INVALID', msg('error.rollout.bad-deploy', { app: input.app, env: input.env, commit: input.commit }));
    }
    const committed = Date.parse(input.committedAt);
    const now = this.now();
    const d: FollowedDeploy = {
      id,
      app: input.app,
      env: input.env,
      commit: input.commit.toLowerCase(),
      ...(input.version !== undefined ? { version: input.version } : {}),
      ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
      ...(input.action !== undefined ? { action: input.action } : {}),
      ...(input.requestedBy !== undefined ? { requestedBy: input.requestedBy } : {}),
      ...(input.approval !== undefined ? { approval: input.approval } : {}),
      requestedAt: input.requestedAt,
      committedAt: input.committedAt,
      deadline: new Date(committed + target.timeoutMs).toISOString(),
      facts: NO_FACTS,
      state: 'committed',
      since: input.committedAt,
      history: [],
    };
    const keys = [this.key(id), this.envKey(input.env), this.openKey, this.latestKey(input.app, input.env)];
    const args = [JSON.stringify(d), id, committed, Date.parse(d.deadline), HISTORY_TTL_S, now.getTime() - HISTORY_TTL_S * 1000];
    const [created, prev] = (await this.redis.eval(FOLLOW, keys.length, ...keys, ...args)) as [number, string | null];
    if (!created) return this.get(id);
    // the deploy it replaces as the newest stays for history only
    if (prev) await this.redis.expire(this.key(prev), HISTORY_TTL_S);
    return d;
  }

  async get(id: string): Promise<FollowedDeploy | undefined> {
    if (!DEPLOY_ID.test(id)) return undefined;
    const raw = await this.redis.get(this.key(id));
    return raw ? (JSON.parse(raw) as FollowedDeploy) : undefined;
  }

  /** The newest followed deploy of `app` in `env` (what /status shows). */
  async latest(app: string, env: string): Promise<FollowedDeploy | undefined> {
    const id = await this.redis.get(this.latestKey(app, env));
    return id ? this.get(id) : undefined;
  }

  /** The deploys still waiting for Argo CD or Flux (committed or syncing), nearest deadline first. */
  async open(): Promise<FollowedDeploy[]> {
    return this.load(await this.redis.zrange(this.openKey, '0', '-1'));
  }

  /** The followed deploys of `env` still kept, newest first. */
  async history(env: string): Promise<FollowedDeploy[]> {
    return this.load(await this.redis.zrevrange(this.envKey(env), 0, -1));
  }

  private async load(ids: string[]): Promise<FollowedDeploy[]> {
    const valid = ids.filter((id) => DEPLOY_ID.test(id));
    if (valid.length === 0) return [];
    const raws = await this.redis.mget(valid.map((id) => this.key(id)));
    return raws.flatMap((raw) => (raw ? [JSON.parse(raw) as FollowedDeploy] : []));
  }

  /**
   * Moves every deploy the event speaks for: of each app and environment whose mapping names
   * the event's object, the newest deploy and any older one still waiting (its change is live
   * too when a later commit is). Each move is atomic; two events racing end in the state both
   * give in either order (state.ts).
   */
  async apply(event: RolloutEvent): Promise<RolloutMove[]> {
    const pairs = watchersOf(this.config, event);
    if (pairs.length === 0) return [];
    const pairKey = (app: string, env: string) => `${app}\u0000${env}`;
    const wanted = new Set(pairs.map((p) => pairKey(p.app, p.env)));
    const latest = await Promise.all(pairs.map((p) => this.redis.get(this.latestKey(p.app, p.env))));
    const open = await this.redis.zrange(this.openKey, '0', '-1');
    const candidates = (await this.load([...new Set([...latest.filter((id): id is string => id !== null), ...open])])).filter((d) =>
      wanted.has(pairKey(d.app, d.env)),
    );
    const relations = new Map<string, Promise<Relation>>();
    const moves: RolloutMove[] = [];
    for (const d of candidates) {
      if (!relations.has(d.commit)) relations.set(d.commit, relate(d.commit, event.revision, this.isAncestor));
      const relation = await relations.get(d.commit)!;
      const moved = await this.update(d.id, (r) => applyEvent(r, event, relation, this.now()));
      if (moved) moves.push({ deploy: moved.deploy, ...moved.value });
    }
    return moves;
  }

  /** Times out the open deploys whose deadline has passed at `now`; returns those it moved. */
  async expire(now: Date = this.now()): Promise<RolloutMove[]> {
    const due = await this.redis.zrangebyscore(this.openKey, '-inf', String(now.getTime()));
    const moves: RolloutMove[] = [];
    for (const id of due) {
      const r = await this.update(id, (d) => applyDeadline(d, now));
      if (r?.value) moves.push({ deploy: r.deploy, moved: r.value });
    }
    return moves;
  }

  /**
   * Applies `change` to the record as it is in Redis, compare-and-set, again until it lands.
   * Undefined when the record is gone (its history TTL ran out).
   */
  private async update<T>(id: string, change: (d: FollowedDeploy) => T): Promise<{ deploy: FollowedDeploy; value: T } | undefined> {
    const key = this.key(id);
    for (let i = 0; i < 50; i++) {
      const raw = await this.redis.get(key);
      if (!raw) {
        await this.redis.zrem(this.openKey, id);
        return undefined;
      }
      const deploy = JSON.parse(raw) as FollowedDeploy;
      const value = change(deploy);
      const next = JSON.stringify(deploy);
      if (next === raw) return { deploy, value };
      const closed = OPEN.has(deploy.state) ? '0' : '1';
      if (Number(await this.redis.eval(CAS, 2, key, this.openKey, raw, next, id, closed)) === 1) return { deploy, value };
    }
    throw new GantryError('INTERNAL', msg('error.rollout.busy', { id }));
  }
}
