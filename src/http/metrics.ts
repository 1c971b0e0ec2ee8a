import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Job, Worker } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '../domain/errors.js';
import type { DeliveryStats } from '../queries/stats.js';
import type { Logger } from '../util/logger.js';
import { bearerOrBasic, refuseBody, unauthorized } from './auth.js';
import { registerDeliveryGauges } from './delivery-metrics.js';
import type { Route } from './server.js';

/** Job states counted per queue at scrape time (BullMQ `getJobCounts`). */
const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children', 'failed', 'completed'] as const;

/** Refusals: the request was understood and said no to. Anything else that ends a deploy is a failure. */
const REFUSALS: ReadonlySet<string> = new Set<ErrorCode>([
  'NOT_ALLOWED',
  'ENV_LOCKED',
  'ENV_FROZEN',
  'ENV_HELD',
  'ORDER_VIOLATION',
  'ALREADY_DEPLOYED',
  'RELEASE_BLOCKED',
  'VERSION_UNKNOWN',
  'NO_ROLLBACK_TARGET',
  'DEPLOY_REFUSED',
]);

export type BuildResultLabel = 'success' | 'failure' | 'cancelled';

/** Anything with BullMQ's `getJobCounts` (a Queue). */
export interface CountableQueue {
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

export interface MetricsSources {
  /** a handle on queue `name` for counting its jobs (gantry.queueHandle) */
  queue(name: string): CountableQueue;
  /** queue names counted at scrape time; more can be added with watchQueue */
  queues: string[];
  /** how many approvals are pending now */
  pendingApprovals(): Promise<number>;
  /** the delivery measures of the last 30 days (src/queries/stats.ts); without it, no delivery gauges */
  deliveryStats?: () => Promise<DeliveryStats>;
  log: Logger;
}

/**
 * One gantry instance's Prometheus metrics, in a registry of its own (never prom-client's global
 * one), so several instances in one process (tests) do not share counters. Event counters are
 * fed by hooks the workers call; queue depths and pending approvals are read when scraped, so
 * any process answers with the whole installation's numbers, not only its own.
 */
export class GantryMetrics {
  readonly registry = new Registry();
  private readonly watched: Set<string>;
  private processMetrics = false;
  private readonly builds: Counter<'result'>;
  private readonly buildSeconds: Histogram<'result'>;
  private readonly wait: Histogram<'queue'>;
  private readonly deployments: Counter<'env' | 'action' | 'result'>;
  private readonly pushRetries: Counter<'env'>;
  private readonly expired: Counter;
  private readonly notifyFailures: Counter<'platform'>;
  private readonly commands: Counter<'platform' | 'command' | 'result'>;
  private readonly scrapeErrors: Counter<'source'>;

