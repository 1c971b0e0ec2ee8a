import type { Redis } from 'ioredis';
import type { FollowUp } from '../../notify/router.js';
import type { Keys } from '../../store/redis.js';

/** A conversation's session webhook: where gantry may answer in it, until it expires. */
export interface DingtalkSession {
  sessionWebhook: string;
  /** ms since the epoch; 0 when DingTalk did not say */
  expires: number;
  conversation: string;
}

/**
 * The conversation each deploy was asked for in, by request id, so its rollout is told there
 * (DingTalk has no threads; the session webhook answers in the conversation while it lives).
 */
export class DingtalkSessions {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  private key(where: FollowUp): string | undefined {
    if (where.requestId !== undefined) return this.keys.k('dingtalk', 'request-session', where.requestId);
    return where.approval !== undefined ? this.keys.k('dingtalk', 'approval-session', where.approval) : undefined;
  }

  /** Remembers the conversation of a deploy's request, or of an approval request. */
  async set(where: FollowUp, s: DingtalkSession): Promise<void> {
    const key = this.key(where);
    if (!key) return;
    // a session webhook lives about two hours; a day covers any that DingTalk did not date
    const ttl = s.expires > Date.now() ? Math.ceil((s.expires - Date.now()) / 1000) : 86_400;
    await this.redis.set(key, JSON.stringify(s), 'EX', ttl);
  }

  /** The conversation of the deploy's request, else of its approval request. */
  async get(where: FollowUp): Promise<DingtalkSession | undefined> {
    const keys = [where.requestId !== undefined ? this.key({ requestId: where.requestId }) : undefined, where.approval !== undefined ? this.key({ approval: where.approval }) : undefined];
    let raw: string | null = null;
    for (const key of keys) if (key && !raw) raw = await this.redis.get(key);
    if (!raw) return undefined;
    const v = JSON.parse(raw) as Partial<DingtalkSession>;
    if (typeof v.sessionWebhook !== 'string' || typeof v.conversation !== 'string' || typeof v.expires !== 'number') return undefined;
    return { sessionWebhook: v.sessionWebhook, expires: v.expires, conversation: v.conversation };
  }
}
