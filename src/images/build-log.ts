import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { parseDuration } from '../domain/duration.js';
import type { BuildLogConfig } from '../config/build-log-schema.js';
import type { Keys } from '../store/redis.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { lastRedraw } from './log-tail.js';

/**
 * Every build's whole log and what it made, for its page (/builds/<id>, src/web/builds/): a Redis
 * Stream of lines per build, trimmed to `logLines` as it grows, and a hash of metadata. Both
 * expire `logRetention` after the build's last write. The stream ends with an `e` entry (the final
 * state), so a reader following it live knows when to stop without a second channel.
 */

/** 128 random bits: the id in a build page's address cannot be guessed from the commit or PR. */
export function newBuildId(): string {
  return randomBytes(16).toString('base64url');
}

const BUILD_ID = /^[A-Za-z0-9_-]{22}$/;
/** Checked before any Redis call: the id comes from a URL. */
export function isBuildId(s: string): boolean {
  return BUILD_ID.test(s);
}

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
export function isStreamId(s: string): boolean {
  return STREAM_ID.test(s);
}

export type BuildState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const FINAL_STATES: ReadonlySet<string> = new Set<BuildState>(['succeeded', 'failed', 'cancelled']);

/** What the page shows besides the log; every field a string, as the hash keeps it. */
export interface BuildLogMeta {
  app: string;
  image: string;
  /** the source repo, owner/name */
  repo: string;
  sha: string;
  version: string;
  /** `pr #42`, `tag v1.2.3`, `branch main` */
  trigger: string;
  /** the Dockerfile's path in the repo */
  dockerfile: string;
  checkRunUrl?: string;
  state?: BuildState;
  /** when its check run was created and the job queued */
  queuedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** the image reference and digest of a build that pushed */
  ref?: string;
  digest?: string;
  /** a failure's stage and message; the failing step and its Dockerfile line when docker named one */
  stage?: string;
  message?: string;
  step?: string;
  instruction?: string;
  dockerfileLine?: string;
  /** lines written in all, kept or not (more than the stream holds: the log was cut) */
  lines?: string;
}

export type BuildEnd = Pick<BuildLogMeta, 'ref' | 'digest' | 'stage' | 'message' | 'step' | 'instruction' | 'dockerfileLine'> & { state: Exclude<BuildState, 'running' | 'queued'> };

export interface LogEntry {
  /** the stream id: the SSE event id a reconnecting reader resumes after */
  id: string;
  line?: string;
  /** the final state, on the last entry */
  end?: string;
}

export interface BuildLogSettings {
  retentionMs: number;
  maxLines: number;
  /** longer lines are cut (a minified bundle printed by a step) */
  maxLineChars?: number;
  /** a batch goes out after this long or at `batchLines` lines, whichever is first */
  flushMs?: number;
  batchLines?: number;
}

export function buildLogSettings(c: BuildLogConfig): BuildLogSettings {
  return { retentionMs: parseDuration(c.logRetention), maxLines: c.logLines };
}

