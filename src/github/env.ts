import { z } from 'zod';
import { envObject, parseEnv } from '../config/env.js';
import { parseDuration } from '../domain/duration.js';

/**
 * The GitHub face's environment variables, as declared in src/config/env-vars.ts. Credentials
 * come only from here (never from YAML) and are never logged; an error names the variable, never
 * its value.
 */
export const GithubEnvSchema = envObject(
  ['GITHUB_APP_ID', 'GITHUB_PRIVATE_KEY', 'GITHUB_WEBHOOK_SECRET'],
  [
    'GITHUB_API_URL',
    'GANTRY_REGISTRY',
    'GANTRY_REGISTRY_USERNAME',
    'GANTRY_REGISTRY_PASSWORD',
    'GANTRY_FORK_REGISTRY_USERNAME',
    'GANTRY_FORK_REGISTRY_PASSWORD',
    'GANTRY_REDELIVER_EVERY',
    'GANTRY_BUILD_CONCURRENCY',
    'GANTRY_SHUTDOWN_GRACE',
    'GANTRY_EVENT_CONCURRENCY',
    'GANTRY_BUILD_TIMEOUT',
    'GANTRY_BUILD_ATTEMPTS',
    'GANTRY_BUILD_MEMORY',
    'GANTRY_BUILD_CPUS',
  ],
);
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
  const e = parseEnv(GithubEnvSchema, env);
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
