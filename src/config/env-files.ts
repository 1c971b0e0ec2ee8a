import { readFileSync } from 'node:fs';
import { GantryError } from '../domain/errors.js';
import { ENV_NAMES, ENV_VARS, type EnvName, type EnvVarSpec } from './env-vars.js';

/**
 * Secrets as files. Kubernetes and compose mount secrets as files, and a file keeps a secret out
 * of `docker inspect` and /proc/<pid>/environ: every secret gantry reads may come as `NAME_FILE`,
 * the path of a file holding it (one trailing newline dropped, as `echo` and editors leave one).
 * And Probot's own names for the GitHub App's variables work as aliases of gantry's.
 */

/** The variables that carry secrets: those declared `secret` (src/config/env-vars.ts). */
export const SECRET_VARS: readonly EnvName[] = ENV_NAMES.filter((name) => isSecret(name));

/**
 * Other names → gantry's: Probot's names for the GitHub App's variables (a GitHub App set up for
 * Probot keeps its env file), as declared; a file alias stands for NAME_FILE.
 */
export const ALIASES: ReadonlyMap<string, string> = new Map(
  ENV_NAMES.flatMap((name) => {
    const spec: EnvVarSpec = ENV_VARS[name];
    const names = (spec.aliases ?? []).map((a) => [a, name] as const);
    return [...names, ...(spec.fileAliases ?? []).map((a) => [a, `${name}_FILE`] as const)];
  }),
);

function isSecret(name: EnvName): boolean {
  const spec: EnvVarSpec = ENV_VARS[name];
  return spec.secret === true;
}

/** A secret file is a token, a URL or a PEM key: anything larger is the wrong file. */
const MAX_SECRET_BYTES = 64 * 1024;

const refuse = (text: string) => new GantryError('CONFIG_INVALID', `environment variable ${text}`);

/** The content of the secret file `path` named by `variable`; the error names both, never the content. */
function readSecretFile(variable: string, path: string, read: (p: string) => Buffer): string {
  let data: Buffer;
  try {
    data = read(path);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw refuse(`${variable}: cannot read ${path} (${why})`);
  }
  if (data.length > MAX_SECRET_BYTES) throw refuse(`${variable}: ${path} is over ${MAX_SECRET_BYTES} bytes; is it the secret?`);
  const text = data.toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw refuse(`${variable}: ${path} is empty`);
  return text;
}

/**
 * Resolves aliases and `NAME_FILE` in `env`, in place, before anything reads it. Setting a
 * variable two ways (NAME and NAME_FILE, or an alias and its name with different values) is
 * refused rather than guessed.
 */
export function resolveEnvFiles(env: NodeJS.ProcessEnv, read: (p: string) => Buffer = (p) => readFileSync(p)): void {
  for (const [alias, name] of ALIASES) {
    const value = env[alias];
    if (value === undefined || value === '') continue;
    if (env[name] !== undefined && env[name] !== value) throw refuse(`${alias} is Probot's name for ${name}, and both are set: keep one`);
    env[name] = value;
  }
  // as plain strings: Probot's typings narrow some process.env entries (LOG_LEVEL)
  for (const name of SECRET_VARS as readonly string[]) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') throw refuse(`${name} and ${name}_FILE are both set: keep one`);
    env[name] = readSecretFile(`${name}_FILE`, file, read);
  }
}

/**
 * A secret the config names by variable (`urlEnv`, `secretEnv`, `routingKeyEnv`): NAME, or the
 * file NAME_FILE names; undefined when neither is set.
 */
export function secretFromEnv(env: NodeJS.ProcessEnv, name: string, read: (p: string) => Buffer = (p) => readFileSync(p)): string | undefined {
  const value = env[name];
  if (value !== undefined && value !== '') return value;
  const file = env[`${name}_FILE`];
  return file ? readSecretFile(`${name}_FILE`, file, read) : undefined;
}
