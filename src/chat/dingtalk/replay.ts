import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../../store/redis.js';
import { MAX_SKEW_MS } from './sign.js';

/**
 * DingTalk's callback signature covers the timestamp, not the body: whoever sees one signed
 * request could send another body with the same headers for as long as the timestamp is fresh (an
 * hour). Each signature is therefore accepted once; a second request carrying it is a replay.
 * Remembered a little longer than the window in which the timestamp check would still pass.
 */
export class SignatureReplayGuard {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** true the first time `sign` is seen; false for a replay. Throws when Redis cannot say. */
  async firstUse(timestamp: string, sign: string): Promise<boolean> {
    const id = createHash('sha256').update(`${timestamp}\n${sign}`).digest('hex');
    const set = await this.redis.set(this.keys.k('dingtalk', 'sig', id), '1', 'PX', 2 * MAX_SKEW_MS + 60_000, 'NX');
    return set === 'OK';
  }
}
