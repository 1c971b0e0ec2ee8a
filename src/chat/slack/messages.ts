import type { Redis } from 'ioredis';
import type { Keys } from '../../store/redis.js';

/** Where gantry posted each approval request in Slack, so the message can be updated in place. */
export class SlackMessageStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async setApproval(id: string, where: { channel: string; ts: string }): Promise<void> {
    await this.redis.set(this.keys.k('slack', 'approval-msg', id), JSON.stringify(where), 'EX', 30 * 86400);
  }

  async approval(id: string): Promise<{ channel: string; ts: string } | undefined> {
    const raw = await this.redis.get(this.keys.k('slack', 'approval-msg', id));
    return raw ? (JSON.parse(raw) as { channel: string; ts: string }) : undefined;
  }
}
