import { z } from 'zod';
import { GantryError } from '../domain/errors.js';
import { parseDuration } from '../domain/duration.js';

/**
 * The GitHub face's environment variables. Credentials come only from here (never from YAML) and
 * are never logged; an error names the variable, never its value.
 */
const IntSchema = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const DurationText = z.string().refine((s) => {
  try {
    parseDuration(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a duration such as 30m or 90s');
const BytesText = z.string().regex(/^\d+[kmg]?$/i, 'must be a size in bytes, optionally with k, m or g (e.g. 2g)');

export const GithubEnvSchema = z.object({
  GITHUB_APP_ID: z.string().regex(/^\d+$/, 'must be the numeric app id'),
  /** PEM; `\n` escapes (one-line env files) are turned back into newlines */
  GITHUB_PRIVATE_KEY: z.string().min(1),
  GITHUB_WEBHOOK_SECRET: z.string().min(1),
  /** GitHub Enterprise Server API URL (default https://api.github.com) */
  GITHUB_API_URL: z.string().url().optional(),
  /**
   * Replaces the registry host of every image repository of the central config (tests and local
   * runs push to 127.0.0.1:<port> instead of registry.example.com). Manifests keep the configured
   * repository: a promotion writes tags/digests, not the registry.
   */
  GANTRY_REGISTRY: z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be host[:port]').optional(),
  GANTRY_REGISTRY_USERNAME: z.string().optional(),
  GANTRY_REGISTRY_PASSWORD: z.string().optional(),
  /** credentials for fork PR builds only (scope them to pushing pr-* tags); none: fork builds push without credentials */
  GANTRY_FORK_REGISTRY_USERNAME: z.string().optional(),
  GANTRY_FORK_REGISTRY_PASSWORD: z.string().optional(),
  /** how often a worker asks GitHub for failed deliveries and has them redelivered (GitHub never retries); `off` to stop */
  GANTRY_REDELIVER_EVERY: z.union([z.literal('off'), DurationText.refine((t) => parseDuration(t) >= 60_000, 'must be at least 1m, or off')]).default('5m'),
  GANTRY_BUILD_CONCURRENCY: IntSchema(1, 64).default(2),
  /** on SIGTERM, how long running builds may go on before they are handed back to the queue (keep it under the orchestrator's grace, 30 s in Kubernetes) */
  GANTRY_SHUTDOWN_GRACE: DurationText.default('20s'),
  GANTRY_EVENT_CONCURRENCY: IntSchema(1, 256).default(16),
  GANTRY_BUILD_TIMEOUT: DurationText.default('30m'),
  /** attempts per build for infrastructure faults (docker or registry away); build failures never retry */
  GANTRY_BUILD_ATTEMPTS: IntSchema(1, 10).default(3),
  GANTRY_BUILD_MEMORY: BytesText.optional(),
  GANTRY_BUILD_CPUS: z.coerce.number().positive().max(256).optional(),
});
export type GithubEnv = z.infer<typeof GithubEnvSchema>;

/** Settings the workers need, resolved from GithubEnv. */
export interface GithubSettings {
  appId: number;
  privateKey: string;
  webhookSecret: string;
  apiUrl?: string;
  registryOverride?: string;
  registryAuth?: { username: string; password: string };
  forkRegistryAuth?: { username: string; password: string };
  buildConcurrency: number;
  eventConcurrency: number;
  buildTimeoutMs: number;
  buildAttempts: number;
  memoryBytes?: number;
  nanoCpus?: number;
  /** on SIGTERM, running builds go back to the queue after this */
  shutdownGraceMs: number;
  /** the failed-delivery sweep's period (src/github/redeliver.ts); absent: off */
  redeliverEveryMs?: number;
  /** GANTRY_BUILD_* variables repo configs may pass as build args (`args: { X: { env: GANTRY_BUILD_X } }`) */
  buildArgEnv: Record<string, string>;
}

export function readGithubEnv(env: NodeJS.ProcessEnv = process.env): GithubSettings {
  const r = GithubEnvSchema.safeParse(env);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new GantryError('CONFIG_INVALID', `environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  const e = r.data;
  const pair = (u?: string, p?: string) => (u && p ? { username: u, password: p } : undefined);
  const registryAuth = pair(e.GANTRY_REGISTRY_USERNAME, e.GANTRY_REGISTRY_PASSWORD);
  const forkRegistryAuth = pair(e.GANTRY_FORK_REGISTRY_USERNAME, e.GANTRY_FORK_REGISTRY_PASSWORD);
  const buildArgEnv = Object.fromEntries(
    Object.entries(env).filter((kv): kv is [string, string] => /^GANTRY_BUILD_ARG_[A-Z0-9_]+$/.test(kv[0]) && typeof kv[1] === 'string'),
  );
  return {
    appId: Number(e.GITHUB_APP_ID),
    privateKey: e.GITHUB_PRIVATE_KEY.replace(/\\n/g, '\n'),
    webhookSecret: e.GITHUB_WEBHOOK_SECRET,
    ...(e.GITHUB_API_URL ? { apiUrl: e.GITHUB_API_URL.replace(/\/$/, '') } : {}),
    ...(e.GANTRY_REGISTRY ? { registryOverride: e.GANTRY_REGISTRY } : {}),
    ...(registryAuth ? { registryAuth } : {}),
    ...(forkRegistryAuth ? { forkRegistryAuth } : {}),
    buildConcurrency: e.GANTRY_BUILD_CONCURRENCY,
    eventConcurrency: e.GANTRY_EVENT_CONCURRENCY,
    buildTimeoutMs: parseDuration(e.GANTRY_BUILD_TIMEOUT),
    buildAttempts: e.GANTRY_BUILD_ATTEMPTS,
    ...(e.GANTRY_BUILD_MEMORY ? { memoryBytes: parseBytes(e.GANTRY_BUILD_MEMORY) } : {}),
    ...(e.GANTRY_BUILD_CPUS ? { nanoCpus: Math.round(e.GANTRY_BUILD_CPUS * 1e9) } : {}),
    buildArgEnv,
    shutdownGraceMs: parseDuration(e.GANTRY_SHUTDOWN_GRACE),
    ...(e.GANTRY_REDELIVER_EVERY !== 'off' ? { redeliverEveryMs: parseDuration(e.GANTRY_REDELIVER_EVERY) } : {}),
  };
}

function parseBytes(s: string): number {
  const m = /^(\d+)([kmg]?)$/i.exec(s)!;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}
