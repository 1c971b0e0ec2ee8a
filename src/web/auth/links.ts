import type { Redis } from 'ioredis';
import type { LoginLinkIssuer } from '../../commands/context.js';
import { GantryError } from '../../domain/errors.js';
import { msg } from '../../i18n/voice.js';
import type { Keys } from '../../store/redis.js';
import { randomToken, TOKEN, tokenHash } from './tokens.js';

/** A sign-in link's record: who it was issued to, and until when it works. */
export interface LoginLink {
  identity: string;
  expiresAt: string;
}

/** What became of a link someone opened: usable, or why not. */
export type LinkState = { state: 'valid'; link: LoginLink } | { state: 'unknown' | 'expired' | 'used' };

/** How long a used or expired link is still recognised as such, so its page can say what happened. */
const REMEMBER_MS = 24 * 3_600_000;

export interface LoginLinksOptions {
  ttlMs: number;
  now(): Date;
  /** the address people reach gantry at (GANTRY_PUBLIC_URL; in local mode, the local server once it listens) */
  publicUrl(): string | undefined;
}

/**
 * One-time sign-in links (`/gantry login`): a 256-bit random token bound to the chat identity
 * that asked, valid for `web.loginLinkTtl`, usable once (GETDEL, atomic across web replicas).
 * Records are kept a day past their expiry and used ones leave a marker, so the page can say
 * "expired" or "already used" instead of a bare "unknown".
 */
export class LoginLinks implements LoginLinkIssuer {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly o: LoginLinksOptions,
  ) {}

  async issue(identity: string): Promise<{ url: string; expiresAt: string }> {
    const base = this.o.publicUrl();
    if (!base) throw new GantryError('CONFIG_MISSING', msg('signin.error.no-public-url'));
    const token = randomToken();
    const expiresAt = new Date(this.o.now().getTime() + this.o.ttlMs).toISOString();
    const record: LoginLink = { identity, expiresAt };
    await this.redis.set(this.key(token), JSON.stringify(record), 'PX', this.o.ttlMs + REMEMBER_MS);
    return { url: `${base.replace(/\/+$/, '')}/login/link/${token}`, expiresAt };
  }

  /** The link's state without using it up: chat apps fetch links to preview them. */
  async peek(token: string): Promise<LinkState> {
    if (!TOKEN.test(token)) return { state: 'unknown' };
    return this.stateOf(token, await this.redis.get(this.key(token)));
  }

  /** Uses the link up, once: a second call (from any replica) finds it gone. */
  async consume(token: string): Promise<LinkState> {
    if (!TOKEN.test(token)) return { state: 'unknown' };
    const raw = await this.redis.getdel(this.key(token));
    const state = await this.stateOf(token, raw);
    // what the next attempt is told: this link was used, or had expired when someone tried it
    if (raw !== null) await this.redis.set(this.usedKey(token), state.state === 'valid' ? 'used' : 'expired', 'PX', REMEMBER_MS);
    return state;
  }

  private async stateOf(token: string, raw: string | null): Promise<LinkState> {
    if (raw === null) {
      const was = await this.redis.get(this.usedKey(token));
      return { state: was === 'used' || was === 'expired' ? was : 'unknown' };
    }
    const link = parseLink(raw);
    if (!link) return { state: 'unknown' };
    return Date.parse(link.expiresAt) > this.o.now().getTime() ? { state: 'valid', link } : { state: 'expired' };
  }

  private key(token: string): string {
    return this.keys.k('web', 'login-link', tokenHash(token));
  }

  private usedKey(token: string): string {
    return this.keys.k('web', 'login-link-used', tokenHash(token));
  }
}

/** A record read back from Redis is checked like any outside input. */
function parseLink(raw: string): LoginLink | undefined {
  try {
    const v = JSON.parse(raw) as Partial<LoginLink> | null;
    return typeof v?.identity === 'string' && typeof v.expiresAt === 'string' ? { identity: v.identity, expiresAt: v.expiresAt } : undefined;
  } catch {
    return undefined;
  }
}
