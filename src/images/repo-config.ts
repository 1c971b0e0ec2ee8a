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

// Only the GANTRY_BUILD_ARG_ prefix, so a repo cannot ask for gantry's own credentials.
export const BuildArgSchema = z
  .union([
    z.string(),
    z.number(),
    z.boolean(),
    z
      .object({
        value: z.union([z.string(), z.number(), z.boolean()]).optional().describe('the literal value (exactly one of value and env)'),
        env: z
          .string()
          .regex(/^GANTRY_BUILD_ARG_[A-Z0-9_]+$/, { message: 'must name a GANTRY_BUILD_ARG_* environment variable' })
          .optional()
          .describe("or the GANTRY_BUILD_ARG_* variable of gantry's environment holding it, read when the build runs; always secret, never in a job payload"),
        secret: z.boolean().optional().describe('never give it to fork pull requests (implied for env)'),
      })
      .strict()
      .refine((a) => (a.value === undefined) !== (a.env === undefined), { message: 'needs exactly one of value or env' }),
  ])
  .describe(
    'a build arg: a literal (given to every build, forks too), { value, secret: true }, or { env: GANTRY_BUILD_ARG_X }; fork builds get literal, non-secret args only',
  );
export type BuildArg = z.infer<typeof BuildArgSchema>;

export const RepoImageSchema = z
  .object({
    dockerfile: RelPathSchema.optional().describe("the Dockerfile, relative to the context (default: the central config's, else Dockerfile)"),
    context: RelPathSchema.optional().describe("the build context directory in the repo; .dockerignore applies (default: the central config's, else .)"),
    target: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,128}$/, { message: 'must be a stage name' })
      .optional()
      .describe('the multi-stage target to build, e.g. runtime (default: the last stage)'),
    args: record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { message: 'must be a build arg name' }), BuildArgSchema)
      .prefault({})
      .describe('build args by name, e.g. NODE_ENV: production'),
  })
  .strict()
  .describe("how one image of the app is built; the name must be one of the app's images in gantry's central config");
export type RepoImage = z.infer<typeof RepoImageSchema>;

const RefRulesSchema = z
  .object({
    branches: z.array(GlobSchema).default([]).describe('pushes to branches matching these patterns, e.g. [main, "release/*"]'),
    tags: z.array(GlobSchema).default([]).describe('tags matching these patterns, e.g. ["v*"]'),
  })
  .strict();

export const RepoConfigSchema = z
  .object({
    images: record(z.string(), RepoImageSchema)
      .prefault({})
      .describe("how each image of the app is built, by image name; images not listed use the central config's dockerfile and context"),
    builds: z
      .object({
        pullRequests: z
          .boolean()
          .default(true)
          .describe('build pull requests from this repo (default true); fork pull requests only after someone with write access comments /gantry build'),
        branches: z
          .array(GlobSchema)
          .optional()
          .describe('pushes to branches matching these patterns build, e.g. [main, "release/*"] (default: the branches some environment auto-deploys)'),
        tags: z.array(GlobSchema).default(['v*']).describe('pushed tags matching these patterns build releases (default ["v*"])'),
      })
      .strict()
      .default({ pullRequests: true, tags: ['v*'] })
      .describe('which events build: pull requests, pushed branches and tags'),
    extraTags: z
      .array(
        RefRulesSchema.extend({
          tag: ImageTagSchema.describe('a moving tag such as latest, stable or edge: never one that looks like a release (v1.2.3, v1), sha-* or <name>-<sha7>'),
        }).describe('one extra tag and the pushes it is given to, e.g. { tag: latest, branches: [main] }'),
      )
      .default([])
      .describe('extra image tags for matching pushes (never for pull requests); latest only from tags and the default branch'),
    autoDeploy: record(z.string(), RefRulesSchema.describe('the pushes that deploy to this environment'))
      .prefault({})
      .describe(
        "per environment, pushes that deploy there by themselves, on top of the central config's autoDeploy; only environments that need no approvals, through the same queue and policy as /promote",
      ),
    test: z
      .object({
        command: z.array(z.string().min(1)).min(1).max(100).describe('the command, as a list, e.g. ["/bin/app", "--self-test"]'),
        timeout: DurationSchema.default('60s').describe('the test fails past this (default 60s)'),
        env: record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().describe('the value'))
          .prefault({})
          .describe('environment variables for the test, e.g. { APP_ENV: test }'),
      })
      .strict()
      .optional()
      .describe('smoke test: a one-shot container in the built image, sandboxed; a non-zero exit or the timeout fails the check, and a failed release build is not recorded'),
  })
  .strict()
  .describe(".github/gantry.yml: how gantry's GitHub App builds this repo's images; where they are pushed is the central config's business");
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
