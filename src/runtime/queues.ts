import type { EVENT_QUEUE } from '../github/ingest.js';
import type { REDELIVER_QUEUE } from '../github/redeliver.js';
import type { BUILD_QUEUE } from '../images/build-queue.js';
import type { NOTIFY_QUEUE } from '../notify/delivery.js';
import type { APPROVAL_QUEUE } from '../approvals/expiry.js';
import type { DEPLOY_QUEUE } from '../queue/deploy-queue.js';
import type { BUNDLE_QUEUE } from '../queue/bundle-queue.js';
import type { FREEZE_QUEUE } from '../queue/freeze-watch.js';
import type { ROLLOUT_WATCH_QUEUE } from '../rollout/watch.js';
import type { VERIFY_QUEUE } from '../rollout/verify-queue.js';
import type { PREVIEW_QUEUE, PREVIEW_TTL_QUEUE } from '../previews/queue.js';

/**
 * Every BullMQ queue gantry uses, listed once. Each name is declared beside its worker (the
 * imports above are type-only, so this list loads none of them: the GitHub face stays unloaded
 * where it is not configured); the Record makes a renamed or added queue fail to compile until it
 * is listed here, and the dashboard, the queue metrics and `queueHandle` take their names from it.
 */
export type QueueName =
  | typeof DEPLOY_QUEUE
  | typeof BUNDLE_QUEUE
  | typeof APPROVAL_QUEUE
  | typeof NOTIFY_QUEUE
  | typeof FREEZE_QUEUE
  | typeof ROLLOUT_WATCH_QUEUE
  | typeof VERIFY_QUEUE
  | typeof BUILD_QUEUE
  | typeof EVENT_QUEUE
  | typeof REDELIVER_QUEUE
  | typeof PREVIEW_QUEUE
  | typeof PREVIEW_TTL_QUEUE;

export interface QueueSpec {
  /**
   * Which processes run its worker: `deploy` in every process that takes deploy jobs (`gantry
   * worker`, `start`, the shell: src/cli/workers.ts), `github` only where the GitHub App is
   * configured (src/github/server.ts).
   */
  role: 'deploy' | 'github';
  /** what one job is, shown under the queue's name in the dashboard */
  job: string;
}

export const QUEUES: Readonly<Record<QueueName, QueueSpec>> = {
  deploy: { role: 'deploy', job: 'a promotion, rollback or automatic deploy: edit, commit, push' },
  'bundle-deploy': { role: 'deploy', job: 'a bundle: several apps promoted or rolled back in one commit' },
  'approval-expiry': { role: 'deploy', job: "an approval request's deadline" },
  notify: { role: 'deploy', job: 'one notification to one target' },
  'freeze-watch': { role: 'deploy', job: 'the repeating check for freeze windows that open or close' },
  'rollout-watch': { role: 'deploy', job: 'the repeating look at open rollouts: timeouts, and Argo CD polled when configured' },
  verify: { role: 'deploy', job: "one run of an environment's verify checks against a version that went live" },
  build: { role: 'github', job: 'one image of one commit: build, push, smoke test' },
  'github-events': { role: 'github', job: 'one webhook delivery, turned into check runs and builds' },
  'github-redeliver': { role: 'github', job: 'the repeating sweep that asks GitHub to redeliver failed webhooks' },
  preview: { role: 'github', job: "a pull request's preview environment: written from its template, or removed" },
  'preview-ttl': { role: 'github', job: 'the repeating sweep that removes previews past their ttl' },
};

/** A registered queue's job line, for the dashboard. */
export function queueJob(name: string): string | undefined {
  return Object.hasOwn(QUEUES, name) ? QUEUES[name as QueueName].job : undefined;
}

/** The queues of one role, in the order listed. */
export function queuesOf(role: QueueSpec['role']): QueueName[] {
  return (Object.keys(QUEUES) as QueueName[]).filter((name) => QUEUES[name].role === role);
}
