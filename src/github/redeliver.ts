import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobLock } from '../store/job-lock.js';
import { bullConnection, type Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import type { Octokit } from './check-run.js';
import { InboxKeys } from './inbox.js';

export const REDELIVER_QUEUE = 'github-redeliver';

/** GitHub lets an app redeliver a delivery for three days. */
const REDELIVERABLE_MS = 3 * 86_400_000;
/** The first sweep (no earlier one on record) looks back this far. */
const FIRST_LOOKBACK_MS = 86_400_000;
/** Each sweep looks back past the previous one's start by this much: attempts land late. */
const OVERLAP_MS = 10 * 60_000;
/** At most this many redeliveries of one delivery, then gantry gives up on it (and says so). */
const MAX_REDELIVERIES = 3;
/** Pages of 100 deliveries read per sweep at most. */
const MAX_PAGES = 20;

/** One attempt of a delivery, as `GET /app/hook/deliveries` lists it (fields gantry reads). */
interface Attempt {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status_code: number;
  event: string;
  action?: string | null;
}

export interface RedeliverDeps {
  /** an app-authenticated (JWT) client */
  app(): Promise<Octokit>;
  redis: Redis;
  keys: Keys;
  log: Logger;
  now?: () => Date;
}

export interface SweepResult {
  /** deliveries (guids) looked at */
  checked: number;
  /** guids asked to be redelivered this time */
  redelivered: string[];
  /** guids redelivered MAX_REDELIVERIES times already and still failing */
  gaveUp: string[];
}

/**
 * GitHub does not retry a failed webhook delivery: a 5xx from gantry (Redis away, a deploy of
 * gantry itself) is recorded as failed and that is all. This sweep closes the loop, the way
 * GitHub's own guide does it: list the app's recent deliveries, and for every delivery (guid)
 * with no successful attempt that gantry's inbox does not have either, ask GitHub to deliver it
 * again. A redelivery keeps the guid, so the inbox's dedupe still holds if two sweeps overlap.
 */
export async function sweepFailedDeliveries(d: RedeliverDeps): Promise<SweepResult> {
  const now = (d.now ?? (() => new Date()))().getTime();
  const sinceKey = d.keys.k('gh', 'redeliver', 'since');
  const last = Number(await d.redis.get(sinceKey)) || 0;
  const since = Math.max(now - REDELIVERABLE_MS, last ? last - OVERLAP_MS : now - FIRST_LOOKBACK_MS);
  const octokit = await d.app();

  // newest first; attempts of one guid may sit on different pages
  const byGuid = new Map<string, Attempt[]>();
  let pages = 0;
  for await (const page of octokit.paginate.iterator('GET /app/hook/deliveries', { per_page: 100 })) {
    const attempts = page.data as Attempt[];
    let older = false;
    for (const a of attempts) {
      if (Date.parse(a.delivered_at) < since) {
        older = true;
        continue;
      }
      const list = byGuid.get(a.guid) ?? [];
      list.push(a);
      byGuid.set(a.guid, list);
    }
    if (older || ++pages >= MAX_PAGES) break;
  }

  const inbox = new InboxKeys(d.keys);
  const result: SweepResult = { checked: byGuid.size, redelivered: [], gaveUp: [] };
  for (const [guid, attempts] of byGuid) {
    if (attempts.some((a) => a.status_code >= 200 && a.status_code < 300)) continue;
    // answered 5xx after all, or the inbox took it on a path GitHub did not see succeed (timeout)
    if (await d.redis.exists(inbox.delivery(guid))) continue;
    const countKey = d.keys.k('gh', 'redeliver', 'count', guid);
    const count = await d.redis.incr(countKey);
    await d.redis.pexpire(countKey, REDELIVERABLE_MS);
    if (count > MAX_REDELIVERIES) {
      if (count === MAX_REDELIVERIES + 1) {
        d.log.error({ delivery: guid, event: attempts[0]!.event, attempts: attempts.length }, `webhook delivery still failing after ${MAX_REDELIVERIES} redeliveries: not asking again (redeliver it from the app settings once the cause is fixed)`);
      }
      result.gaveUp.push(guid);
      continue;
    }
    const latest = attempts.reduce((a, b) => (Date.parse(b.delivered_at) > Date.parse(a.delivered_at) ? b : a));
    try {
      await octokit.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: latest.id });
      result.redelivered.push(guid);
      d.log.info({ delivery: guid, event: latest.event, action: latest.action, status: latest.status_code, redelivery: count }, 'failed webhook delivery: asked GitHub to deliver it again');
    } catch (err) {
      await d.redis.decr(countKey);
      d.log.warn({ delivery: guid, err: err instanceof Error ? err.message : String(err) }, 'asking GitHub to redeliver failed; the next sweep tries again');
    }
  }
  await d.redis.set(sinceKey, String(now));
  return result;
}

/**
 * Runs the sweep every `everyMs` in exactly one worker process of the installation (a BullMQ job
 * scheduler: one job per tick, whichever worker takes it).
 */
export function startRedeliverSweep(d: RedeliverDeps & { redisUrl: string; everyMs: number }): { close(): Promise<void> } {
  const prefix = d.keys.prefix;
  const queue = new Queue(REDELIVER_QUEUE, { connection: bullConnection(d.redisUrl), prefix });
  queue.on('error', (err) => d.log.warn({ err: err.message }, 'redeliver queue error'));
  void queue
    .upsertJobScheduler('redeliver', { every: d.everyMs }, { name: 'sweep', opts: { removeOnComplete: true, removeOnFail: 100 } })
    .catch((err: unknown) => d.log.warn({ err: String(err) }, 'redeliver schedule not set'));
  const worker = new Worker(
    REDELIVER_QUEUE,
    async () => {
      const r = await sweepFailedDeliveries(d);
      return { checked: r.checked, redelivered: r.redelivered.length, gaveUp: r.gaveUp.length };
    },
    { connection: bullConnection(d.redisUrl), prefix, concurrency: 1, ...jobLock() },
  );
  worker.on('error', (err) => d.log.warn({ err: err.message }, 'redeliver worker error'));
  worker.on('failed', (_job, err) => d.log.warn({ err: err.message }, 'webhook redelivery sweep failed; the next one tries again'));
  return {
    async close() {
      await Promise.allSettled([worker.close(), queue.close()]);
    },
  };
}
