import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { toEntry, type BuildLogStore, type LogEntry } from '../../images/build-log.js';
import type { Logger } from '../../util/logger.js';
import { SECURITY_HEADERS } from '../respond.js';

/**
 * Server-sent events of running builds' logs. Per process, one Redis reader per build (a blocking
 * XREAD on a connection of its own) fans each batch out to every viewer of that build: the batch
 * is turned into SSE text once and the same string is written to each. A viewer that does not
 * keep up (its socket's buffer past `maxBufferedBytes`) is dropped rather than buffered: its
 * EventSource reconnects with Last-Event-ID and replays from Redis, so memory stays bounded.
 */
export interface LiveLogOptions {
  maxViewers?: number;
  maxViewersPerBuild?: number;
  maxBufferedBytes?: number;
  heartbeatMs?: number;
  /** how long one XREAD blocks before looking again whether anyone still watches */
  blockMs?: number;
  log: Logger;
}

interface Watcher {
  res: ServerResponse;
  /** the last stream id written to this viewer */
  last: string;
  /** batches that arrived while its replay was read */
  pending?: LogEntry[][];
}

/** Stream ids compare as (milliseconds, sequence). */
export function afterId(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am > bm || (am === bm && as > bs);
}

/** SSE text of entries: one event per line, `end` with the final state as the last. */
export function sseText(entries: readonly LogEntry[]): string {
  let out = '';
  for (const e of entries) {
    if (e.end !== undefined) out += `id: ${e.id}\nevent: end\ndata: ${e.end}\n\n`;
    else out += `id: ${e.id}\ndata: ${(e.line ?? '').replace(/[\r\n]/g, ' ')}\n\n`;
  }
  return out;
}

class Feed {
  readonly watchers = new Set<Watcher>();
  private conn: Redis | undefined;
  private last = '0-0';
  private stopped = false;
  readonly ready: Promise<void>;

  constructor(
    private readonly key: string,
    redis: Redis,
    private readonly o: Required<Omit<LiveLogOptions, 'log'>> & { log: Logger },
    private readonly onIdle: () => void,
  ) {
    this.ready = (async () => {
      const newest = await redis.xrevrange(key, '+', '-', 'COUNT', 1);
      if (newest[0]) this.last = newest[0][0];
      if (this.stopped) return;
      this.conn = redis.duplicate({ maxRetriesPerRequest: null, connectionName: 'gantry-build-log' });
      this.conn.on('error', (err) => this.o.log.warn({ err: err.message }, 'build log reader connection error'));
      void this.run();
    })();
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.watchers.size) {
      let res: [string, [string, string[]][]][] | null;
      try {
        res = (await this.conn!.xread('COUNT', 1000, 'BLOCK', this.o.blockMs, 'STREAMS', this.key, this.last)) as typeof res;
      } catch (err) {
        if (this.stopped) return;
        this.o.log.warn({ err: String(err) }, 'build log read failed');
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      const entries = (res?.[0]?.[1] ?? []).map(toEntry);
      if (!entries.length) continue;
      this.last = entries[entries.length - 1]!.id;
      this.deliver(entries);
      if (entries.some((e) => e.end !== undefined)) this.stop();
    }
    this.stop();
  }

