import type { Redis } from 'ioredis';
import type { BundlePreview } from '../domain/bundle.js';
import type { DeployChange, DeployRequest } from '../domain/deploy.js';
import { GantryError } from '../domain/errors.js';
import { msg } from '../i18n/voice.js';
import type { Actor } from '../domain/identity.js';
import type { Keys } from '../store/redis.js';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'executed' | 'failed';

export interface Vote {
  actor: Actor;
  /** the person behind `actor` when the vote was cast (config user, or the bare identity) */
  person: string;
  at: string;
}

/** What an approval id looks like; anything else names no approval (and no other key). */
export const APPROVAL_ID = /^\d{1,12}$/;

/** A promotion waiting for approvers other than the requester, until its deadline. */
export interface Approval {
  id: string;
  status: ApprovalStatus;
  request: DeployRequest;
  required: number;
  /** the principals that may approve (groups, users, identities) */
  approvers: string[];
  votes: Vote[];
  denied?: { actor: Actor; reason: string; at: string };
  createdAt: string;
  deadline: string;
  /** what the approvers are asked to let through */
  preview: { previousVersion?: string; changes: DeployChange[] };
  result?: { commit?: string; error?: string };
  /** where the request came from, so the outcome can be told there (platform-specific) */
  origin?: Record<string, string>;
  /** a bundle: every app it moves (`request` names the first); deployed by the bundle job only */
  bundle?: BundlePreview;
}

/**
 * Approvals in Redis. Every state change is a WATCH/MULTI transaction on the one key, so two
 * approvers clicking at once, or a click racing the deadline, end in exactly one outcome.
 */
export class ApprovalStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  private key(id: string): string {
    return this.keys.k('approval', id);
  }

  /**
   * Opens a request. One open request per change (action, app, environment, version): a second
   * would let two sets of approvers deploy the same thing twice. The claim is a SET NX, so two
   * requests racing each other cannot both open.
   */
  async create(a: Omit<Approval, 'id' | 'status' | 'votes'>): Promise<Approval> {
    const r = a.request;
    const claim = a.bundle
      ? this.keys.k('approval', 'open', r.action, 'bundle', a.bundle.name, r.env)
      : this.keys.k('approval', 'open', r.action, r.app, r.env, r.version ?? '');
    const claimTtl = Math.max(1, Math.ceil((Date.parse(a.deadline) - Date.now()) / 1000));
    const id = String(await this.redis.incr(this.keys.k('approval', 'seq')));
    if ((await this.redis.set(claim, id, 'EX', claimTtl, 'NX')) !== 'OK') {
      const holder = await this.redis.get(claim);
      const open = holder !== null ? await this.get(holder) : undefined;
      if (open?.status === 'pending' || open?.status === 'approved') {
        throw new GantryError('APPROVAL_PENDING', msg('error.approval.pending', { id: open.id }));
      }
      await this.redis.set(claim, id, 'EX', claimTtl); // the earlier request is closed
    }
    // the request id doubles as the deploy job id: a repeated /approve cannot deploy twice
    const approval: Approval = { ...a, id, status: 'pending', votes: [], request: { ...a.request, id: `approval-${id}`, approval: id } };
    // kept a week after the deadline for /approve replies that arrive late
    const ttl = Math.max(60, Math.ceil((Date.parse(a.deadline) - Date.now()) / 1000) + 7 * 86400);
    await this.redis.set(this.key(id), JSON.stringify(approval), 'EX', ttl);
    await this.redis.zadd(this.keys.k('approvals', 'pending'), String(Date.parse(a.deadline)), id);
    return approval;
  }

  async get(id: string): Promise<Approval | undefined> {
    if (!APPROVAL_ID.test(id)) return undefined;
    const raw = await this.redis.get(this.key(id));
    return raw ? (JSON.parse(raw) as Approval) : undefined;
  }

  async pending(): Promise<Approval[]> {
    const ids = await this.redis.zrange(this.keys.k('approvals', 'pending'), '0', '-1');
    const all = await Promise.all(ids.map((id) => this.get(id)));
    return all.filter((a): a is Approval => a?.status === 'pending');
  }

  /**
   * Applies `change` to the approval atomically; `change` throws to refuse, and then nothing is
   * written. The rules and the state machine (rules.ts, state.ts) run inside it, on the record as
   * it is in Redis at that moment.
   */
  async update<T>(id: string, change: (a: Approval) => T): Promise<{ approval: Approval; value: T }> {
    if (!APPROVAL_ID.test(id)) throw new GantryError('APPROVAL_UNKNOWN', msg('error.approval.unknown', { id }));
    return oneAtATime(this.redis, () => this.transact(id, change));
  }

  private async transact<T>(id: string, change: (a: Approval) => T): Promise<{ approval: Approval; value: T }> {
    const key = this.key(id);
    for (let i = 0; i < 50; i++) {
      await this.redis.watch(key);
      const raw = await this.redis.get(key);
      if (!raw) {
        await this.redis.unwatch();
        throw new GantryError('APPROVAL_UNKNOWN', msg('error.approval.unknown', { id }));
      }
      const approval = JSON.parse(raw) as Approval;
      let value: T;
      try {
        value = change(approval);
      } catch (e) {
        await this.redis.unwatch();
        throw e;
      }
      // a change that changed nothing (an expiry that came too late) writes nothing
      if (JSON.stringify(approval) === raw) {
        await this.redis.unwatch();
        return { approval, value };
      }
      const multi = this.redis.multi().set(key, JSON.stringify(approval), 'KEEPTTL');
      if (approval.status !== 'pending') multi.zrem(this.keys.k('approvals', 'pending'), id);
      if (await multi.exec()) return { approval, value };
    }
    throw new GantryError('INTERNAL', msg('error.approval.busy', { id }));
  }
}

/**
 * WATCH belongs to the connection, and every update of this process shares one: two updates
 * interleaved on it (two approvers clicking at once) would have the first EXEC drop the
 * second's WATCH, and the second would then write over the first's vote. So a connection runs
 * one transaction at a time; WATCH still guards against other processes.
 */
const chains = new WeakMap<Redis, Promise<unknown>>();
function oneAtATime<T>(redis: Redis, run: () => Promise<T>): Promise<T> {
  const done = (chains.get(redis) ?? Promise.resolve()).then(run, run);
  chains.set(redis, done.catch(() => undefined));
  return done;
}
