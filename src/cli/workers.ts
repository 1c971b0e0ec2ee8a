import { readGithubEnv } from '../github/env.js';
import type { GithubFaceDeps } from '../github/server.js';
import { DEPLOY_QUEUE, SHELL_WORKER } from '../queue/deploy-queue.js';
import type { Logger } from '../util/logger.js';
import type { Booted } from './bootstrap.js';
import { buildNotifiers } from './notifiers.js';

/** The GitHub face's module and deps, in one value; imported only when GITHUB_APP_ID is set. */
export interface GithubFace {
  face: typeof import('../github/server.js');
  deps: GithubFaceDeps;
}

export async function loadGithubFace(booted: Booted, log: Logger): Promise<GithubFace | undefined> {
  if (!booted.env.GITHUB_APP_ID) return undefined;
  const { gantry } = booted;
  const settings = readGithubEnv(process.env);
  return {
    face: await import('../github/server.js'),
    deps: { core: gantry.core, redisUrl: gantry.redisUrl, prefix: gantry.prefix, settings, log, ...(booted.env.GANTRY_PUBLIC_URL ? { publicUrl: booted.env.GANTRY_PUBLIC_URL } : {}) },
  };
}

/**
 * Starts the workers of the deploy role's queues (src/runtime/queues.ts: deploy, approval-expiry,
 * notify, freeze-watch) in this process, wired from the environment alike in every process that
 * runs them (`gantry worker`, `start`, the shell): the notifiers of every configured platform and, with a GitHub App, the Deployment hook.
 * A worker takes any job of its queue, so one that lacked a hook or a notifier would finish
 * some jobs only in part (a promotion without its GitHub Deployment, a Slack message never sent).
 */
export async function startDeployRole(booted: Booted, o: { github?: GithubFace; workerName?: string }, log: Logger): Promise<{ close(): Promise<void> }> {
  const { gantry } = booted;
  const built = await buildNotifiers(gantry, booted.env, log);
  // with a GitHub App: a Deployment per deploy, its status following the rollout
  const deployments = o.github ? o.github.face.githubDeploymentRole({ ...o.github.deps, redis: gantry.redis }) : undefined;
  const notifiers = deployments ? [...built.notifiers, deployments.notifier] : built.notifiers;
  gantry.startWorkers(undefined, { notifiers, ...(deployments ? { afterDeploy: deployments.afterDeploy } : {}), ...(o.workerName ? { workerName: o.workerName } : {}) });
  return { close: async () => built.close() };
}

/**
 * How many processes already run deploy workers on this Redis (BullMQ names their connections),
 * or undefined when Redis cannot tell (CLIENT LIST refused, as on some managed services). Another
 * `gantry shell`'s workers do not count: that shell exits when its own commands are done, and a
 * job it has not taken by then would wait for a worker nobody runs.
 */
export async function deployWorkersServing(booted: Booted, log: Logger): Promise<number | undefined> {
  try {
    const workers = await booted.gantry.queueHandle(DEPLOY_QUEUE).getWorkers();
    return workers.filter((w) => !String(w.rawname ?? '').endsWith(`:w:${SHELL_WORKER}`)).length;
  } catch (err) {
    log.warn({ err: String(err) }, 'cannot list the deploy workers of this Redis');
    return undefined;
  }
}