  deliver(entries: LogEntry[]): void {
    const text = sseText(entries);
    const lastId = entries[entries.length - 1]!.id;
    for (const w of this.watchers) {
      if (w.pending) {
        w.pending.push(entries);
        continue;
      }
      // the usual case writes the shared text; a batch overlapping the viewer's replay is cut for it
      const fresh = afterId(entries[0]!.id, w.last) ? entries : entries.filter((e) => afterId(e.id, w.last));
      if (!fresh.length) continue;
      write(w, fresh === entries ? text : sseText(fresh), lastId, this.o.maxBufferedBytes);
      if (entries[entries.length - 1]!.end !== undefined) w.res.end();
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.conn?.disconnect();
    for (const w of this.watchers) if (!w.pending) w.res.end();
    this.onIdle();
  }
}

function write(w: Watcher, text: string, lastId: string, maxBuffered: number): void {
  if (w.res.writableEnded) return;
  if (w.res.writableLength > maxBuffered) {
    // too slow: cut it loose; its EventSource comes back with Last-Event-ID
    w.res.end();
    return;
  }
  w.res.write(text);
  w.last = lastId;
}

/** Every LiveLogs of this process, so a stopping server can end their streams (closeLiveLogs). */
const running = new Set<LiveLogs>();

/**
 * Ends every live log stream of this process: an SSE response never ends by itself while its build
 * runs, and `server.close()` waits for open responses. Browsers reconnect (to another process)
 * with Last-Event-ID and miss nothing.
 */
export async function closeLiveLogs(): Promise<void> {
  await Promise.all([...running].map((l) => l.close()));
}

export class LiveLogs {
  private readonly feeds = new Map<string, Feed>();
  private viewers = 0;
  private readonly o: Required<Omit<LiveLogOptions, 'log'>> & { log: Logger };
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly store: BuildLogStore,
    private readonly redis: Redis,
    o: LiveLogOptions,
  ) {
    this.o = { maxViewers: 2000, maxViewersPerBuild: 500, maxBufferedBytes: 256 * 1024, heartbeatMs: 15_000, blockMs: 5000, ...o };
    // a comment line now and then keeps proxies from closing a quiet stream (a long `RUN` step)
    this.heartbeat = setInterval(() => {
      for (const f of this.feeds.values()) for (const w of f.watchers) if (!w.res.writableEnded) w.res.write(': keep-alive\n\n');
    }, this.o.heartbeatMs);
    this.heartbeat.unref();
    running.add(this);
  }

  /** How many viewers are being served (tests, metrics). */
  get watching(): number {
    return this.viewers;
  }

  /**
   * Serves `GET /builds/<id>/events` for a build known to exist: replays what follows `after`,
   * then follows live while the build runs, and ends with an `end` event.
   */
  async serve(id: string, running: boolean, after: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = this.store.streamKey(id);
    let feed = running ? this.feeds.get(key) : undefined;
    if (running && (this.viewers >= this.o.maxViewers || (feed?.watchers.size ?? 0) >= this.o.maxViewersPerBuild)) {
      res.writeHead(503, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'retry-after': '10' });
      res.end('too many viewers of live logs; try again shortly');
      return;
    }
    // a stream is long and not reused: its socket closes with it, so a stopping server does not wait for it idle
    res.shouldKeepAlive = false;
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' });
    res.write('retry: 3000\n\n');
    if (!running) {
      res.end(sseText(await this.store.entries(id, after)));
      return;
    }
    if (!feed) {
      feed = new Feed(key, this.redis, this.o, () => this.feeds.delete(key));
      this.feeds.set(key, feed);
    }
    const w: Watcher = { res, last: after ?? '0-0', pending: [] };
    feed.watchers.add(w);
    this.viewers++;
    const f = feed;
    req.on('close', () => {
      if (!f.watchers.delete(w)) return;
      this.viewers--;
      if (!f.watchers.size) f.stop();
    });
    await f.ready;
    // the feed's start is known now: what the replay reads reaches at least to it, the feed brings the rest
    const replay = await this.store.entries(id, after);
    const queued = w.pending ?? [];
    delete w.pending;
    if (replay.length) write(w, sseText(replay), replay[replay.length - 1]!.id, Infinity);
    if (replay.some((e) => e.end !== undefined)) {
      res.end();
      return;
    }
    for (const batch of queued) {
      const fresh = batch.filter((e) => afterId(e.id, w.last));
      if (fresh.length) write(w, sseText(fresh), fresh[fresh.length - 1]!.id, this.o.maxBufferedBytes);
      if (fresh.some((e) => e.end !== undefined)) res.end();
    }
  }

  async close(): Promise<void> {
    running.delete(this);
    clearInterval(this.heartbeat);
    for (const f of [...this.feeds.values()]) {
      for (const w of f.watchers) w.res.end();
      f.stop();
    }
  }
}
