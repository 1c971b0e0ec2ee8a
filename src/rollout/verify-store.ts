import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { GantryError } from '../domain/errors.js';
import { msg } from '../i18n/voice.js';
import type { Keys } from '../store/redis.js';

/** One verification of one version of one app in one environment. */
export interface VerificationRun {
  /** 128 random bits, hex: the key of the run and of its log, and the capability to read the log */
  id: string;
  app: string;
  env: string;
  version: string;
  commit?: string;
  state: 'verifying' | 'verified' | 'failed';
  /** the first failing check and why, or a line saying all passed (empty while verifying) */
  message: string;
  startedAt: string;
  /** when it finished */
  at?: string;
  requestId?: string;
}

export interface VerifyStartInput {
  app: string;
  env: string;
  version: string;
  commit?: string | undefined;
  requestId?: string | undefined;
}

/** How long runs and their logs are kept by default. */
export const VERIFY_RETENTION_MS = 30 * 86_400_000;

const RUN_ID = /^[0-9a-f]{32}$/;
/** Names and versions reach keys only in this shape (app and env are config names, versions are tags). */
const KEY_PART = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

export function isRunId(id: string): boolean {
  return RUN_ID.test(id);
}

/**
 * Verification runs in Redis, so a restart loses none: the run by id, its log by id, and the
 * newest run per app, environment and version (what the `from: { env, verified: true }` gate
 * reads). Everything expires after the retention; a newer run of the same version supersedes the
 * older one as the newest, whatever order they finish in.
 */
export class VerifyStore {
  private readonly retentionMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    opts: { retentionMs?: number; now?: () => Date } = {},
  ) {
    this.retentionMs = opts.retentionMs ?? VERIFY_RETENTION_MS;
    this.now = opts.now ?? (() => new Date());
  }

  private runKey(id: string): string {
    return this.keys.k('verify', 'run', id);
  }
  private logKey(id: string): string {
    return this.keys.k('verify', 'log', id);
  }
  private latestKey(app: string, env: string, version: string): string {
    return this.keys.k('verify', 'latest', env, app, version);
  }

  async start(input: VerifyStartInput): Promise<VerificationRun> {
    for (const part of [input.app, input.env, input.version]) {
      if (!KEY_PART.test(part)) {
        const names = { app: printable(input.app), env: printable(input.env), version: printable(input.version) };
        throw new GantryError('INPUT_INVALID', msg('error.verify.bad-run', names));
      }
    }
    const run: VerificationRun = {
      id: randomBytes(16).toString('hex'),
      app: input.app,
      env: input.env,
      version: input.version,
      ...(input.commit !== undefined ? { commit: input.commit } : {}),
      state: 'verifying',
      message: '',
      startedAt: this.now().toISOString(),
      ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
    };
    await this.redis
      .multi()
      .set(this.runKey(run.id), JSON.stringify(run), 'PX', this.retentionMs)
      .set(this.latestKey(run.app, run.env, run.version), run.id, 'PX', this.retentionMs)
      .exec();
    return run;
  }

  /** Records how a run ended and keeps its log; undefined when the run is unknown (expired, or never started). */
  async finish(id: string, result: { ok: boolean; message: string; log: string }): Promise<VerificationRun | undefined> {
    const run = await this.get(id);
    if (!run) return undefined;
    const state = result.ok ? 'verified' : 'failed';
    const done: VerificationRun = { ...run, state, message: result.message, at: this.now().toISOString() };
    await this.redis
      .multi()
      .set(this.runKey(id), JSON.stringify(done), 'PX', this.retentionMs)
      .set(this.logKey(id), result.log, 'PX', this.retentionMs)
      .exec();
    return done;
  }

  /** The newest run of `version` of `app` in `env`. */
  async latest(app: string, env: string, version: string): Promise<VerificationRun | undefined> {
    if (![app, env, version].every((p) => KEY_PART.test(p))) return undefined;
    const id = await this.redis.get(this.latestKey(app, env, version));
    return id ? this.get(id) : undefined;
  }

  /** A run by id; an id that is not 32 hex digits never reaches a key. */
  async get(id: string): Promise<VerificationRun | undefined> {
    if (!isRunId(id)) return undefined;
    const raw = await this.redis.get(this.runKey(id));
    return raw ? (JSON.parse(raw) as VerificationRun) : undefined;
  }

  /** A finished run's log. */
  async log(id: string): Promise<string | undefined> {
    if (!isRunId(id)) return undefined;
    return (await this.redis.get(this.logKey(id))) ?? undefined;
  }
}

function printable(value: string): string {
  return JSON.stringify(value.slice(0, 140));
}
