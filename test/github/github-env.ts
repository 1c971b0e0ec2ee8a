import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Queue } from 'bullmq';
import type Docker from 'dockerode';
import type { EventJob } from '../../src/github/events.js';
import nock from 'nock';
import { readGithubEnv, type GithubSettings } from '../../src/github/env.js';
import type { Ingest } from '../../src/github/ingest.js';
import type { GithubPreviews } from '../../src/github/previews.js';
import { githubRoutes, startGithubWorkers, WEBHOOK_PATH, type GithubWorkerOptions } from '../../src/github/server.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import type { BuildQueue } from '../../src/images/build-queue.js';
import { createLogger, silentLogger, type Logger } from '../../src/util/logger.js';
import { redisUrl } from '../support/env.js';
import { startHarness, type Harness, type HarnessOptions } from '../support/harness.js';
import { FakeGithub, lockDownNetwork } from './fake-github.js';

export const WEBHOOK_SECRET = 'It‘s a Secret to Everybody';
export const APP_ID = 1;

let keyPem: string | undefined;
/** An RSA key in GitHub's format (PKCS#1 PEM), made once per test file. */
export function privateKey(): string {
  keyPem ??= generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
  return keyPem;
}

export function testSettings(extra: Record<string, string> = {}): GithubSettings {
  return readGithubEnv({
    GITHUB_APP_ID: String(APP_ID),
    GITHUB_PRIVATE_KEY: privateKey(),
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    GANTRY_BUILD_CONCURRENCY: '2',
    GANTRY_BUILD_TIMEOUT: '2m',
    GANTRY_BUILD_ATTEMPTS: '2',
    // the failed-delivery sweep has tests of its own (redeliver.test.ts); here it would call GitHub unasked
    GANTRY_REDELIVER_EVERY: 'off',
    ...extra,
  });
}

export function testLog(): Logger {
  return process.env.TEST_LOG ? createLogger({ level: process.env.TEST_LOG }) : silentLogger;
}

export interface GithubEnv {
  h: Harness;
  gh: FakeGithub;
  url: string;
  ingest: Ingest;
  builds: BuildQueue | undefined;
  /** preview environments (src/github/previews.ts), when an app has them */
  previews: GithubPreviews | undefined;
  /** the BullMQ event queue the inbox pump fills (absent without workers) */
  events: Queue<EventJob> | undefined;
  /** events waiting in the webhook inbox */
  inboxLength(): Promise<number>;
  settings: GithubSettings;
  /** a signed delivery, as GitHub sends it */
  send(event: string, payload: unknown, delivery?: string): Promise<{ status: number; body: string; delivery: string }>;
  close(): Promise<void>;
}

export interface GithubEnvOptions extends Omit<HarnessOptions, 'workers'> {
  /** which GitHub workers run: none (ingest only), the event worker, or both (needs docker) */
  github?: 'none' | 'events' | 'all';
  /** the harness's deploy workers (default on); off when a test starts them with hooks */
  deployWorkers?: boolean;
  docker?: Docker;
  env?: Record<string, string>;
  worker?: Partial<GithubWorkerOptions>;
}

/** gantry's real HTTP server with the GitHub routes, on 127.0.0.1, over a harness (real Redis and deploy repo). */
export async function startGithubEnv(o: GithubEnvOptions): Promise<GithubEnv> {
  lockDownNetwork();
  const h = await startHarness({ name: o.name, workers: o.deployWorkers !== false, ...(o.seed ? { seed: o.seed } : {}), ...(o.edit ? { edit: o.edit } : {}), ...(o.now ? { now: o.now } : {}), ...(o.gantry ? { gantry: o.gantry } : {}) });
  const settings = testSettings(o.env);
  const log = testLog();
  const deps = { core: h.gantry.core, redisUrl: redisUrl(), prefix: h.prefix, settings, log };
  const { routes, ingest, close: closeRoutes } = await githubRoutes(deps);
  const server: http.Server = createHttpServer(routes, log);
  const port = await listen(server, 0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const mode = o.github ?? 'events';
  const workers =
    mode === 'none'
      ? undefined
      : startGithubWorkers({ ...deps, progressIntervalMs: 1000, retryBackoffMs: 200, ...(mode === 'events' ? { only: 'events' as const } : {}), ...(o.docker ? { docker: o.docker } : {}), ...o.worker });
  const gh = new FakeGithub();
  return {
    h,
    gh,
    url,
    ingest,
    builds: workers?.builds,
    previews: workers?.previews,
    events: workers?.events,
    inboxLength: () => h.gantry.redis.llen(`${h.prefix}:gh:inbox`),
    settings,
    async send(event, payload, delivery = randomUUID()) {
      const body = JSON.stringify(payload);
      const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
      const res = await fetch(`${url}${WEBHOOK_PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/a1b2c3d',
          'x-github-event': event,
          'x-github-delivery': delivery,
          'x-github-hook-id': '292430182',
          'x-github-hook-installation-target-type': 'integration',
          'x-github-hook-installation-target-id': String(APP_ID),
          'x-hub-signature-256': signature,
        },
        body,
      });
      return { status: res.status, body: await res.text(), delivery };
    },
    async close() {
      await workers?.close();
      await closeRoutes();
      await new Promise<void>((r) => server.close(() => r()));
      await h.close();
      nock.cleanAll();
      nock.enableNetConnect();
    },
  };
}

/** Polls until `check` returns a truthy value (or throws its last error at the deadline). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 20_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
