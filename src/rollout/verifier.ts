import type Docker from 'dockerode';
import { own } from '../domain/own.js';
import { parseDuration } from '../domain/duration.js';
import type { Actor } from '../domain/identity.js';
import type { VerificationReport } from '../notify/events.js';
import type { Logger } from '../util/logger.js';
import { runChecks, type VerifyResult } from './verify.js';
import { verifyVars, type VerifyCheck, type VerifyConfig } from './verify-config.js';
import type { VerificationRun, VerifyStore } from './verify-store.js';

export interface VerifierOptions {
  config: VerifyConfig;
  store: VerifyStore;
  /** made only when a container check runs (src/images/docker.ts: dockerClient) */
  docker: () => Docker;
  /** gantry's public base URL, for the log link in reports */
  publicUrl?: string | undefined;
  log: Logger;
  now?: () => Date;
  fetch?: typeof fetch;
}

export interface VerifyInput {
  app: string;
  env: string;
  version: string;
  /** the deploy commit the checks run against */
  commit?: string | undefined;
  requestId?: string | undefined;
  requestedBy?: Actor | undefined;
}

/** What the deployer's `from: { env, verified: true }` check learns about a version in `env`. */
export type VerificationGate =
  | { state: 'verified' }
  | { state: 'failed'; logUrl?: string; message: string }
  | { state: 'verifying' }
  | { state: 'none' };

/** Slack on top of a run's longest possible duration before a run still `verifying` counts as interrupted. */
const GRACE_MS = 5 * 60_000;
/** What a container check may spend pulling its image, on top of its timeout. */
const PULL_ALLOWANCE_MS = 10 * 60_000;

/**
 * Verifies a version in an environment with the environment's `verify` checks and keeps the run
 * (verify-store.ts); the caller publishes the `verified` / `verify-failed` event with the report.
 */
export class Verifier {
  private readonly now: () => Date;
  private dockerClient: Docker | undefined;
  /** one client for every container check, made at the first one */
  private readonly docker = (): Docker => (this.dockerClient ??= this.o.docker());

  constructor(private readonly o: VerifierOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** The checks of `env` (none for an environment the config does not know). */
  checksOf(env: string): readonly VerifyCheck[] {
    return own(this.o.config.environments, env)?.verify ?? [];
  }

  /** Runs `env`'s checks against `version`; undefined when the environment has none. */
  async verify(input: VerifyInput): Promise<VerificationReport | undefined> {
    const envConfig = own(this.o.config.environments, input.env);
    const checks = envConfig?.verify ?? [];
    if (checks.length === 0) return undefined;
    const run = await this.o.store.start(input);
    const log = this.o.log.child({ verification: run.id, app: input.app, env: input.env, version: input.version });
    log.info({ checks: checks.length }, 'verification started');
    const vars = verifyVars({ url: envConfig?.url, env: input.env, app: input.app, version: input.version, commit: input.commit });
    let result: VerifyResult;
    try {
      const fetchImpl = this.o.fetch ? { fetch: this.o.fetch } : {};
      result = await runChecks(checks, { vars, docker: this.docker, now: this.now, ...fetchImpl });
    } catch (err) {
      // runChecks turns every check's failure into a result; this is a bug, still recorded as a failed run
      const why = err instanceof Error ? err.message : String(err);
      result = { ok: false, message: `the verification broke: ${why}`, log: `the verification broke: ${why}\n`, steps: [] };
    }
    const done = (await this.o.store.finish(run.id, result)) ?? { ...run, at: this.now().toISOString() };
    log.info({ ok: result.ok, steps: result.steps }, 'verification finished');
    const logUrl = this.logUrl(run.id);
    return {
      id: run.id,
      app: input.app,
      env: input.env,
      version: input.version,
      ...(input.commit !== undefined ? { commit: input.commit } : {}),
      ok: result.ok,
      message: result.ok ? '' : result.message,
      at: done.at ?? this.now().toISOString(),
      ...(logUrl !== undefined ? { logUrl } : {}),
      ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
      ...(input.requestedBy !== undefined ? { requestedBy: input.requestedBy } : {}),
    };
  }

  /**
   * Whether `version` of `app` passed `fromEnv`'s checks, by its newest run. A run still
   * `verifying` long after it could have ended was cut short (gantry stopped while it ran):
   * it counts as failed, so the gate never waits forever and /verify runs it again.
   */
  async gate(app: string, fromEnv: string, version: string): Promise<VerificationGate> {
    const run = await this.o.store.latest(app, fromEnv, version);
    if (!run) return { state: 'none' };
    if (run.state === 'verified') return { state: 'verified' };
    const logUrl = this.logUrl(run.id);
    if (run.state === 'failed') return { state: 'failed', message: run.message, ...(logUrl !== undefined ? { logUrl } : {}) };
    if (this.now().getTime() - Date.parse(run.startedAt) <= this.longestRunMs(fromEnv)) return { state: 'verifying' };
    return { state: 'failed', message: interrupted(run) };
  }

  private logUrl(id: string): string | undefined {
    return this.o.publicUrl ? `${this.o.publicUrl.replace(/\/+$/, '')}/verifications/${id}/log` : undefined;
  }

  /** The longest a run of `env`'s checks can take when each one uses all its time. */
  private longestRunMs(env: string): number {
    let ms = GRACE_MS;
    for (const c of this.checksOf(env)) {
      if (c.container) ms += parseDuration(c.container.timeout) + PULL_ALLOWANCE_MS;
      const h = c.http;
      if (h) ms += (h.retries + 1) * parseDuration(h.timeout) + h.retries * parseDuration(h.interval);
    }
    return ms;
  }
}

function interrupted(run: VerificationRun): string {
  return `the verification started at ${run.startedAt} never finished (gantry stopped while it ran?); run /verify again`;
}
