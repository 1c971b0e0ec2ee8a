import type { Redis } from 'ioredis';
import type { Core } from '../commands/context.js';
import { startRepeatingJob } from '../queue/repeating.js';
import { PreviewQueue, startPreviewWorker, PREVIEW_QUEUE, PREVIEW_TTL_QUEUE } from '../previews/queue.js';
import { PreviewWriter } from '../previews/writer.js';
import type { Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import type { GithubAuth } from './event-worker.js';
import { GithubPreviews } from './previews.js';

/** How often previews past their ttl are looked for. */
const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * Preview environments in a GitHub worker process: the producer side (built images, pull-request
 * events) wherever builds or events run, and the preview worker and the ttl sweep where events
 * run (`runWorker`). Undefined when no app has previews.
 */
export function startPreviewRole(d: {
  core: Core;
  redis: Redis;
  redisUrl: string;
  keys: Keys;
  github: GithubAuth;
  registryOverride?: string;
  runWorker: boolean;
  log: Logger;
  sweepEveryMs?: number;
}): { previews: GithubPreviews; close(): Promise<void> } | undefined {
  const { core } = d;
  if (!core.deployBranch || !Object.values(core.config.apps).some((a) => a.previews)) return undefined;
  const log = d.log.child({ worker: 'previews' });
  const queue = new PreviewQueue(d.redisUrl, d.keys.prefix, (err) => log.warn({ queue: PREVIEW_QUEUE, err: err.message }, 'preview queue connection error'));
  const writer = new PreviewWriter({ config: core.config, repo: core.repo, lock: core.deployBranch.lock, headHint: core.deployBranch.headHint, log, now: () => core.now() });
  const previews = new GithubPreviews({ config: core.config, redis: d.redis, keys: d.keys, github: d.github, queue, writer, ...(d.registryOverride ? { registryOverride: d.registryOverride } : {}), log });
  const closers: (() => Promise<void>)[] = [];
  if (d.runWorker) {
    const worker = startPreviewWorker({ url: d.redisUrl, prefix: d.keys.prefix, run: (job) => previews.run(job), log });
    worker.worker.on('failed', (job, err) => log.info({ job: job?.id, err: err.message }, 'preview job ended without a change'));
    const sweep = startRepeatingJob({ url: d.redisUrl, prefix: d.keys.prefix, queue: PREVIEW_TTL_QUEUE, everyMs: d.sweepEveryMs ?? SWEEP_EVERY_MS, run: () => writer.sweep(), log });
    closers.push(() => worker.close(), () => sweep.close());
  }
  return {
    previews,
    async close() {
      await Promise.allSettled(closers.map((c) => c()));
      await queue.close();
    },
  };
}
