import type { Redis } from 'ioredis';
import type { Keys } from '../../store/redis.js';

/** A message's place in Slack: the channel, and the message (a thread's root) by its ts. */
export interface SlackPlace {
  channel: string;
  ts: string;
}

/**
 * Where gantry posted each approval request in Slack, so the message can be updated in place,
 * and the thread of each command that deployed, so its rollout is told there.
 */
export class SlackMessageStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async setApproval(id: string, where: { channel: string; ts: string }): Promise<void> {
    await this.redis.set(this.keys.k('slack', 'approval-msg', id), JSON.stringify(where), 'EX', 30 * 86400);
  }

  async approval(id: string): Promise<SlackPlace | undefined> {
    return this.read(this.keys.k('slack', 'approval-msg', id));
  }

  async setThread(requestId: string, where: SlackPlace): Promise<void> {
    await this.redis.set(this.keys.k('slack', 'request-thread', requestId), JSON.stringify(where), 'EX', 30 * 86400);
  }

  async thread(requestId: string): Promise<SlackPlace | undefined> {
    return this.read(this.keys.k('slack', 'request-thread', requestId));
  }

  private async read(key: string): Promise<SlackPlace | undefined> {
    const raw = await this.redis.get(key);
    if (!raw) return undefined;
    // written by gantry, but in a Redis others can write: only a channel and a ts go to Slack
    const v = JSON.parse(raw) as Partial<SlackPlace>;
    return typeof v.channel === 'string' && typeof v.ts === 'string' && /^\d+\.\d+$/.test(v.ts) ? { channel: v.channel, ts: v.ts } : undefined;
  }
}
