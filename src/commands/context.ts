import type { Config } from '../config/schema.js';
import { GantryError } from '../domain/errors.js';
import { displayName, type Actor } from '../domain/identity.js';
import { envOf } from '../domain/policy.js';
import type { Deployer } from '../gitops/deployer.js';
import type { GitRepo } from '../gitops/git.js';
import type { History } from '../gitops/history.js';
import type { EventBus } from '../notify/events.js';
import type { DeployQueue } from '../queue/deploy-queue.js';
import type { Approvals } from '../approvals/service.js';
import { msg, type Message } from '../i18n/voice.js';
import type { EnvLockStore } from '../store/env-locks.js';
import type { ReleaseStore } from '../store/releases.js';
import type { RolloutStore } from '../rollout/store.js';
import type { VerifyQueue } from '../rollout/verify-queue.js';
import type { BranchLock, HeadHint } from '../store/branch-lock.js';
import type { Verifier } from '../rollout/verifier.js';
import type { Logger } from '../util/logger.js';
import type { BundleStore } from '../store/bundles.js';
import type { BundleDeployer } from '../gitops/bundle-deployer.js';
import type { BundleQueue } from '../queue/bundle-queue.js';
import type { CommandLimiter } from './rate-limit.js';
import { sanitize, usage, type CommandName } from './grammar.js';

/** Everything a command handler may use. No chat platform appears here. */
export interface Core {
  config: Config;
  releases: ReleaseStore;
  envLocks: EnvLockStore;
  approvals: Approvals;
  repo: GitRepo;
  history: History;
  deployer: Deployer;
  /** the deploy branch's write lock and last-pushed head, for writers other than the deployer (previews) */
  deployBranch?: { lock: BranchLock; headHint: HeadHint };
  queue: DeployQueue;
  bus: EventBus;
  /** deploys followed after the commit, until Argo CD or Flux says how they went */
  rollouts: RolloutStore;
  /** queues verifications (/verify) */
  verifications: Pick<VerifyQueue, 'add'>;
  /** how verifications went (the `from: { env, verified }` gate, /status) */
  verifier: Verifier;
  log: Logger;
  now(): Date;
  /** how stale the warm clone may be for reads (ms) */
  readFreshnessMs: number;
  /** per-user command rate limit, asked before every command; absent: no limit */
  limiter?: CommandLimiter;
  /** counts answered commands (src/http/metrics.ts); absent: not counted */
  metrics?: CommandMetrics;
  /** bundles (several apps promoted together): the store, the planner, the queue; absent: no bundles */
  bundles?: { store: BundleStore; deployer: BundleDeployer; queue: BundleQueue };
  /** issues one-time web sign-in links (/gantry login; src/web/auth/links.ts); absent: no web sign-in */
  loginLinks?: LoginLinkIssuer;
}

/** A single-use link that signs `identity` in to the web dashboard until `expiresAt`. */
export interface LoginLinkIssuer {
  issue(identity: string): Promise<{ url: string; expiresAt: string }>;
}

/** What execute() reports about each answered command. */
export interface CommandMetrics {
  /** `result` is `ok` or the error code */
  commandAnswered(command: string, result: string, platform: string): void;
}

/** Who asked, and from where. */
export interface CommandContext {
  actor: Actor;
  /** the channel the command came from (`slack:C0123`), for channels bound to one app */
  channel?: string;
  /** intermediate messages ("queued behind 2"), rendered by the face like replies */
  progress?: (m: Message) => void | Promise<void>;
  /** platform details kept with an approval so its outcome can be told where it was asked */
  origin?: Record<string, string>;
}

export type { Reply } from './replies.js';

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

export function isEnv(core: Core, s: string | undefined): boolean {
  return s !== undefined && Object.prototype.hasOwnProperty.call(core.config.environments, s);
}

export function isApp(core: Core, s: string | undefined): boolean {
  return s !== undefined && Object.prototype.hasOwnProperty.call(core.config.apps, s);
}

export function resolveEnv(core: Core, name: string): string {
  if (!NAME.test(name)) throw new GantryError('INPUT_INVALID', msg('error.input.env-name', { name: sanitize(name) }));
  envOf(core.config, name);
  return name;
}

/** The app named, or the one bound to the channel, or the only one there is. */
export function resolveApp(core: Core, cmd: CommandName, name: string | undefined, ctx: CommandContext): string {
  const apps = Object.keys(core.config.apps);
  if (name !== undefined) {
    if (!NAME.test(name)) throw new GantryError('INPUT_INVALID', msg('error.input.app-name', { name: sanitize(name) }));
    if (!apps.includes(name)) throw new GantryError('APP_UNKNOWN', msg('error.app.unknown', { app: name, known: { list: apps } }));
    return name;
  }
  if (ctx.channel) {
    const bound = apps.filter((a) => core.config.apps[a]!.channels.includes(ctx.channel!));
    if (bound.length === 1) return bound[0]!;
  }
  if (apps.length === 1) return apps[0]!;
  throw usage(cmd, msg('error.app.which', { apps: { list: apps } }));
}

/**
 * How a reply names someone: by the config user behind the identity, else by the bare identity.
 * Never by the name an actor carries: trailers read back from the deploy repo may hold a platform
 * display name (`slack:UEVIL999 (alice)`) that copies a configured user's.
 */
export function describeActor(config: Config, a: Actor): string {
  return displayName(config, a.id);
}
