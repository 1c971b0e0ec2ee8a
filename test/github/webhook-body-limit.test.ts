import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxKeys } from '../../src/github/inbox.js';
import { WEBHOOK_BODY_LIMIT, WEBHOOK_PATH } from '../../src/github/server.js';
import { freePort } from '../../src/runtime/redis-server.js';
import { Keys } from '../../src/store/redis.js';
import { redisUrl } from '../support/env.js';
import { ACME_WEB, prPayload } from '../support/github-payloads.js';
import { makeWorld, spawnGantry, until, type Spawned, type World } from '../support/processes.js';
import { privateKey } from '../support/secret-world.js';

/**
 * Hostile input never costs memory: the webhook route reads a body before it can check its
 * signature, so it must stop at GitHub's own maximum (25 MB). A real `gantry web` is attacked
 * with unauthenticated bodies far over it; its peak memory (VmHWM) must not grow by their size.
 */
const SECRET = 'body-limit-webhook-secret';
const MB = 1024 * 1024;
/** far more than the cap: what the attack would cost if it were read */
const ATTACK = 400 * MB;

/** Resident memory of a process in bytes: now (VmRSS) and its peak so far (VmHWM). */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

interface Attack {
  status: number | undefined;
  /** bytes the client got to write before the server answered or cut the connection */
  sent: number;
  ms: number;
}

/**
 * POSTs `total` bytes of junk in 1 MB chunks, with or without a Content-Length, and no valid
 * signature; stops writing once the server answered or the connection broke. With a
 * Content-Length, the body starts only a second after the headers.
 */
function attack(url: string, total: number, declared: boolean): Promise<Attack> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let sent = 0;
    let status: number | undefined;
    let over = false;
    const finish = () => {
      if (over) return;
      over = true;
      req.destroy();
      resolve({ status, sent, ms: Date.now() - t0 });
    };
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
      ...(declared ? { 'content-length': total } : {}),
    };
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      status = res.statusCode;
      res.resume();
      res.on('end', finish);
      res.on('error', finish);
    });
    req.on('error', finish);
    const chunk = Buffer.alloc(MB, 0x20);
    const pump = () => {
      while (!over && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!over) req.end();
    };
    // with a declared size the answer must come before any of the body: headers first, then wait
    if (declared) {
      req.flushHeaders();
      setTimeout(pump, 1000).unref();
    } else {
      pump();
    }
    setTimeout(finish, 30_000).unref();
  });
}

describe('the GitHub webhook route bounds the body before reading it', () => {
  let world: World;
  let web: Spawned;
  let hook: string;

  beforeAll(async () => {
    world = await makeWorld('webhook-body-limit');
    const port = await freePort();
    web = spawnGantry(['web'], {
      cwd: path.join(world.dir, 'web'),
      env: world.env({ PORT: String(port), GITHUB_APP_ID: '1', GITHUB_PRIVATE_KEY: privateKey(), GITHUB_WEBHOOK_SECRET: SECRET }),
    });
    const base = `http://127.0.0.1:${port}`;
    hook = `${base}${WEBHOOK_PATH}`;
    await until(() => fetch(`${base}/healthz`).then((r) => r.ok, () => false), () => `gantry web up:\n${web.output().slice(-2000)}`, 30_000);
  }, 60_000);

  afterAll(async () => {
    await web?.stop().catch(() => web.kill9());
    await world?.close();
  });

  it('a declared Content-Length over 25 MB is refused with 413 at once, before the body is read', async () => {
    const before = memory(web.child.pid!);
    const r = await attack(hook, ATTACK, true);
    expect(r.status).toBe(413);
    expect(r.ms).toBeLessThan(5000);
    // answered on the headers alone: not one byte of the body was needed
    expect(r.sent).toBe(0);
    expect(memory(web.child.pid!).peak - before.rss).toBeLessThan(WEBHOOK_BODY_LIMIT);
  });

  it('a chunked body is cut off with 413 once it passes 25 MB; memory does not grow by the body size', async () => {
    const before = memory(web.child.pid!);
    const r = await attack(hook, ATTACK, false);
    expect(r.status).toBe(413);
    // cut after about the cap (plus what the sockets' buffers took), not after 400 MB
    expect(r.sent).toBeGreaterThan(WEBHOOK_BODY_LIMIT);
    expect(r.sent).toBeLessThan(WEBHOOK_BODY_LIMIT + 64 * MB);
    const grew = memory(web.child.pid!).peak - before.rss;
    expect(grew, `gantry web grew by ${Math.round(grew / MB)} MB`).toBeLessThan(3 * WEBHOOK_BODY_LIMIT);
  });

  it('many oversized bodies at once neither kill it nor add up: it still takes a signed delivery', async () => {
    const before = memory(web.child.pid!);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => attack(hook, 200 * MB, i % 2 === 0)));
    // each is refused: too large (413), or turned away while others are being read (503)
    for (const r of results) expect([413, 503, undefined]).toContain(r.status);
    expect(results.filter((r) => r.status === 413).length).toBeGreaterThan(0);
    const grew = memory(web.child.pid!).peak - before.rss;
    expect(grew, `gantry web grew by ${Math.round(grew / MB)} MB`).toBeLessThan(8 * WEBHOOK_BODY_LIMIT);

    const body = JSON.stringify(prPayload(ACME_WEB, { action: 'opened', number: 5, sha: 'a'.repeat(40) }));
    const res = await fetch(hook, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    expect(res.status).toBe(200);
    const redis = new Redis(redisUrl());
    try {
      expect(await redis.llen(new InboxKeys(new Keys(world.prefix)).list)).toBe(1);
    } finally {
      redis.disconnect();
    }
    expect(web.child.exitCode).toBeNull();
  });
});
