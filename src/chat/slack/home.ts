import type { webApi } from '@slack/bolt';
import { fromOf } from '../../config/schema.js';
import { EventBus, type GantryEvent } from '../../notify/events.js';
import type { FaceDeps } from '../face.js';
import { homeView } from './home-view.js';
import type { SlackIdentities } from './identity.js';

type WebClient = webApi.WebClient;

export interface HomeOptions {
  /** where `gantry web` is reached (GANTRY_PUBLIC_URL): the Home tab links to the dashboard */
  publicUrl?: string;
  /** a burst of events within this window is one publish per person */
  debounceMs: number;
  /** the pause between two publishes of one refresh round: views.publish is tier 4 (100+ a minute) */
  spacingMs: number;
  /** how many people, most recent first, are kept up to date */
  maxViewers: number;
  /** someone who has not opened the tab for this long is no longer refreshed */
  keepMs: number;
}

export const HOME_DEFAULTS: HomeOptions = { debounceMs: 3000, spacingMs: 600, maxViewers: 500, keepMs: 7 * 86_400_000 };

/** What a Home tab shows may have changed after these (a vote short of the last one: see `changed`). */
const CHANGES: ReadonlySet<GantryEvent['type']> = new Set<GantryEvent['type']>([
  'deployed', 'rolled-back', 'deploy-failed', 'rolled-out', 'rollout-failed', 'verified', 'verify-failed',
  'approval-requested', 'approval-voted', 'approval-approved', 'approval-denied', 'approval-expired',
  'locked', 'unlocked', 'frozen', 'unfrozen',
]);

/** Slack user ids (`U024BE7LH`, Enterprise Grid `W…`): anything else is not kept or published to. */
const USER_ID = /^[UW][A-Z0-9]{2,20}$/;

/**
 * gantry's Home tab in Slack: published when someone opens it, and again for everyone who opened
 * it lately when something it shows changes. Who opened it is kept in Redis (a sorted set by time,
 * bounded and expiring), so every web process refreshes the same people; a refresh round is
 * claimed in Redis, so one process publishes, once per person per burst. Failures are logged:
 * a Home tab is never worth failing a command or an event for.
 */
export class SlackHome {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly deps: FaceDeps,
    private readonly client: WebClient,
    private readonly ids: SlackIdentities,
    private readonly o: HomeOptions,
  ) {}

  private key(...parts: string[]): string {
    return this.deps.keys.k('slack', 'home', ...parts);
  }

  /** Listens to gantry's events (every process publishes them on Redis) until `stop`. */
  async start(): Promise<void> {
    const bus = new EventBus(this.deps.redis, this.deps.keys);
    this.unsubscribe = await bus.subscribe(this.deps.redis.duplicate(), (e) => {
      if (CHANGES.has((e as Partial<GantryEvent> | null)?.type as GantryEvent['type'])) this.changed();
    });
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.unsubscribe?.();
    await this.running;
  }

  /** Someone opened the Home tab: remembered for refreshes, and shown what is true now. */
  async opened(userId: string): Promise<void> {
    if (!USER_ID.test(userId)) return;
    const now = Date.now();
    const viewers = this.key('viewers');
    await this.deps.redis
      .multi()
      .zadd(viewers, now, userId)
      .zremrangebyscore(viewers, '-inf', now - this.o.keepMs)
      .zremrangebyrank(viewers, 0, -(this.o.maxViewers + 1))
      .pexpire(viewers, this.o.keepMs)
      .exec();
    await this.show(userId);
  }

  /** Publishes one person's tab now, for a listener: a failure is logged, never thrown at Slack's event. */
  async show(userId: string): Promise<void> {
    await this.publish(userId).catch((err: unknown) => {
      this.deps.log.warn({ user: userId, err: String(err) }, 'slack home publish failed');
    });
  }

  /** Publishes one person's Home tab: the matrix, and the requests they may vote on, in their language. */
  async publish(userId: string): Promise<void> {
    if (!USER_ID.test(userId)) return;
    const identity = `slack:${userId}`;
    // a Slack user matched to a config user by e-mail is known by person only once resolved
    await this.ids.actor(this.client, userId);
    const [envs, approvals] = await Promise.all([this.deps.status(), this.deps.approvalsFor(identity)]);
    const { config } = this.deps;
    const upstream = new Map<string, string>();
    for (const [env, e] of Object.entries(config.environments)) {
      const from = fromOf(e);
      if (from) upstream.set(env, from.env);
    }
    const content = { envs, apps: Object.keys(config.apps), upstream, approvals, publicUrl: this.o.publicUrl, now: new Date() };
    const view = homeView(content, this.deps.voice({ platform: 'slack', identity }));
    await this.client.views.publish({ user_id: userId, view });
  }

  /**
   * Something a Home tab shows changed: after the burst settles, one refresh round publishes every
   * remembered person's tab once. Also called by the face after a vote, which raises no event
   * until the last one needed.
   */
  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.round();
    }, this.o.debounceMs);
    this.timer.unref();
  }

  private async round(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.refreshAll()
      .catch((err: unknown) => this.deps.log.warn({ err: String(err) }, 'slack home refresh failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.changed();
        }
      });
    await this.running;
  }

  private async refreshAll(): Promise<void> {
    // every web process hears the event: the first to claim the round publishes
    const claimed = await this.deps.redis.set(this.key('round'), String(process.pid), 'PX', Math.max(this.o.debounceMs, 1), 'NX');
    if (!claimed) return;
    const since = Date.now() - this.o.keepMs;
    const viewers = await this.deps.redis.zrevrangebyscore(this.key('viewers'), '+inf', since, 'LIMIT', 0, this.o.maxViewers);
    for (const [i, user] of viewers.entries()) {
      if (i > 0 && this.o.spacingMs > 0) await new Promise((r) => setTimeout(r, this.o.spacingMs));
      await this.show(user);
    }
  }
}
