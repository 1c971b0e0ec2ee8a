import { isGantryError } from '../domain/errors.js';
import { english } from '../i18n/voice.js';
import { startRepeatingJob } from '../queue/repeating.js';
import type { Logger } from '../util/logger.js';
import type { ArgoCdPoller } from './argocd.js';
import { watchFor, type RolloutConfig } from './config.js';
import type { RolloutFollower } from './follower.js';
import type { RolloutStore } from './store.js';

export const ROLLOUT_WATCH_QUEUE = 'rollout-watch';

/** How often the watch looks when GANTRY_ROLLOUT_WATCH does not say. */
export const DEFAULT_WATCH_MS = 15_000;

export interface WatchDeps {
  config: RolloutConfig;
  store: Pick<RolloutStore, 'open'>;
  follower: Pick<RolloutFollower, 'expire' | 'onEvent'>;
  /** Argo CD's API, for setups where Argo CD cannot reach gantry; absent: only webhooks */
  poller?: Pick<ArgoCdPoller, 'application'>;
  log: Logger;
}

/**
 * One look at the open rollouts: time out those past their deadline, and ask Argo CD (when a
 * poller is configured) about each application an open deploy waits for, once per application.
 * An Argo CD that cannot be reached is logged and asked again next time; it times nothing out
 * by itself (the deadline does).
 */
export async function watchOnce(d: WatchDeps): Promise<{ expired: number; polled: number }> {
  const expired = (await d.follower.expire()).length;
  let polled = 0;
  if (d.poller) {
    const apps = new Map<string, { application: string; namespace?: string | undefined }>();
    for (const deploy of await d.store.open()) {
      const t = watchFor(d.config, deploy.app, deploy.env);
      if (t?.source === 'argocd') apps.set(`${t.argocd.namespace ?? ''}/${t.argocd.application}`, t.argocd);
    }
    for (const a of apps.values()) {
      try {
        await d.follower.onEvent(await d.poller.application(a.application, a.namespace));
        polled++;
      } catch (err) {
        const reason = isGantryError(err) ? english(err.detail) : String(err);
        d.log.warn({ application: a.application, err: reason }, 'cannot poll Argo CD');
      }
    }
  }
  return { expired, polled };
}

/**
 * Runs `watchOnce` every `everyMs` as a BullMQ job scheduler, so one process looks at a time
 * however many run workers, and a restart loses nothing: the open deploys are in Redis.
 */
export function startRolloutWatch(d: WatchDeps & { url: string; prefix: string; everyMs?: number }): { close(): Promise<void> } {
  return startRepeatingJob({ url: d.url, prefix: d.prefix, queue: ROLLOUT_WATCH_QUEUE, everyMs: d.everyMs ?? DEFAULT_WATCH_MS, run: () => watchOnce(d), log: d.log });
}
