import { z } from 'zod';
import { GantryError } from '../domain/errors.js';
import { ENV_NAMES, ENV_VARS, isEnvName, type EnvName, type EnvSpecOf } from './env-vars.js';

type SchemaOf<N extends EnvName> = EnvSpecOf<N>['schema'];
/** An optional variable as read: its declared default when unset, else undefined. */
type WithDefault<N extends EnvName> =
  EnvSpecOf<N> extends { default: string } ? z.ZodPrefault<SchemaOf<N>> : z.ZodOptional<SchemaOf<N>>;
type Shape<R extends EnvName, O extends EnvName> = { [N in R]: SchemaOf<N> } & { [N in O]: WithDefault<N> };

/**
 * A reader's schema of the declared variables (src/config/env-vars.ts): those in `required` must
 * be set; those in `optional` get their declared default when unset, if they have one.
 */
export function envObject<R extends EnvName, O extends EnvName>(required: readonly R[], optional: readonly O[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const name of required) shape[name] = ENV_VARS[name].schema;
  for (const name of optional) {
    const spec: { schema: z.ZodType; default?: string } = ENV_VARS[name];
    shape[name] = spec.default === undefined ? spec.schema.optional() : spec.schema.prefault(spec.default);
  }
  return z.object(shape as Shape<R, O>);
}

/**
 * Parses the declared variables of `env` with `schema`. An empty variable counts as unset (as a
 * compose env file's `NAME=` line leaves it). The error names the variable, never its value: it
 * may be a secret.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const declared: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value !== '' && isEnvName(name)) declared[name] = value;
  }
  const r = schema.safeParse(declared);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const name = issue.path.join('.');
  const message = issue.code === 'invalid_type' && declared[name] === undefined ? 'must be set' : issue.message;
  throw new GantryError('CONFIG_INVALID', `environment variable ${name}: ${message}`);
}

/**
 * Every declared variable, all optional and without defaults: the callers apply them, as some
 * depend on the config (PORT falls back to server.port) and the GitHub face reads its own.
 */
const allOptional = Object.fromEntries(ENV_NAMES.map((name) => [name, ENV_VARS[name].schema.optional()]));
export const EnvSchema = z.object(allOptional as { [N in EnvName]: z.ZodOptional<SchemaOf<N>> });
export type Env = z.infer<typeof EnvSchema>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  return parseEnv(EnvSchema, env);
}

/** Local mode: no platform credentials at all. */
export function isLocalMode(env: Env): boolean {
  return !env.GITHUB_APP_ID && !env.SLACK_BOT_TOKEN && !env.DINGTALK_APP_SECRET;
}
