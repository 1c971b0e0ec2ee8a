import type { Config } from '../config/schema.js';
import { activeFreeze } from '../domain/freeze.js';
import type { EnvLock } from '../domain/policy.js';
import { deployEntry, type DeployEntry } from './entry.js';
import type { QueryDeps } from './deps.js';
import type { RolloutState } from '../rollout/state.js';
import type { Colour } from '../domain/deploy.js';
import { blueGreenOf } from '../gitops/bluegreen/target.js';

/** One environment: its lock and freeze, and what each app runs there. */
export interface EnvStatus {
  env: string;
  lock?: EnvLock;
  freeze?: { until: string; reason: string };
  apps: AppStatus[];
}

export type AppStatus = AppRunning | { app: string; error: string };

export interface AppRunning {
  app: string;
  /** the tag of the app's first tagged image in its first file: the one meaning of "version" */
  version?: string;
  images: { name: string; ref: string; file: string }[];
  /** rolled back: automatic deploys of the app stop until someone promotes by hand */
  held: boolean;
  /** the newest change of its images, whoever made it */
  last?: DeployEntry;
  /** how the deploy of this version rolls out, when gantry follows the environment (src/rollout/) */
  rollout?: RolloutStatus;
  /** how this version's verification here went, when the environment has checks */
  verification?: { state: 'verified' | 'verifying' | 'failed'; logUrl?: string };
  /** a blue-green app: both colours, their versions and weights (`version` is the live colour's) */
  blueGreen?: BlueGreenStatus;
}

export interface BlueGreenStatus {
  live: Colour;
  /** the colour the newest promotion wrote: /shift moves traffic to it */
  fresh: Colour;
  versions: { blue?: string; green?: string };
  weights: { blue: number; green: number };
}

export interface RolloutStatus {
  state: RolloutState;
  /** when the state was entered */
  since: string;
  /** how long ago that was, when asked */
  forMs: number;
  /** what Argo CD or Flux said about a degraded or failed rollout */
  message?: string;
}

/** What runs where, read from the deploy repo's files; `apps`/`envs` narrow it (both already checked). */
export async function statusOf(d: QueryDeps, apps: readonly string[], envs: readonly string[]): Promise<EnvStatus[]> {
  await d.repo.refreshIfOlder(d.readFreshnessMs);
  const now = d.now();
  const out: EnvStatus[] = [];
  for (const env of envs) {
    const status: EnvStatus = { env, apps: [] };
    const lock = await d.envLocks.get(env);
    if (lock) status.lock = lock;
    const freeze = activeFreeze(d.config.environments[env]!.freeze, now);
    if (freeze) status.freeze = { until: freeze.until.toISOString(), reason: freeze.reason };
    for (const app of apps) {
      if (deploysTo(d.config, app, env)) status.apps.push(await appStatus(d, app, env));
    }
    out.push(status);
  }
  return out;
}

function deploysTo(config: Config, app: string, env: string): boolean {
  return Object.hasOwn(config.apps[app]!.deploy, env);
}

async function appStatus(d: QueryDeps, app: string, env: string): Promise<AppStatus> {
  try {
    const found = await d.deployer.currentImages(app, env);
    const timeline = await d.deployer.timeline(app, env, 5);
    const running: AppRunning = {
      app,
      images: found.flatMap((f) => f.images.map((i) => ({ name: i.name, ref: i.ref, file: f.file.file }))),
      held: timeline.held !== undefined,
    };
    const version = found[0]?.images.find((i) => i.tag)?.tag;
    if (version !== undefined) running.version = version;
    const bg = blueGreenOf(d.config, app, env);
    if (bg) {
      const { live, fresh, versions, weights } = await d.deployer.blueGreenState(app, env, bg);
      running.blueGreen = { live, fresh, versions, weights };
    }
    if (timeline.last) running.last = deployEntry(d.config, timeline.last);
    const rollout = await rolloutOf(d, app, env, version);
    if (rollout) running.rollout = rollout;
    if (version !== undefined && d.verifier.checksOf(env).length > 0) {
      const gate = await d.verifier.gate(app, env, version);
      if (gate.state !== 'none') running.verification = { state: gate.state, ...(gate.state === 'failed' && gate.logUrl ? { logUrl: gate.logUrl } : {}) };
    }
    return running;
  } catch (e) {
    return { app, error: e instanceof Error ? e.message : String(e) };
  }
}

/** The newest followed deploy of the app here, when it deployed the version the files show. */
export async function rolloutOf(d: Pick<QueryDeps, 'rollouts' | 'now'>, app: string, env: string, version: string | undefined): Promise<RolloutStatus | undefined> {
  const f = await d.rollouts.latest(app, env);
  if (!f || f.version !== version) return undefined;
  const since = f.state === 'live' || f.state === 'degraded' || f.state === 'failed' ? (f.facts.best?.at ?? f.since) : f.state === 'syncing' ? (f.facts.syncingAt ?? f.since) : f.since;
  const message = f.state === 'degraded' || f.state === 'failed' ? f.facts.best?.message : undefined;
  return { state: f.state, since, forMs: Math.max(0, d.now().getTime() - Date.parse(since)), ...(message ? { message } : {}) };
}
