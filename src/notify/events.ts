import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DeployRequest, DeployResult } from '../domain/deploy.js';
import type { Actor } from '../domain/identity.js';
import type { Release } from '../domain/release.js';
import type { Approval } from '../approvals/store.js';
import type { Keys } from '../store/redis.js';
import type { Message } from '../i18n/voice.js';

/** A bundle's job (src/queue/bundle-queue.ts): its name and every app it names; `request` names the first. */
export interface BundleScope {
  name: string;
  apps: string[];
}

/** What happened, for chat reports and notifications. Never carries a secret. */
export type GantryEvent =
  | { type: 'deployed' | 'rolled-back'; result: DeployResult; request: DeployRequest }
  /** `detail`: the message as catalog data, said in each reader's language (`message` is its English text) */
  | { type: 'deploy-failed'; request: DeployRequest; code: string; message: string; detail?: Message; bundle?: BundleScope }
  | { type: 'approval-requested' | 'approval-expired' | 'approval-denied' | 'approval-approved'; approval: Approval }
  /**
   * a vote was recorded and more are needed: only the request's own message is updated (never
   * routed to targets), so a vote from the web, the shell or another platform shows on the card
   */
  | { type: 'approval-voted'; approval: Approval }
  | { type: 'locked' | 'unlocked'; env: string; by: Actor; reason: string }
  | { type: 'frozen' | 'unfrozen'; env: string; reason: string; until?: string }
  | { type: 'blocked' | 'unblocked'; app: string; version: string; by: Actor; reason: string }
  | { type: 'release-added'; app: string; version: string; by: string }
  | { type: 'build-succeeded'; build: BuildReport & { ref: string; digest: string } }
  | { type: 'build-failed'; build: BuildReport; stage: string; message: string }
  /** a followed deploy settled: live and healthy, or degraded, failed or timed out (src/rollout/) */
  | { type: 'rolled-out' | 'rollout-failed'; rollout: RolloutReport }
  /** the environment's `verify` checks ran after a rollout (src/rollout/verify*.ts) */
  | { type: 'verified' | 'verify-failed'; verification: VerificationReport }
  | {
      type: 'release-built';
      release: Release;
      trigger: { kind: 'tag' | 'branch'; name: string };
      /** what the auto-deploy rules did: queued, or why not */
      autoDeploy: { env: string; queued: boolean; reason?: string }[];
    };

/** How a followed deploy ended up (src/rollout/store.ts keeps the whole record). */
export interface RolloutReport {
  /** the followed deploy's id: `<app>:<env>:<deploy commit>` */
  deploy: string;
  app: string;
  env: string;
  version?: string;
  /** the deploy commit */
  commit: string;
  state: 'live' | 'degraded' | 'failed' | 'timedOut';
  /** what Argo CD or Flux said (empty for a timeout) */
  message: string;
  /** when the state was entered, and when the deploy was committed */
  since: string;
  committedAt: string;
  /** the request behind the deploy (its thread, its requester, its approval) */
  requestId?: string;
  action?: DeployRequest['action'];
  requestedBy?: Actor;
  approval?: string;
}

/** One run of an environment's `verify` checks for one release. */
export interface VerificationReport {
  /** the run's id (random, also the key of its kept log) */
  id: string;
  app: string;
  env: string;
  version: string;
  /** the deploy commit the checks ran against */
  commit?: string;
  ok: boolean;
  /** the first failing check and why, or empty */
  message: string;
  at: string;
  /** where the kept log is read (GET, an unguessable URL) */
  logUrl?: string;
  requestId?: string;
  requestedBy?: Actor;
}

/** One image build of a commit (GitHub App), as chat reports show it. */
export interface BuildReport {
  app: string;
  image: string;
  /** owner/name of the source repo */
  repo: string;
  sha: string;
  /** `pr #42`, `branch main`, `tag v1.2.3` */
  trigger: string;
  version: string;
  /** the build's page (src/web/builds/) under GANTRY_PUBLIC_URL, else the check run */
  url?: string;
}

/** Publishes events on a Redis channel so adapters in any process (shell, Slack, …) hear them. */
/** An event as published: with an id (deliveries are idempotent per id) and a time. */
export type StoredEvent = GantryEvent & { id: string; at: string };

/**
 * Publishes events twice: live on a Redis channel, so adapters in any process (shell, …) hear
 * them at once, and durably through `sink` (the notification queue), which delivers them to the
 * configured channels with retries. Publishing never fails a deployment: the caller has already
 * done the work the event reports.
 */
export class EventBus {
  private sink: ((e: StoredEvent) => Promise<void>) | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly onError: (err: unknown, e: StoredEvent) => void = () => undefined,
  ) {}

  get channel(): string {
    return this.keys.k('events');
  }

  /** Where events go durably (set once the notification queue exists). */
  setSink(sink: (e: StoredEvent) => Promise<void>): void {
    this.sink = sink;
  }

  /** Never throws: the work the event reports is done, and must not be failed or redone for it. */
  async publish(event: GantryEvent): Promise<StoredEvent> {
    const stored = { ...event, id: randomUUID(), at: new Date().toISOString() } as StoredEvent;
    await this.redis.publish(this.channel, JSON.stringify(stored)).catch((err: unknown) => this.onError(err, stored));
    await this.sink?.(stored).catch((err: unknown) => this.onError(err, stored));
    return stored;
  }

  /** Subscribes on a connection of its own; returns a function that unsubscribes and closes it. */
  async subscribe(sub: Redis, onEvent: (e: StoredEvent) => void): Promise<() => Promise<void>> {
    sub.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      // anyone who can write to Redis can publish here: a message that is no JSON object is dropped,
      // never thrown out of the connection's event handler (which would end the process)
      let e: unknown;
      try {
        e = JSON.parse(raw);
      } catch {
        return;
      }
      if (typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string') onEvent(e as StoredEvent);
    });
    await sub.subscribe(this.channel);
    return async () => {
      await sub.unsubscribe(this.channel).catch(() => undefined);
      sub.disconnect();
    };
  }
}
