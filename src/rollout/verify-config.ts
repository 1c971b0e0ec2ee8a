import { z } from 'zod';
import { tryParseImageRef } from '../domain/image-ref.js';
import { DurationSchema, NameSchema } from '../config/primitives.js';

/**
 * `environments.<env>.verify`: the checks gantry runs once a deploy is live there (src/rollout/verify.ts),
 * in order, stopping at the first failure. They come only from the central config: nothing from a
 * chat command, a webhook or an app's repository ever names an image or a URL to run.
 */

/** What a check may use in `http.url` and `container.env` values; containers also get them as variables. */
export const VERIFY_VARS = ['GANTRY_URL', 'GANTRY_ENV', 'GANTRY_APP', 'GANTRY_VERSION', 'GANTRY_COMMIT'] as const;
export type VerifyVar = (typeof VERIFY_VARS)[number];
export type VerifyVars = Record<VerifyVar, string>;

const PLACEHOLDER = /\$\{([^}]*)\}?/g;
// `__proto__` is never a variable name (zod's record drops such a key silently before this runs)
const ENV_NAME = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const BAD_ENV_NAME = 'must be an environment variable name (letters, digits and _, not starting with a digit)';

/** The placeholders of `text` that are not one of VERIFY_VARS (or not closed), as they are written. */
function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].filter((m) => !m[0].endsWith('}') || !isVerifyVar(m[1]!)).map((m) => m[0]);
}

function isVerifyVar(name: string): name is VerifyVar {
  return (VERIFY_VARS as readonly string[]).includes(name);
}

const KNOWN = VERIFY_VARS.map((v) => `\${${v}}`).join(', ');
const placeholders = (s: z.ZodString) =>
  s.superRefine((text, ctx) => {
    for (const p of unknownPlaceholders(text)) {
      ctx.addIssue({ code: 'custom', message: `"${p}" is not a placeholder gantry fills: use one of ${KNOWN}` });
    }
  });

const ContainerCheckSchema = z
  .object({
    image: z
      .string()
      .max(1024)
      .refine((r) => tryParseImageRef(r) !== undefined, 'must be an image reference such as registry.example.com/acme/smoke:1.2')
      .describe('the image to run, e.g. registry.example.com/acme/web-e2e:1.4 (pulled when the engine lacks it)'),
    command: z
      .array(z.string().max(4096))
      .min(1)
      .max(100)
      .optional()
      .describe("the command (default: the image's own); $GANTRY_URL, $GANTRY_VERSION etc. reach it as environment variables"),
    env: z
      .record(z.string(), placeholders(z.string().max(4096)).describe('the value, e.g. "${GANTRY_URL}/api"'))
      .superRefine((env, ctx) => {
        for (const name of Object.keys(env)) {
          if (!ENV_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: BAD_ENV_NAME });
          if (isVerifyVar(name)) ctx.addIssue({ code: 'custom', path: [name], message: `${name} is set by gantry` });
        }
      })
      .optional()
      .describe(`environment variables for the container; values may use ${KNOWN}`),
    timeout: DurationSchema.default('5m').describe('the container is killed (and the check failed) past this (default 5m)'),
    network: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'must be a Docker network name')
      .optional()
      .describe("a Docker network to join, e.g. host (default: the engine's default network)"),
  })
  .strict();

const HttpCheckSchema = z
  .object({
    url: placeholders(z.string().min(1).max(2048))
      .refine(
        (u) => unknownPlaceholders(u).length > 0 || isHttpUrl(fill(u, SAMPLE)), // a bad placeholder is said once, above
        'must be an http or https URL without user or password (after the placeholders are filled)',
      )
      .describe(`an http(s) URL, e.g. \${GANTRY_URL}/healthz; redirects are not followed; may use ${KNOWN}`),
    status: z.number().int().min(100).max(599).default(200).describe('the status code that passes (default 200)'),
    retries: z.number().int().min(0).max(20).default(3).describe('how often a failed request is tried again (default 3)'),
    interval: DurationSchema.default('5s').describe('the wait between tries (default 5s)'),
    timeout: DurationSchema.default('10s').describe('how long one request may take (default 10s)'),
  })
  .strict();

