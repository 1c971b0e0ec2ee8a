import { UnrecoverableError } from 'bullmq';
import { secretFromEnv } from '../config/env-files.js';
import type { Redis } from 'ioredis';
import { PAGERDUTY_EVENTS_URL } from '../config/notify-schema.js';
import type { Config } from '../config/schema.js';
import { GantryError } from '../domain/errors.js';
import { shortSha } from '../domain/sha.js';
import { Voice } from '../i18n/voice.js';
import { commitUrl } from '../queries/links.js';
import { eventLine } from '../render/event-text.js';
import { PLAIN } from '../render/markup.js';
import type { Keys } from '../store/redis.js';
import type { Notifier } from './delivery.js';
import type { StoredEvent } from './events.js';

/** PagerDuty's limits: a summary of at most 1024 characters, a dedup key of at most 255. */
const SUMMARY_MAX = 1024;
const DEDUP_MAX = 255;
const TIMEOUT_MS = 10_000;

/**
 * Adds a dedup key to the service's open incidents for an app and environment, unless a healthy
 * rollout or a passed verification published after this failure was already handled there: a
 * trigger delayed by retries must not open an incident for a deploy that is superseded.
 * KEYS: open set, resolved-at. ARGV: the failure event's time (ISO, UTC), the dedup key.
 */
const OPEN = `
local resolved = redis.call('GET', KEYS[2])
if resolved and resolved >= ARGV[1] then return 0 end
redis.call('SADD', KEYS[1], ARGV[2])
return 1`;

/** Records that a good event at ARGV[1] was handled (the latest one wins); returns the open incidents. */
const CLOSE = `
local resolved = redis.call('GET', KEYS[2])
if not resolved or resolved < ARGV[1] then redis.call('SET', KEYS[2], ARGV[1]) end
return redis.call('SMEMBERS', KEYS[1])`;

/** The events about a followed deploy's rollout or verification (a `type` covers both outcomes). */
type RolloutEvent = Extract<StoredEvent, { rollout: unknown }> | Extract<StoredEvent, { verification: unknown }>;

/** A rollout or verification failure, as one incident. */
interface Failure {
  app: string;
  env: string;
  dedupKey: string;
  timestamp: string;
  commit?: string;
  details: Record<string, string | undefined>;
  logUrl?: string;
}

/**
 * PagerDuty through its Events API v2, so on-call is paged: a failed rollout or verification
 * triggers an incident (one per deploy, whatever the redeliveries), and the next healthy rollout
 * or passed verification of that app and environment resolves every incident this service still
 * has open there. Open incidents are kept in Redis until PagerDuty accepted their resolve.
 * 429, 5xx and network errors throw so the queue retries; 400 (an event PagerDuty will never
 * accept) fails the job at once with PagerDuty's reason.
 */
export class PagerDutyNotifier implements Notifier {
  readonly platform = 'pagerduty';
  /** summaries are the English event line: PagerDuty's phone calls and SMS read them out */
  private readonly voice = new Voice('en', 'UTC');

