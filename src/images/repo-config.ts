import { z } from 'zod';
import { parseYamlText, validate } from '../config/load.js';
import { DurationSchema } from '../config/primitives.js';
import type { Config } from '../config/schema.js';
import { record } from '../domain/record.js';
import { own } from '../domain/own.js';

/**
 * `.github/gantry.yml` in an application repo: how its images are built, which pushes build, extra
 * tags, auto-deploy rules and the smoke test. Read through the GitHub API at the commit being
 * built (src/github/repo-config-fetch.ts), validated with zod; an error names the line and key
 * (`.github/gantry.yml line 7: …`).
 * Where images are pushed to is not the repo's business: that is the central config's
 * `apps.<app>.images.<name>.repository`.
 */
export const REPO_CONFIG_PATH = '.github/gantry.yml';

const RelPathSchema = z
  .string()
  .min(1)
  .max(300)
  .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._\-/]+$/, { message: 'must be a relative path inside the repository (no .., no leading /)' });
const GlobSchema = z.string().min(1).max(200).regex(/^[A-Za-z0-9._\-/*?]+$/, { message: 'must be a branch or tag pattern such as main, release/* or v*' });
const ImageTagSchema = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: 'must be a valid image tag' });

/**
 * A build arg: a literal, or `{ env: GANTRY_BUILD_ARG_X }` read from gantry's environment when the
 * build runs (only that prefix, so a repo cannot ask for gantry's own credentials). `secret: true`
 * (implied for `env`) keeps it from fork pull requests; fork builds get literal, non-secret args only.
 */
export const BuildArgSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z
    .object({
      value: z.union([z.string(), z.number(), z.boolean()]).optional(),
      env: z.string().regex(/^GANTRY_BUILD_ARG_[A-Z0-9_]+$/, { message: 'must name a GANTRY_BUILD_ARG_* environment variable' }).optional(),
      secret: z.boolean().optional(),
    })
    .strict()
    .refine((a) => (a.value === undefined) !== (a.env === undefined), { message: 'needs exactly one of value or env' }),
]);
export type BuildArg = z.infer<typeof BuildArgSchema>;

export const RepoImageSchema = z
  .object({
    /** Dockerfile path relative to the context (default: the central config's, else Dockerfile) */
    dockerfile: RelPathSchema.optional(),
    /** build context directory in the repo (default: the central config's, else .) */
    context: RelPathSchema.optional(),
    /** multi-stage target */
    target: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, { message: 'must be a stage name' }).optional(),
    args: record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { message: 'must be a build arg name' }), BuildArgSchema).prefault({}),
  })
  .strict();
export type RepoImage = z.infer<typeof RepoImageSchema>;

const RefRulesSchema = z
  .object({
    branches: z.array(GlobSchema).default([]),
    tags: z.array(GlobSchema).default([]),
  })
  .strict();

export const RepoConfigSchema = z
  .object({
    images: record(z.string(), RepoImageSchema).prefault({}),
    /** which events build: pull requests (default yes), pushed branches and tags matching these patterns */
    builds: z
      .object({
        pullRequests: z.boolean().default(true),
        /** default: the branches some environment auto-deploys (central config plus this file) */
        branches: z.array(GlobSchema).optional(),
        tags: z.array(GlobSchema).default(['v*']),
      })
      .strict()
      .default({ pullRequests: true, tags: ['v*'] }),
    /** extra image tags for matching pushes, e.g. `{ tag: latest, branches: [main] }` (never for pull requests) */
    extraTags: z.array(RefRulesSchema.extend({ tag: ImageTagSchema })).default([]),
    /** environment → pushes that deploy there by themselves; only environments without approvals */
    autoDeploy: record(z.string(), RefRulesSchema).prefault({}),
    /** smoke test: a one-shot container in the built image; a non-zero exit fails the check */
    test: z
      .object({
        command: z.array(z.string().min(1)).min(1).max(100),
        timeout: DurationSchema.default('60s'),
        env: record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).prefault({}),
      })
      .strict()
      .optional(),
  })
  .strict();
export type RepoConfig = z.infer<typeof RepoConfigSchema>;

/** The schema plus the rules that need the central config: known images, auto-deploy targets. */
export function repoConfigSchema(config: Config, app: string) {
  const appCfg = own(config.apps, app);
  return RepoConfigSchema.superRefine((rc, ctx) => {
    const known = Object.keys(appCfg?.images ?? {});
    for (const name of Object.keys(rc.images)) {
      if (!known.includes(name)) {
        ctx.addIssue({ code: 'custom', path: ['images', name], message: `is not an image of app ${app} in gantry's config (known: ${known.join(', ')})` });
      }
    }
    for (const env of Object.keys(rc.autoDeploy)) {
      const envCfg = own(config.environments, env);
      if (!envCfg) {
        ctx.addIssue({ code: 'custom', path: ['autoDeploy', env], message: `is not an environment (known: ${Object.keys(config.environments).join(', ')})` });
      } else if (!(appCfg && own(appCfg.deploy, env))) {
        ctx.addIssue({ code: 'custom', path: ['autoDeploy', env], message: `cannot be auto-deployed: app ${app} is not deployed to ${env} (no apps.${app}.deploy.${env} in gantry's config)` });
      } else if ((envCfg.approvals?.required ?? 0) > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['autoDeploy', env],
          message: `cannot be auto-deployed: ${env} needs ${envCfg.approvals!.required} approval(s), and automatic deploys go only into environments without approvals (use /promote)`,
        });
      }
    }
  });
}

/** Parses and validates the file's text; errors are GantryError(CONFIG_INVALID) naming line and key. */
export function parseRepoConfig(text: string, config: Config, app: string): RepoConfig {
  const parsed = parseYamlText(text, REPO_CONFIG_PATH);
  return validate(repoConfigSchema(config, app), parsed.data, [parsed]);
}

export function defaultRepoConfig(): RepoConfig {
  return RepoConfigSchema.parse({});
}

/** The line an error message names (`… line 7: …`), for the check run annotation. */
export function errorLine(message: string): number | undefined {
  const m = new RegExp(`${REPO_CONFIG_PATH.replace('.', '\\.')} line (\\d+)`).exec(message);
  return m ? Number(m[1]) : undefined;
}
