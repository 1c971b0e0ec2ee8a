import type { Redis } from 'ioredis';
import type { Keys } from '../../store/redis.js';
import { randomToken, TOKEN, tokenHash } from './tokens.js';

/** A signed-in browser: the identity it proved, how, and its anti-CSRF token. */
export interface Session {
  identity: string;
  /** how the identity was proved */
  via: 'link' | 'github';
  csrf: string;
  createdAt: string;
}

/**
 * Sessions live in Redis (one record per sign-in, expiring with `web.sessionTtl`), so signing
 * out ends them on every web replica at once; the browser holds only the id, in a signed cookie.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly ttlMs: number,
    private readonly now: () => Date,
  ) {}

  async create(identity: string, via: Session['via']): Promise<{ id: string; session: Session }> {
    const id = randomToken();
    const session: Session = { identity, via, csrf: randomToken(), createdAt: this.now().toISOString() };
    await this.redis.set(this.key(id), JSON.stringify(session), 'PX', this.ttlMs);
    return { id, session };
  }

  async get(id: string): Promise<Session | undefined> {
    if (!TOKEN.test(id)) return undefined;
    const raw = await this.redis.get(this.key(id));
    return raw === null ? undefined : parseSession(raw);
  }

  async end(id: string): Promise<void> {
    if (TOKEN.test(id)) await this.redis.del(this.key(id));
  }

  private key(id: string): string {
    return this.keys.k('web', 'session', tokenHash(id));
  }
}

function parseSession(raw: string): Session | undefined {
  try {
    const v = JSON.parse(raw) as Partial<Session> | null;
    if (typeof v?.identity !== 'string' || typeof v.csrf !== 'string' || typeof v.createdAt !== 'string') return undefined;
    return { identity: v.identity, via: v.via === 'github' ? 'github' : 'link', csrf: v.csrf, createdAt: v.createdAt };
  } catch {
    return undefined;
  }
}

/**
 * The key that signs session cookies: GANTRY_SESSION_SECRET, or else a random one made by the
 * first web process and kept in Redis (SET NX), so every replica signs and checks with the same
 * key and sessions survive restarts without any setup.
 */
export async function sessionKey(redis: Redis, keys: Keys, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const key = keys.k('web', 'session-secret');
  await redis.set(key, randomToken(), 'NX');
  const stored = await redis.get(key);
  if (!stored) throw new Error('the session signing key could not be kept in Redis');
  return stored;
}