  constructor(
    private readonly config: Config,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async send(name: string, e: StoredEvent): Promise<void> {
    switch (e.type) {
      case 'rollout-failed':
      case 'verify-failed':
        return this.trigger(name, e);
      case 'rolled-out':
        return this.resolve(name, e.rollout.app, e.rollout.env, e.at);
      case 'verified':
        return this.resolve(name, e.verification.app, e.verification.env, e.at);
      default:
        throw new UnrecoverableError(`pagerduty:${name} takes only rollout and verification events, not ${e.type}`);
    }
  }

  /** `gantry doctor --notify`: a change event, which shows on the service's timeline and pages no one. */
  async test(name: string): Promise<void> {
    await this.post(name, '/v2/change/enqueue', {
      payload: {
        summary: `gantry doctor --notify: a test of PagerDuty service ${name} (a change event, which pages no one)`,
        source: 'gantry',
        timestamp: new Date().toISOString(),
        custom_details: { sent_by: 'gantry doctor --notify' },
      },
    });
  }

  private async trigger(name: string, e: RolloutEvent): Promise<void> {
    const service = this.service(name);
    const f = failureOf(e);
    const opened = Number(await this.redis.eval(OPEN, 2, ...this.incidentKeys(name, f.app, f.env), e.at, f.dedupKey));
    if (opened !== 1) return; // a later healthy rollout or passed verification was already handled
    const commit = f.commit ? commitUrl(this.config, f.commit) : undefined;
    const links = [
      ...(commit && f.commit ? [{ href: commit, text: `deploy commit ${shortSha(f.commit)}` }] : []),
      ...(f.logUrl ? [{ href: f.logUrl, text: 'verification log' }] : []),
    ];
    const summary = eventLine(e, this.voice, PLAIN, { commit }) ?? `${e.type}: ${f.app} in ${f.env}`;
    await this.post(name, '/v2/enqueue', {
      event_action: 'trigger',
      dedup_key: f.dedupKey,
      payload: {
        summary: summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary,
        source: this.sourceOf(f.app, f.env),
        severity: service.severity,
        timestamp: f.timestamp,
        component: f.app,
        group: f.env,
        class: e.type,
        custom_details: f.details,
      },
      links,
      client: 'gantry',
    });
  }

  /** Resolves each incident still open for app/env, forgetting each once PagerDuty accepted it: a redelivery resolves only what is left. */
  private async resolve(name: string, app: string, env: string, at: string): Promise<void> {
    this.service(name);
    const [open, resolvedAt] = this.incidentKeys(name, app, env);
    const keys = (await this.redis.eval(CLOSE, 2, open, resolvedAt, at)) as string[];
    for (const dedupKey of keys) {
      await this.post(name, '/v2/enqueue', { event_action: 'resolve', dedup_key: dedupKey });
      await this.redis.srem(open, dedupKey);
    }
  }

  private service(name: string) {
    if (!Object.hasOwn(this.config.pagerduty.services, name)) throw new GantryError('CONFIG_MISSING', `no pagerduty.services.${name} in the config`);
    return this.config.pagerduty.services[name]!;
  }

  private incidentKeys(name: string, app: string, env: string): [open: string, resolvedAt: string] {
    return [this.keys.k('pagerduty', name, app, env, 'open'), this.keys.k('pagerduty', name, app, env, 'resolved-at')];
  }

  /** The environment's base URL when the config has one (where the failure shows), else app/env. */
  private sourceOf(app: string, env: string): string {
    const url = Object.hasOwn(this.config.environments, env) ? this.config.environments[env]!.url : undefined;
    return url ?? `${app}/${env}`;
  }

  /** POSTs one event with the service's routing key, read from its variable now (never kept). */
  private async post(name: string, path: string, event: Record<string, unknown>): Promise<void> {
    const service = this.service(name);
    const routingKey = secretFromEnv(this.env, service.routingKeyEnv);
    if (!routingKey) throw new GantryError('CONFIG_MISSING', `${service.routingKeyEnv} (the routing key of PagerDuty service ${name}) is not set`);
    const url = `${(service.url ?? PAGERDUTY_EVENTS_URL).replace(/\/+$/, '')}${path}`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'gantry' },
      body: JSON.stringify({ routing_key: routingKey, ...event }),
      // a redirect could carry the routing key elsewhere
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text().catch(() => '');
    if (res.ok) return;
    const why = `PagerDuty service ${name} answered HTTP ${res.status}`;
    if (res.status === 400) throw new UnrecoverableError(`${why}, the event is invalid: ${reasonOf(text)}`);
    if (res.status >= 300 && res.status < 400) throw new Error(`${why}, a redirect; redirects are refused`);
    throw new Error(res.status === 429 ? `${why}, rate limited` : `${why}: ${reasonOf(text)}`);
  }
}

function failureOf(e: RolloutEvent): Failure {
  if ('rollout' in e) {
    const r = e.rollout;
    return {
      app: r.app,
      env: r.env,
      dedupKey: dedupKeyOf(r.app, r.env, r.commit || r.version),
      timestamp: r.since,
      commit: r.commit,
      details: { version: r.version, commit: r.commit, state: r.state, message: r.message, requester: r.requestedBy && (r.requestedBy.name ?? r.requestedBy.id) },
    };
  }
  const v = e.verification;
  return {
    app: v.app,
    env: v.env,
    dedupKey: dedupKeyOf(v.app, v.env, v.commit || v.version),
    timestamp: v.at,
    ...(v.commit ? { commit: v.commit } : {}),
    ...(v.logUrl ? { logUrl: v.logUrl } : {}),
    details: { version: v.version, commit: v.commit, state: 'verification failed', message: v.message, requester: v.requestedBy && (v.requestedBy.name ?? v.requestedBy.id), log: v.logUrl },
  };
}

/** One incident per deploy: `gantry/<app>/<env>/<deploy commit, or version>`. */
export function dedupKeyOf(app: string, env: string, deploy: string | undefined): string {
  return `gantry/${app}/${env}/${deploy ?? 'unknown'}`.slice(0, DEDUP_MAX);
}

/** PagerDuty's own words from an error body (`message` and `errors`), short, or the body's start. */
function reasonOf(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const errors = Array.isArray(body.errors) ? body.errors.filter((x): x is string => typeof x === 'string') : [];
    const parts = [typeof body.message === 'string' ? body.message : '', ...errors].filter(Boolean);
    if (parts.length) return parts.join('; ').slice(0, 500);
  } catch {
    // not JSON: a proxy's page
  }
  return text.slice(0, 200) || '(no body)';
}
