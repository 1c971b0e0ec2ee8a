import type { Redis } from 'ioredis';
import type { BuildSuccess } from '../images/types.js';
import { autoDeploy } from '../commands/auto-deploy.js';
import { bundleFromTag } from '../commands/register-bundle.js';
import type { Core } from '../commands/context.js';
import type { Release, ReleaseImage } from '../domain/release.js';
import type { BuildJobData } from '../images/build-queue.js';
import type { Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import { GhKeys } from './keys.js';

const PARTS_TTL_S = 7 * 86_400;

/**
 * A tag or branch build records a release once every image of the app is built: the catalog
 * entry `/promote` resolves, a `release-built` event for chat, and the auto-deploy rules (through
 * the same deploy queue and policy as a chat command). Each step is idempotent, so a retried job
 * repeats nothing visible: the catalog entry is overwritten with the same data, the event goes
 * out once, and auto-deploy request ids are deterministic.
 */
export async function recordRelease(d: { core: Core; redis: Redis; keys: Keys }, job: BuildJobData, r: BuildSuccess, log: Logger): Promise<Release | undefined> {
  if (job.trigger.kind === 'pr') return undefined;
  const k = new GhKeys(d.keys);
  const partsKey = k.releaseParts(job.app, job.version, job.source.sha);
  const image: ReleaseImage = { repository: r.repository, tag: r.tags[0] ?? job.tags[0]!, digest: r.digest };
  const url = job.checkRunUrl ?? '';
  await d.redis.multi().hset(partsKey, job.image, JSON.stringify({ image, url })).expire(partsKey, PARTS_TTL_S).exec();
  const parts = await d.redis.hgetall(partsKey);
  const missing = job.images.filter((i) => !parts[i]);
  if (missing.length) {
    log.info({ version: job.version, missing }, 'release waits for other images');
    return undefined;
  }
  const built = Object.fromEntries(job.images.map((name) => [name, JSON.parse(parts[name]!) as { image: ReleaseImage; url: string }]));
  const images = Object.fromEntries(Object.entries(built).map(([name, b]) => [name, b.image]));
  // several images share the commit's checks page; link the first image's check run
  const link = built[job.images[0]!]!.url;
  const release: Release = {
    app: job.app,
    version: job.version,
    commit: job.source.sha,
    builtAt: new Date().toISOString(),
    ...(job.source.changedAt ? { changedAt: job.source.changedAt } : {}),
    images,
    ...(link ? { url: link } : {}),
    registeredBy: 'github:gantry',
  };
  await d.core.releases.add(release);
  // a monorepo tag: the last of the repo's apps to finish registers bundle <tag>; a retry registers the same again
  const bundles = d.core.bundles;
  if (job.trigger.kind === 'tag' && bundles) await bundleFromTag({ config: d.core.config, releases: d.core.releases, bundles: bundles.store }, job.app, job.version, log);
  const trigger = { kind: job.trigger.kind, name: job.trigger.name };
  const first = await d.redis.set(k.releaseAnnounced(job.app, job.version, job.source.sha), '1', 'EX', PARTS_TTL_S, 'NX');
  const outcomes = await autoDeploy(d.core, job.app, job.version, trigger, job.autoDeploy);
  if (first) await d.core.bus.publish({ type: 'release-built', release, trigger, autoDeploy: outcomes });
  log.info({ app: job.app, version: job.version, commit: job.source.sha, autoDeploy: outcomes }, 'release recorded');
  return release;
}
