import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Route } from '../../src/http/server.js';
import { BuildLogStore, newBuildId, type BuildLogWriter } from '../../src/images/build-log.js';
import { Keys } from '../../src/store/redis.js';
import { silentLogger } from '../../src/util/logger.js';
import { webAuth } from '../../src/web/auth/index.js';
import { buildRoutes } from '../../src/web/builds/index.js';
import { closeLiveLogs, type LiveLogOptions } from '../../src/web/builds/live.js';
import { serve } from '../http/serve.js';
import { startHarness, type Harness } from '../support/harness.js';
import { sse } from '../support/sse.js';
import { signInAs } from '../support/web.js';

/**
 * The live feed's fan-out on a real Redis, with a writer standing in for the build worker: many
 * viewers share one Redis reader, a viewer that stops reading is cut loose instead of buffered and
 * gets the rest by reconnecting with Last-Event-ID, and a build has a cap on its viewers.
 */
const META = { app: 'web', image: 'web', repo: 'acme/web', sha: 'a'.repeat(40), version: 'pr-1-aaaaaaa', trigger: 'pr #1', dockerfile: 'Dockerfile' };

interface Viewer {
  lines: string[];
  ids: string[];
  ended: Promise<void>;
  sawEnd: () => boolean;
  response: Promise<http.IncomingMessage>;
}

/** the signed-in reader's Cookie header, set by start() */
let cookie = '';

function view(url: string, o: { lastEventId?: string } = {}): Viewer {
  const s = sse(url, { headers: { cookie, ...(o.lastEventId ? { 'last-event-id': o.lastEventId } : {}) } });
  // read from the events each time: they keep arriving
  return {
    get lines() {
      return s.events.filter((e) => e.event !== 'end').map((e) => e.data);
    },
    get ids() {
      return s.events.flatMap((e) => (e.id ? [e.id] : []));
    },
    ended: s.ended,
    sawEnd: () => s.events.some((e) => e.event === 'end'),
    response: s.response,
  };
}

