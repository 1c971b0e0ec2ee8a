import { z } from 'zod';
import { GantryError } from '../domain/errors.js';

/** Environment variables: the only place secrets come from. */
export const EnvSchema = z.object({
  GANTRY_CONFIG: z.string().optional(),
  /** local-mode state (Redis data, deploy repo, warm clone); default .gantry in the working directory */
  GANTRY_STATE_DIR: z.string().optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  GANTRY_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/).optional(),
  /** token for an https deploy repo (GitHub: a token with contents:write) */
  GANTRY_DEPLOY_TOKEN: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  // platform credentials: any of these turns local mode off
  GITHUB_APP_ID: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  DINGTALK_APP_SECRET: z.string().optional(),
});
export type Env = z.infer<typeof EnvSchema>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const r = EnvSchema.safeParse(env);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  // never echo a value: it may be a secret
  throw new GantryError('CONFIG_INVALID', `environment variable ${issue.path.join('.')}: ${issue.message}`);
}

/** Local mode: no platform credentials at all. */
export function isLocalMode(env: Env): boolean {
  return !env.GITHUB_APP_ID && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN && !env.DINGTALK_APP_SECRET;
}
