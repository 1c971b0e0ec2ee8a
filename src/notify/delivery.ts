import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Config } from '../config/schema.js';
import type { Approval, ApprovalStore } from '../approvals/store.js';
import { bullConnection } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import type { StoredEvent } from './events.js';
import { approvalOf, followUpOf, routeEvent, type FollowUp } from './router.js';
import { jobLock } from '../store/job-lock.js';

export const NOTIFY_QUEUE = 'notify';

/**
 * One platform's way of telling people. Chat platforms are named by the registry of faces
 * (src/chat/registry.ts); `email` and `webhook` are notify's own.
 */
export interface Notifier {
  /** the part of a target before `:` (`slack`, `dingtalk`, `email`, `webhook`) */
  readonly platform: string;
  /** sends `event` to `target` (the part after `<platform>:`); throws to be retried */
  send(target: string, event: StoredEvent): Promise<void>;
  /** updates the message that asked for an approval, where it was asked (if this platform asked) */
  updateApproval?(approval: Approval, event: StoredEvent): Promise<void>;
  /**
   * tells how a deploy went where it was started (the command's thread, the approval's card, the
   * GitHub Deployment), if this platform started it; nothing otherwise
   */
  followUp?(where: FollowUp, event: StoredEvent): Promise<void>;
  /** a test message for `gantry doctor --notify` */
  test?(target: string): Promise<void>;
}

type DeliveryJob =
  | { kind: 'send'; target: string; event: StoredEvent }
  | { kind: 'approval'; approval: string; event: StoredEvent }
  /** `done`: the platforms that already followed up, so a retry tells no one twice */
  | { kind: 'follow-up'; where: FollowUp; event: StoredEvent; done?: string[] };

/**
 * Each delivery is its own job (id: event id + target), retried with backoff for about an hour,
 * so a channel that is down delays only its own messages and catches up when it is back; it never
 * blocks or undoes the deployment the event reports.
 */
export class NotifyQueue {
  readonly queue: Queue<DeliveryJob>;

  private readonly options: typeof DELIVERY_OPTIONS;

  /** `backoffMs`: the first retry's delay; each next one doubles (12 tries: about an hour at 1 s) */
  constructor(url: string, prefix: string, backoffMs = 1000, onError: (err: Error) => void = () => undefined) {
    this.queue = new Queue(NOTIFY_QUEUE, { connection: bullConnection(url), prefix });
    this.queue.on('error', onError);
    this.options = { ...DELIVERY_OPTIONS, backoff: { type: 'exponential', delay: backoffMs } };
  }

  async fanOut(config: Config, event: StoredEvent): Promise<number> {
    const jobs: { name: string; data: DeliveryJob; opts: { jobId: string } & typeof DELIVERY_OPTIONS }[] = routeEvent(config, event).map((target) => ({
      name: 'send',
      data: { kind: 'send', target, event },
      opts: { jobId: jobId(event.id, target), ...this.options },
    }));
    const approval = approvalOf(event);
    if (approval) jobs.push({ name: 'approval', data: { kind: 'approval', approval, event }, opts: { jobId: jobId(event.id, 'approval'), ...this.options } });
    const where = followUpOf(event);
    if (where) jobs.push({ name: 'follow-up', data: { kind: 'follow-up', where, event }, opts: { jobId: jobId(event.id, 'follow-up'), ...this.options } });
    if (jobs.length) await this.queue.addBulk(jobs);
    return jobs.length;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** BullMQ job ids may not contain ':' (targets do: `slack:#deploys`). */
function jobId(eventId: string, target: string): string {
  return `${eventId}~${target.replace(/:/g, '~')}`;
}

const DELIVERY_OPTIONS: { attempts: number; backoff: { type: 'exponential'; delay: number }; removeOnComplete: { age: number; count: number }; removeOnFail: { age: number } } = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 5000 },
  removeOnFail: { age: 7 * 86400 },
};

export interface NotifyWorkerDeps {
  url: string;
  prefix: string;
  notifiers: Notifier[];
  approvals: ApprovalStore;
  log: Logger;
  concurrency?: number;
  /** counters and timings (src/http/metrics.ts implements them); absent: nothing is measured */
  metrics?: NotifyWorkerMetrics;
}

/** What the notification worker reports. Calls are cheap and never throw. */
export interface NotifyWorkerMetrics {
  jobStarted(queue: string, job: Pick<Job, 'timestamp' | 'processedOn' | 'delay' | 'attemptsMade' | 'attemptsStarted'>): void;
  /** one failed delivery attempt (each retry that fails counts again) */
  notificationFailed(platform: string): void;
}

export function startNotifyWorker(d: NotifyWorkerDeps): { close(): Promise<void> } {
  const byPlatform = new Map(d.notifiers.map((n) => [n.platform, n]));
  const worker = new Worker<DeliveryJob>(
    NOTIFY_QUEUE,
    async (job) => {
      const data = job.data;
      const log = d.log.child({ job: job.id, event: data.event.type });
      d.metrics?.jobStarted(NOTIFY_QUEUE, job);
      if (data.kind === 'follow-up') return followUp(job as Job<typeof data>, d.notifiers, d.metrics);
      if (data.kind === 'approval') {
        const approval = await d.approvals.get(data.approval);
        const platform = approval?.origin?.platform;
        const notifier = platform ? byPlatform.get(platform) : undefined;
        if (approval && notifier?.updateApproval) await notifier.updateApproval(approval, data.event);
        return;
      }
      const sep = data.target.indexOf(':');
      const platform = data.target.slice(0, sep);
      const notifier = byPlatform.get(platform);
      if (!notifier) {
        d.metrics?.notificationFailed(platform);
        throw new UnrecoverableError(`${platform} is not configured in this process; cannot deliver to ${data.target}`);
      }
      try {
        await notifier.send(data.target.slice(sep + 1), data.event);
      } catch (err) {
        d.metrics?.notificationFailed(platform);
        log.warn({ target: data.target, attempt: job.attemptsMade + 1, err: err instanceof Error ? err.message : String(err) }, 'notification delivery failed');
        throw err;
      }
    },
    { connection: bullConnection(d.url), prefix: d.prefix, concurrency: d.concurrency ?? 8, ...jobLock() },
  );
  worker.on('error', (err) => d.log.warn({ queue: NOTIFY_QUEUE, err: err.message }, 'worker connection error'));
  return { close: () => worker.close() };
}

/** Each platform that can follow up does, once: a retry skips those done before it. */
async function followUp(job: Job<Extract<DeliveryJob, { kind: 'follow-up' }>>, notifiers: Notifier[], metrics?: NotifyWorkerMetrics): Promise<void> {
  const done = new Set(job.data.done ?? []);
  for (const n of notifiers) {
    if (!n.followUp || done.has(n.platform)) continue;
    try {
      await n.followUp(job.data.where, job.data.event);
    } catch (err) {
      metrics?.notificationFailed(n.platform);
      throw err;
    }
    done.add(n.platform);
    await job.updateData({ ...job.data, done: [...done] });
  }
}