export const VerifyCheckSchema = z
  .object({
    name: NameSchema.describe("the check's name: lower-case, unique in this environment's list, e.g. health"),
    container: ContainerCheckSchema.optional().describe('a one-shot container: exit code 0 passes (exactly one of container and http)'),
    http: HttpCheckSchema.optional().describe('an HTTP request whose status must match (exactly one of container and http)'),
  })
  .strict()
  .describe('one check run once a deploy is live')
  .superRefine((c, ctx) => {
    if ((c.container === undefined) === (c.http === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'needs exactly one of container or http' });
    }
  });
export type VerifyCheck = z.infer<typeof VerifyCheckSchema>;
export type ContainerCheck = z.infer<typeof ContainerCheckSchema>;
export type HttpCheck = z.infer<typeof HttpCheckSchema>;

export const VerifyListSchema = z.array(VerifyCheckSchema).max(50).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((c, i) => {
    if (seen.has(c.name)) {
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `another check of this environment is named "${c.name}"` });
    }
    seen.add(c.name);
  });
});

/** The part of the config verifyIssues reads. */
export interface VerifyConfig {
  environments: Readonly<Record<string, VerifyEnvironment>>;
}
interface VerifyEnvironment {
  url?: string | undefined;
  verify: readonly VerifyCheck[];
  from?: string | { env: string; verified: boolean } | undefined;
}

/**
 * Cross-checks for ConfigSchema's superRefine: `${GANTRY_URL}` only where the environment has a
 * `url`, and `from: { env, verified: true }` only from an environment that has checks (else no
 * release could ever be verified there, and nothing could come on).
 */
export function verifyIssues(cfg: VerifyConfig): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const [envName, env] of Object.entries(cfg.environments)) {
    const from = typeof env.from === 'object' && env.from.verified ? env.from.env : undefined;
    if (from !== undefined && Object.hasOwn(cfg.environments, from) && cfg.environments[from]!.verify.length === 0) {
      const message = `environment "${from}" has no verify checks, so nothing is ever verified there`;
      issues.push({ path: ['environments', envName, 'from', 'verified'], message });
    }
    if (env.url !== undefined) continue;
    env.verify.forEach((c, i) => {
      const uses: [(string | number)[], string][] = [
        ...(c.http ? [[['http', 'url'], c.http.url] as [string[], string]] : []),
        ...Object.entries(c.container?.env ?? {}).map(([k, v]) => [['container', 'env', k], v] as [string[], string]),
      ];
      for (const [where, text] of uses) {
        if (text.includes('${GANTRY_URL}')) {
          const message = `uses \${GANTRY_URL} but environments.${envName}.url is not set`;
          issues.push({ path: ['environments', envName, 'verify', i, ...where], message });
        }
      }
    });
  }
  return issues;
}

/** The variables of one run: GANTRY_URL is the environment's url without a trailing slash, so `${GANTRY_URL}/healthz` reads right. */
export function verifyVars(o: { url?: string | undefined; env: string; app: string; version: string; commit?: string | undefined }): VerifyVars {
  return {
    GANTRY_URL: (o.url ?? '').replace(/\/+$/, ''),
    GANTRY_ENV: o.env,
    GANTRY_APP: o.app,
    GANTRY_VERSION: o.version,
    GANTRY_COMMIT: o.commit ?? '',
  };
}

/**
 * `text` with its placeholders filled. In a URL (`encode`), every value but GANTRY_URL is
 * percent-encoded, so a version cannot add a path segment or a query of its own.
 */
export function fill(text: string, vars: VerifyVars, encode = false): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    if (!whole.endsWith('}') || !isVerifyVar(name)) return whole; // the schema refuses these
    const value = vars[name];
    return encode && name !== 'GANTRY_URL' ? encodeURIComponent(value) : value;
  });
}

const SAMPLE = verifyVars({ url: 'https://env.example', env: 'qa', app: 'web', version: 'v1.0.0', commit: '0'.repeat(40) });

function isHttpUrl(u: string): boolean {
  try {
    const url = new URL(u);
    // fetch refuses a URL with credentials; a secret would not belong in the config anyway
    return ['http:', 'https:'].includes(url.protocol) && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