  constructor(private readonly s: MetricsSources) {
    const registers = [this.registry];
    this.watched = new Set(s.queues);
    this.builds = new Counter({ name: 'gantry_builds_total', help: 'Image builds by result', labelNames: ['result'], registers });
    this.buildSeconds = new Histogram({
      name: 'gantry_build_duration_seconds',
      help: 'Image build duration (docker build and push)',
      labelNames: ['result'],
      buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      registers,
    });
    this.wait = new Histogram({
      name: 'gantry_queue_wait_seconds',
      help: 'Time a job waited in its queue before a worker started it (first attempt)',
      labelNames: ['queue'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    this.deployments = new Counter({ name: 'gantry_deployments_total', help: 'Deploy jobs (promote, rollback, auto) by environment and final result: success, refused or failed', labelNames: ['env', 'action', 'result'], registers });
    this.pushRetries = new Counter({ name: 'gantry_deploy_push_retries_total', help: 'Deploy-repo pushes retried because the remote moved', labelNames: ['env'], registers });
    this.expired = new Counter({ name: 'gantry_approvals_expired_total', help: 'Approval requests that reached their deadline', registers });
    this.notifyFailures = new Counter({ name: 'gantry_notification_failures_total', help: 'Failed notification delivery attempts by platform', labelNames: ['platform'], registers });
    this.commands = new Counter({ name: 'gantry_commands_total', help: 'Chat commands answered, by platform, command and result (ok or the error code)', labelNames: ['platform', 'command', 'result'], registers });
    this.scrapeErrors = new Counter({ name: 'gantry_metrics_scrape_errors_total', help: 'Sources that could not be read during a scrape', labelNames: ['source'], registers });
    const self = this;
    new Gauge({
      name: 'gantry_queue_jobs',
      help: 'Jobs per queue and state, read from Redis when scraped',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        await Promise.all(
          [...self.watched].map(async (name) => {
            try {
              const counts = await self.s.queue(name).getJobCounts(...STATES);
              for (const state of STATES) this.set({ queue: name, state }, counts[state] ?? 0);
            } catch (err) {
              self.scrapeFailed(`queue:${name}`, err);
            }
          }),
        );
      },
    });
    new Gauge({
      name: 'gantry_approvals_pending',
      help: 'Approval requests waiting for approvers, read from Redis when scraped',
      registers,
      async collect() {
        try {
          this.set(await self.s.pendingApprovals());
        } catch (err) {
          self.scrapeFailed('approvals', err);
        }
      },
    });
    if (s.deliveryStats) registerDeliveryGauges(this.registry, s.deliveryStats, (err) => this.scrapeFailed('delivery', err));
  }

  private scrapeFailed(source: string, err: unknown): void {
    this.scrapeErrors.inc({ source });
    this.s.log.warn({ source, err: err instanceof Error ? err.message : String(err) }, 'metrics source unreadable');
  }

  /** Adds process metrics (CPU, memory, event loop, GC): once per process, for the served instance. */
  collectProcessMetrics(): void {
    if (this.processMetrics) return;
    this.processMetrics = true;
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts the jobs of another queue at scrape time (build, github-events, …). */
  watchQueue(name: string): void {
    this.watched.add(name);
  }

  /** Observes the wait time of every job `worker` starts (for workers whose processor is not ours). */
  observeWorker(queue: string, worker: Pick<Worker, 'on'>): void {
    this.watchQueue(queue);
    worker.on('active', (job: Job) => this.jobStarted(queue, job));
  }

  /** A worker started `job`: its first attempt's time in the queue, from creation (plus any delay) to start. */
  jobStarted(queue: string, job: Pick<Job, 'timestamp' | 'processedOn' | 'delay' | 'attemptsMade' | 'attemptsStarted'>): void {
    // retries wait for their backoff, and a stalled job's restart for its stall: neither is queueing
    if (job.attemptsMade > 0 || job.attemptsStarted > 1) return;
    const started = job.processedOn ?? Date.now();
    const waited = (started - job.timestamp - (job.delay ?? 0)) / 1000;
    this.wait.observe({ queue }, Math.max(0, waited));
  }

  /** A build ended; `seconds` is its duration when it ran at all. */
  buildFinished(result: BuildResultLabel, seconds?: number): void {
    this.builds.inc({ result });
    if (seconds !== undefined && Number.isFinite(seconds)) this.buildSeconds.observe({ result }, Math.max(0, seconds));
  }

  /** A deploy job's final outcome: `code` absent for success. */
  deployFinished(o: { env: string; action: string; code?: string; retries?: number }): void {
    const result = o.code === undefined ? 'success' : REFUSALS.has(o.code) ? 'refused' : 'failed';
    this.deployments.inc({ env: o.env, action: o.action, result });
    if (o.retries) this.pushRetries.inc({ env: o.env }, o.retries);
  }

  approvalExpired(): void {
    this.expired.inc();
  }

  notificationFailed(platform: string): void {
    this.notifyFailures.inc({ platform });
  }

  commandAnswered(command: string, result: string, platform: string): void {
    this.commands.inc({ platform: platform || 'unknown', command, result });
  }

  /** The Prometheus text exposition of everything above. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * Wraps a build reporter so every build that is reported finished is counted, without the build
 * worker knowing about metrics. Only reports that went through count: a `finished` that throws
 * fails the attempt, which is retried and reported again.
 */
export function countBuilds<J, R extends { finished(job: J, outcome: BuildOutcomeLike): Promise<void> }>(reporter: R, metrics: Pick<GantryMetrics, 'buildFinished'>): R {
  const finished = async (job: J, outcome: BuildOutcomeLike) => {
    await reporter.finished(job, outcome);
    const ms = outcome.kind === 'cancelled' ? undefined : outcome.result?.durationMs;
    metrics.buildFinished(outcome.kind, ms === undefined ? undefined : ms / 1000);
  };
  // a proxy, not a copy: the reporter's other methods keep running on the reporter itself
  return new Proxy(reporter, {
    get(target, prop) {
      if (prop === 'finished') return finished;
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** The part of src/images/worker.ts's BuildOutcome that metrics read. */
export interface BuildOutcomeLike {
  kind: BuildResultLabel;
  result?: { durationMs?: number };
}

/** `GET /metrics`; with a token, scrapers must send it (Bearer, or Basic with it as password). */
export function metricsRoute(metrics: GantryMetrics, opts: { token?: string } = {}): Route {
  return {
    method: 'GET',
    path: '/metrics',
    async handler(req: IncomingMessage, res: ServerResponse) {
      if (refuseBody(req, res, 0)) return;
      if (opts.token && !bearerOrBasic(req, opts.token)) return unauthorized(res, 'Bearer');
      const text = await metrics.text();
      res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      res.end(text);
    },
  };
}
