import type { Config } from '../config/schema.js';
import type { DeployRequest, DeployResult } from '../domain/deploy.js';
import { parseDuration } from '../domain/duration.js';
import type { EventBus, RolloutReport } from '../notify/events.js';
import { AUTO_REQUESTER } from '../queue/deploy-guard.js';
import type { Logger } from '../util/logger.js';
import type { RolloutEvent } from './events.js';
import type { FollowedDeploy, RolloutMove, RolloutStore } from './store.js';
import type { Transition } from './state.js';

/**
 * What happens to a deploy after its commit: the deploy worker hands it over (`follow`), the
 * receivers and the poller feed events (`onEvent`), the watch times it out (`expire`). Each move
 * the store records is reported once, by the process whose compare-and-set made it: a settled
 * state becomes a `rolled-out` or `rollout-failed` event (chat threads, GitHub Deployment
 * statuses, the router's targets); live starts the environment's verification; a failure, where
 * the environment says `onFailure: rollback`, queues the rollback.
 */

export interface FollowerDeps {
  config: Config;
  store: RolloutStore;
  bus: Pick<EventBus, 'publish'>;
  /** queues the environment's `verify` checks of a deploy that went live (src/rollout/verify-queue.ts) */
  verifyLater?: (deploy: FollowedDeploy) => Promise<void>;
  /** queues a deploy request (the deploy queue's enqueue: its worker's guard re-checks it) */
  enqueue: (req: DeployRequest) => Promise<void>;
  log: Logger;
  now: () => Date;
}

/** The longest Gantry-Reason gantry writes (the guard takes one line of at most 200 characters). */
const REASON_MAX = 200;

export class RolloutFollower {
  constructor(private readonly d: FollowerDeps) {}

  /**
   * Starts following a deploy that is in the deploy branch (not a pull request: the environment
   * changes when it is merged). Nothing when the environment maps to no Argo CD or Flux object.
   */
  async follow(result: DeployResult, req: DeployRequest): Promise<FollowedDeploy | undefined> {
    if (result.pullRequest) return undefined;
    const now = this.d.now().toISOString();
    const origin = req.failure?.requestId ?? req.id;
    return this.d.store.follow({
      app: result.app,
      env: result.env,
      commit: result.commit,
      version: result.version,
      requestedAt: now,
      committedAt: now,
      requestId: origin,
      action: req.action,
      requestedBy: req.requestedBy,
      ...(req.approval !== undefined ? { approval: req.approval } : {}),
    });
  }

  /** Applies an event from Argo CD or Flux to every deploy it speaks for, and reports what moved. */
  async onEvent(e: RolloutEvent): Promise<RolloutMove[]> {
    const moves = await this.d.store.apply(e);
    for (const m of moves) await this.report(m);
    return moves;
  }

  /** Times out the deploys past their deadline, and reports them. */
  async expire(): Promise<RolloutMove[]> {
    const moves = await this.d.store.expire(this.d.now());
    for (const m of moves) await this.report(m);
    return moves;
  }

  private async report({ deploy, moved }: RolloutMove): Promise<void> {
    if (!moved || moved.to === 'syncing' || moved.to === 'committed') return;
    const log = this.d.log.child({ deploy: deploy.id, from: moved.from, to: moved.to });
    const rollout = reportOf(deploy, moved);
    log.info({ message: rollout.message }, 'rollout moved');
    await this.d.bus.publish({ type: moved.to === 'live' ? 'rolled-out' : 'rollout-failed', rollout });
    if (moved.to === 'live') {
      // verified once, when it first goes live: a recovery from degraded is not a new release
      if (firstLive(deploy) && this.d.verifyLater) await this.d.verifyLater(deploy);
      return;
    }
    if (this.isFailure(deploy, moved)) await this.rollBack(deploy, rollout);
  }

  /**
   * Whether a move counts against the deploy: a failed sync or a timeout always; degraded only
   * before it was ever live, or within `failureWindow` of first going live (later, the app broke
   * on its own, not by this deploy).
   */
  private isFailure(deploy: FollowedDeploy, moved: Transition): boolean {
    if (moved.to !== 'degraded') return true;
    const live = deploy.history.find((t) => t.to === 'live');
    if (!live) return true;
    const window = parseDuration(this.d.config.environments[deploy.env]?.failureWindow ?? '30m');
    return Date.parse(moved.at) - Date.parse(live.at) <= window;
  }

  /**
   * `onFailure: rollback`: the same path as `/rollback <env>`, requested by gantry with the
   * failure as its reason. The request id is the deploy's, so a second failure of the same deploy
   * (degraded, then failed) queues nothing twice; the guard re-checks when it runs that the
   * environment still asks for it and still runs the failed version.
   */
  async rollBack(deploy: FollowedDeploy, rollout: Pick<RolloutReport, 'state' | 'message'>, why?: string): Promise<boolean> {
    const env = this.d.config.environments[deploy.env];
    if (env?.onFailure !== 'rollback' || deploy.version === undefined) return false;
    // rolling back a rollback would undo the fix on-call chose: a failed rollback only pages
    if (deploy.action === 'rollback') return false;
    const reason = (why ?? `${deploy.app} ${deploy.version} ${rollout.state} in ${deploy.env}${rollout.message ? `: ${rollout.message}` : ''}`)
      .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
      .slice(0, REASON_MAX);
    await this.d.enqueue({
      id: `auto-rollback-${deploy.app}-${deploy.env}-${deploy.commit}`,
      action: 'rollback',
      app: deploy.app,
      env: deploy.env,
      requestedBy: { id: AUTO_REQUESTER, name: 'gantry' },
      approvedBy: [],
      reason,
      failure: {
        deploy: deploy.id,
        version: deploy.version,
        ...(deploy.requestId !== undefined ? { requestId: deploy.requestId } : {}),
        ...(deploy.requestedBy !== undefined ? { requestedBy: deploy.requestedBy.id } : {}),
      },
    });
    this.d.log.warn({ deploy: deploy.id, reason }, 'automatic rollback queued');
    return true;
  }
}

function firstLive(deploy: FollowedDeploy): boolean {
  return deploy.history.filter((t) => t.to === 'live').length === 1;
}

/** The event's view of a followed deploy that made a move to a settled state; `since` is the event's time. */
export function reportOf(deploy: FollowedDeploy, moved: Transition): RolloutReport {
  const state = moved.to as RolloutReport['state'];
  return {
    deploy: deploy.id,
    app: deploy.app,
    env: deploy.env,
    ...(deploy.version !== undefined ? { version: deploy.version } : {}),
    commit: deploy.commit,
    state,
    message: state === 'timedOut' ? '' : (deploy.facts.best?.message ?? ''),
    since: moved.eventAt ?? moved.at,
    committedAt: deploy.committedAt,
    ...(deploy.requestId !== undefined ? { requestId: deploy.requestId } : {}),
    ...(deploy.action !== undefined ? { action: deploy.action } : {}),
    ...(deploy.requestedBy !== undefined ? { requestedBy: deploy.requestedBy } : {}),
    ...(deploy.approval !== undefined ? { approval: deploy.approval } : {}),
  };
}
