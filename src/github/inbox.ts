import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { connect, type Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import type { EventJob } from './events.js';

/**
 * The webhook inbox. The handler's whole job is one Redis script: mark the delivery id and what
 * the event does (NX, for three days: a redelivery, or the same signed payload replayed under
 * another delivery id, does nothing) and push the event on a list, atomically, in one round
 * trip. A pump (in the worker processes) moves events from the inbox into the BullMQ event queue,
 * job id = delivery id. Keeping BullMQ's heavier add out of the handler is what lets ingest keep
 * up with a bare Probot app (bench/ingest.ts).
 */
const DELIVERY_TTL_S = 3 * 86_400;
const PUSH = `if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'EX', ARGV[3]) and redis.call('SET', KEYS[3], ARGV[2], 'NX', 'EX', ARGV[3]) then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  return 1
end
return 0`;

export class InboxKeys {
  constructor(private readonly keys: Keys) {}
  delivery(id: string): string {
    return this.keys.k('gh', 'delivery', id);
  }
  /** an event's act (src/github/events.ts), hashed: refs and names stay out of key names */
  act(act: string): string {
    return this.keys.k('gh', 'act', createHash('sha256').update(act).digest('hex'));
  }
  get list(): string {
    return this.keys.k('gh', 'inbox');
  }
  /** events taken by a pump and not yet in BullMQ */
  get moving(): string {
    return this.keys.k('gh', 'inbox', 'moving');
  }
}

type WithPush = Redis & { gantryInboxPush(mark: string, list: string, act: string, event: string, at: string, ttl: number): Promise<number> };

export class Inbox {
  private readonly k: InboxKeys;
  constructor(
    private readonly redis: Redis,
    keys: Keys,
  ) {
    this.k = new InboxKeys(keys);
    redis.defineCommand('gantryInboxPush', { numberOfKeys: 3, lua: PUSH });
  }

  /** `false`: this delivery id or this act was seen before, nothing was queued. Throws when Redis does not answer. */
  async push(job: EventJob): Promise<boolean> {
    const n = await (this.redis as WithPush).gantryInboxPush(this.k.delivery(job.delivery), this.k.list, this.k.act(job.act), JSON.stringify(job), job.receivedAt, DELIVERY_TTL_S);
    return n === 1;
  }
}

export interface PumpDeps {
  redisUrl: string;
  keys: Keys;
  queue: Queue<EventJob>;
  /** job options of event jobs (attempts, backoff, retention) */
  jobOptions: Record<string, unknown>;
  jobId(delivery: string): string;
  log: Logger;
  batch?: number;
}

/**
 * Moves events from the inbox into the event queue, in batches. An event is moved to a `moving`
 * list first (atomically) and removed from it once BullMQ has it, so a crash in between loses
 * nothing: the next pump to start, or this one after a failure or a dropped connection, puts
 * `moving` back. If two pumps overlap that way, the same event is added twice under the same job
 * id, which BullMQ ignores.
 */
export function startInboxPump(d: PumpDeps): { close(): Promise<void> } {
  const k = new InboxKeys(d.keys);
  const blocking = connect(d.redisUrl, { blocking: true, name: 'gantry-inbox-pump' });
  const redis = connect(d.redisUrl, { name: 'gantry-inbox' });
  for (const r of [blocking, redis]) r.on('error', (err) => d.log.warn({ err: err.message }, 'inbox connection error'));
  const size = d.batch ?? 200;
  let closed = false;
  // Events sit in `moving` while a batch is on its way. A batch abandoned by a failed command, or
  // taken by a command whose reply was lost when Redis went away (restart, failover), would stay
  // there for good, acknowledged to GitHub and never built: so after any dropped connection the
  // pump puts `moving` back first, as it does when it starts.
  let putBack = true;
  for (const r of [blocking, redis]) r.on('close', () => (putBack = true));

  const moveBatch = async (): Promise<number> => {
    const first = await blocking.blmove(k.list, k.moving, 'RIGHT', 'LEFT', 1);
    if (!first) return 0;
    const batch = [first];
    while (batch.length < size) {
      const more = await redis.lmove(k.list, k.moving, 'RIGHT', 'LEFT');
      if (!more) break;
      batch.push(more);
    }
    const jobs: { name: string; data: EventJob; opts: Record<string, unknown> }[] = [];
    for (const raw of batch) {
      try {
        const data = JSON.parse(raw) as EventJob;
        jobs.push({ name: data.type, data, opts: { ...d.jobOptions, jobId: d.jobId(data.delivery) } });
      } catch {
        d.log.error({ bytes: raw.length }, 'unreadable inbox entry dropped');
      }
    }
    if (jobs.length) await d.queue.addBulk(jobs);
    const m = redis.multi();
    for (const raw of batch) m.lrem(k.moving, 1, raw);
    await m.exec();
    return batch.length;
  };

  const restore = async () => {
    putBack = false;
    while (!closed && (await redis.lmove(k.moving, k.list, 'LEFT', 'RIGHT'))) {
      /* one at a time until empty */
    }
  };

  const loop = (async () => {
    while (!closed) {
      try {
        // at start (a pump that died mid-batch) and after a dropped connection
        if (putBack) await restore();
        await moveBatch();
      } catch (e) {
        if (closed) break;
        putBack = true;
        d.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'inbox pump failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })().catch((e: unknown) => {
    if (!closed) d.log.error({ err: String(e) }, 'inbox pump stopped');
  });

  return {
    async close() {
      closed = true;
      blocking.disconnect();
      await loop;
      redis.disconnect();
    },
  };
}
