import type { Redis } from 'ioredis';
import type { DeployRequest, DeployResult } from '../domain/deploy.js';
import type { Actor } from '../domain/identity.js';
import type { Approval } from '../store/approvals.js';
import type { Keys } from '../store/redis.js';

/** What happened, for chat reports and notifications. Never carries a secret. */
export type GantryEvent =
  | { type: 'deployed' | 'rolled-back'; result: DeployResult; request: DeployRequest }
  | { type: 'deploy-failed'; request: DeployRequest; code: string; message: string }
  | { type: 'approval-requested' | 'approval-expired' | 'approval-denied' | 'approval-approved'; approval: Approval }
  | { type: 'locked' | 'unlocked'; env: string; by: Actor; reason: string }
  | { type: 'blocked' | 'unblocked'; app: string; version: string; by: Actor; reason: string }
  | { type: 'release-added'; app: string; version: string; by: string };

/** Publishes events on a Redis channel so adapters in any process (shell, Slack, …) hear them. */
export class EventBus {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  get channel(): string {
    return this.keys.k('events');
  }

  async publish(event: GantryEvent): Promise<void> {
    await this.redis.publish(this.channel, JSON.stringify({ ...event, at: new Date().toISOString() }));
  }

  /** Subscribes on a connection of its own; returns a function that unsubscribes and closes it. */
  async subscribe(sub: Redis, onEvent: (e: GantryEvent) => void): Promise<() => Promise<void>> {
    sub.on('message', (channel: string, raw: string) => {
      if (channel === this.channel) onEvent(JSON.parse(raw) as GantryEvent);
    });
    await sub.subscribe(this.channel);
    return async () => {
      await sub.unsubscribe(this.channel).catch(() => undefined);
      sub.disconnect();
    };
  }
}