describe('live build logs', () => {
  let h: Harness;
  let site: Awaited<ReturnType<typeof serve>> | undefined;
  let server: http.Server | undefined;
  afterEach(async () => {
    // SSE viewers still open would hold close() forever: serve() closes every connection
    await site?.close();
    site = undefined;
    server = undefined;
    await h?.close();
  });

  /** sign-in and the build routes on a real server; bob signs in by a chat link */
  async function start(name: string, live: Partial<LiveLogOptions> = {}) {
    const routes: Route[] = [];
    site = await serve(routes);
    server = site.server;
    h = await startHarness({ name, workers: false, gantry: { publicUrl: site.url } });
    const keys = new Keys(h.prefix);
    const deps = { services: h.gantry.services, redis: h.gantry.redis, keys, log: silentLogger, publicUrl: site.url, now: () => new Date() };
    const auth = webAuth(deps, {});
    routes.push(...auth.routes, ...buildRoutes(deps, auth.access, live));
    cookie = (await signInAs(site.url, h.gantry.services.execute, 'shell:bob')).cookie;
    const port = new URL(site.url).port;
    const store = new BuildLogStore(h.gantry.redis, keys, { retentionMs: 60_000, maxLines: 100_000, flushMs: 10 });
    const id = newBuildId();
    const writer = await store.start(id, META);
    return { url: `http://127.0.0.1:${port}/builds/${id}/events`, store, id, writer };
  }

  const readers = async (h: Harness): Promise<number> => ((await h.gantry.redis.client('LIST')) as string).split('\n').filter((l) => l.includes('name=gantry-build-log')).length;

  /** the feed's reader connects a moment after the first viewer was answered */
  async function aReader(): Promise<void> {
    for (let i = 0; i < 200 && (await readers(h)) < 1; i++) await new Promise((r) => setTimeout(r, 20));
  }

  it('20 viewers of one build get every line in order through one Redis reader, which goes away with the end', async () => {
    const { url, store, id, writer } = await start('live-fanout');
    writer.line('before anyone watched');
    await writer.close();
    const viewers = Array.from({ length: 20 }, () => view(url));
    await Promise.all(viewers.map((v) => v.response));
    await aReader();
    expect(await readers(h)).toBe(1);
    for (let i = 0; i < 500; i++) writer.line(`line ${i}`);
    await writer.close();
    await store.end(id, { state: 'succeeded' });
    await Promise.all(viewers.map((v) => v.ended));
    const expected = ['before anyone watched', ...Array.from({ length: 500 }, (_, i) => `line ${i}`)];
    for (const v of viewers) {
      expect(v.lines).toEqual(expected);
      expect(v.sawEnd()).toBe(true);
    }
    for (let i = 0; i < 100 && (await readers(h)) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await readers(h)).toBe(0);
  });

  it('a viewer that stops reading is cut loose, not buffered; it reconnects with Last-Event-ID and gets the rest once', async () => {
    const { url, store, id, writer } = await start('live-slow', { maxBufferedBytes: 64 * 1024 });
    const slow = view(url);
    const fast = view(url);
    const res = await slow.response;
    await fast.response;
    await aReader();
    const total = 20_000;
    // 20 MB in all: far more than the kernel's socket buffers (loopback send buffers grow to 4 MB)
    // and the client's can hold for a reader that stopped, so the server's own buffer must fill
    const pad = 'x'.repeat(1000);
    // the first line reaches both: a viewer that got a line has had its replay, so the rest can only
    // come live (a replay is written whole; on a loaded machine it could otherwise hold every line)
    writer.line(`line 0 ${pad}`);
    await writer.close();
    for (let i = 0; i < 500 && (slow.lines.length < 1 || fast.lines.length < 1); i++) await new Promise((r) => setTimeout(r, 10));
    expect(slow.lines).toHaveLength(1);
    // now it stops reading
    res.pause();
    for (let i = 1; i < total; i++) writer.line(`line ${i} ${pad}`);
    await writer.close();
    await store.end(id, { state: 'succeeded' });
    await fast.ended;
    expect(fast.lines).toHaveLength(total);
    // the slow one reads now: what was buffered, then the end of a stream that was cut
    res.resume();
    await slow.ended;
    expect(slow.sawEnd()).toBe(false);
    expect(slow.lines.length).toBeGreaterThan(0);
    expect(slow.lines.length).toBeLessThan(total);
    // as an EventSource does: it reconnects with the last id it saw until the stream's end (a
    // replay answers at most the store's line limit at a time)
    const rest: string[] = [];
    let lastId = slow.ids[slow.ids.length - 1]!;
    let ended = false;
    for (let i = 0; i < 10 && !ended; i++) {
      const again = view(url, { lastEventId: lastId });
      await again.ended;
      rest.push(...again.lines);
      lastId = again.ids[again.ids.length - 1] ?? lastId;
      ended = again.sawEnd();
    }
    expect(ended).toBe(true);
    expect([...slow.lines, ...rest]).toEqual(Array.from({ length: total }, (_, i) => `line ${i} ${pad}`));
  });

  it('a stopping server ends the open streams of running builds, so its close() does not wait on them', async () => {
    const { url } = await start('live-stop');
    const v = view(url);
    await v.response;
    await aReader();
    const closing = new Promise<void>((r) => server!.close(() => r()));
    await closeLiveLogs();
    await v.ended;
    // well before the 5 s an idle keep-alive connection would hold it
    const t = Date.now();
    await closing;
    expect(Date.now() - t).toBeLessThan(1000);
    site = undefined;
    expect(v.sawEnd()).toBe(false);
    for (let i = 0; i < 250 && (await readers(h)) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await readers(h)).toBe(0);
  });

  it('refuses viewers past the per-build cap with 503, and a stream id that is no stream id with 400', async () => {
    const { url } = await start('live-cap', { maxViewersPerBuild: 2 });
    const a = view(url);
    const b = view(url);
    await Promise.all([a.response, b.response]);
    // these two stay open until the server closes them after the test
    for (const v of [a, b]) v.ended.catch(() => undefined);
    const third = await fetch(url, { headers: { cookie } });
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('10');
    const bad = await fetch(`${url}?after=0-0%0Aevent:%20end`, { headers: { cookie } });
    expect(bad.status).toBe(400);
  });
});