export class BuildLogStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    readonly settings: BuildLogSettings,
    private readonly log: Logger = silentLogger,
  ) {}

  metaKey(id: string): string {
    return this.keys.k('build-log', id);
  }
  streamKey(id: string): string {
    return this.keys.k('build-log', id, 'lines');
  }
  private recentKey(): string {
    return this.keys.k('build-log', 'recent');
  }

  /**
   * A build is queued: its check run links the page already, so the page exists from now on
   * (saying it waits for a builder) instead of answering 404 until a worker takes the job. A
   * build that already has a page (a retried event) keeps it as it is.
   */
  async queued(id: string, meta: BuildLogMeta, now = new Date()): Promise<void> {
    const k = this.metaKey(id);
    const ttl = this.settings.retentionMs;
    if (await this.redis.exists(k)) return;
    await this.redis.multi().hset(k, { ...meta, state: 'queued', queuedAt: now.toISOString() }).pexpire(k, ttl).zadd(this.recentKey(), now.getTime(), id).exec();
  }

  /** A build (or another attempt of it) starts: its metadata, its place in the recent list, and a writer for its lines. */
  async start(id: string, meta: BuildLogMeta, now = new Date()): Promise<BuildLogWriter> {
    const k = this.metaKey(id);
    const ttl = this.settings.retentionMs;
    const res = await this.redis
      .multi()
      .hset(k, { ...meta, state: 'running' })
      .hsetnx(k, 'startedAt', now.toISOString())
      .hdel(k, 'finishedAt')
      .hincrby(k, 'attempts', 1)
      .pexpire(k, ttl)
      .zadd(this.recentKey(), now.getTime(), id)
      .zremrangebyscore(this.recentKey(), 0, now.getTime() - ttl)
      .exec();
    const attempt = Number(res?.[3]?.[1] ?? 1);
    const writer = new BuildLogWriter(this, id, this.log);
    if (attempt > 1) writer.line(`--- gantry: attempt ${attempt} ---`);
    return writer;
  }

  /** Sends one batch of lines: one round trip, the stream trimmed to its bound as it grows. */
  async append(id: string, lines: readonly string[]): Promise<void> {
    const s = this.streamKey(id);
    const p = this.redis.pipeline();
    for (const l of lines) p.xadd(s, 'MAXLEN', this.settings.maxLines, '*', 'l', l);
    p.hincrby(this.metaKey(id), 'lines', lines.length).pexpire(s, this.settings.retentionMs);
    await p.exec();
  }

  /** The build ended: its outcome, then the `e` entry live readers stop at; an end said already is not said twice. */
  async end(id: string, end: BuildEnd, now = new Date()): Promise<void> {
    const k = this.metaKey(id);
    const state = await this.redis.hget(k, 'state');
    if (state !== null && FINAL_STATES.has(state)) return;
    const fields: Record<string, string> = { finishedAt: now.toISOString() };
    for (const [name, v] of Object.entries(end)) if (v !== undefined) fields[name] = String(v);
    await this.redis
      .multi()
      .hset(k, fields)
      .hsetnx(k, 'startedAt', now.toISOString())
      .xadd(this.streamKey(id), 'MAXLEN', this.settings.maxLines + 1, '*', 'e', end.state)
      .pexpire(k, this.settings.retentionMs)
      .pexpire(this.streamKey(id), this.settings.retentionMs)
      .exec();
  }

  async meta(id: string): Promise<(BuildLogMeta & { attempts?: string }) | undefined> {
    const h = await this.redis.hgetall(this.metaKey(id));
    return Object.keys(h).length ? (h as unknown as BuildLogMeta) : undefined;
  }

  /** Entries after `after` (a stream id; the start when absent), at most `count`. */
  async entries(id: string, after?: string, count = this.settings.maxLines + 1): Promise<LogEntry[]> {
    const raw = await this.redis.xrange(this.streamKey(id), after ? `(${after}` : '-', '+', 'COUNT', count);
    return raw.map(toEntry);
  }

  /** The newest builds, newest first. */
  async recent(limit = 50): Promise<(BuildLogMeta & { id: string })[]> {
    const ids = await this.redis.zrevrange(this.recentKey(), 0, limit - 1);
    if (!ids.length) return [];
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.metaKey(id));
    const res = (await p.exec()) ?? [];
    return ids.flatMap((id, i) => {
      const h = res[i]?.[1] as Record<string, string> | undefined;
      return h && Object.keys(h).length ? [{ ...(h as unknown as BuildLogMeta), id }] : [];
    });
  }
}

// ESC [ … m: the terminal colours docker puts around stderr
const CONTROL = /\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f]/g;

/** A line as people read it: docker's terminal colours (stderr is red) and other control characters removed. */
export function plainText(line: string): string {
  return line.replace(CONTROL, '');
}

/** A stream entry as the page and the live feed read it. */
export function toEntry([id, fields]: [string, string[]]): LogEntry {
  const e: LogEntry = { id };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'l') e.line = fields[i + 1]!;
    else if (fields[i] === 'e') e.end = fields[i + 1]!;
  }
  return e;
}

/**
 * Lines of one running build, batched: a chatty `RUN make` costs one round trip per batch, not
 * per line. The log is a courtesy to people, never a reason for a build to fail: a Redis error
 * is logged and the lines of that batch are lost. While Redis lags, at most `maxLines` lines wait
 * in memory; the rest are counted and said at the end.
 */
export class BuildLogWriter {
  private partial = '';
  private batch: string[] = [];
  private waiting = 0;
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly maxChars: number;
  private readonly batchLines: number;

  constructor(
    private readonly store: BuildLogStore,
    readonly id: string,
    private readonly log: Logger,
  ) {
    this.maxChars = store.settings.maxLineChars ?? 2000;
    this.batchLines = Math.min(store.settings.batchLines ?? 200, store.settings.maxLines);
  }

  /** Raw output, in chunks that may split lines. */
  write = (text: string): void => {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > 4 * this.maxChars) this.partial = this.partial.slice(-4 * this.maxChars);
    for (const p of parts) this.push(lastRedraw(p));
  };

  line(text: string): void {
    this.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  private push(raw: string): void {
    // lines waiting for Redis: a few batches normally; past the bound, Redis is stuck and lines are counted, not kept
    if (this.waiting >= Math.max(this.store.settings.maxLines, 4 * this.batchLines)) {
      this.dropped++;
      return;
    }
    const line = plainText(raw);
    this.batch.push(line.length > this.maxChars ? `${line.slice(0, this.maxChars)}…` : line);
    this.waiting++;
    if (this.batch.length >= this.batchLines) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.store.settings.flushMs ?? 100);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.batch.length) return;
    const lines = this.batch;
    this.batch = [];
    this.chain = this.chain
      .then(() => this.store.append(this.id, lines))
      .catch((err: unknown) => this.log.warn({ build: this.id, lines: lines.length, err: String(err) }, 'build log lines lost'))
      .finally(() => {
        this.waiting -= lines.length;
      });
  }

  /** Sends what is left (the last partial line too) and waits for it. */
  async close(): Promise<void> {
    if (this.partial) this.push(lastRedraw(this.partial));
    this.partial = '';
    if (this.dropped) {
      this.batch.push(`--- gantry: ${this.dropped} lines not kept: Redis was too slow to take them ---`);
      this.dropped = 0;
    }
    this.flush();
    await this.chain;
  }
}
