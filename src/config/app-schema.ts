import { z } from 'zod';
import { record } from '../domain/record.js';
import { formatFields } from '../gitops/updaters/schemas.js';
import { appRolloutFields } from '../rollout/config.js';
import { blueGreenSchema } from '../gitops/bluegreen/schema.js';
import { DurationSchema, NameSchema, RepoPathSchema } from './primitives.js';
import { PreviewsSchema } from './preview-schema.js';

/**
 * `apps.<app>` of the central config: what gantry builds and which deploy-repo files carry its
 * images. The descriptions are what editors show on hover (config/gantry.schema.json).
 */

export const FORMATS = ['kubernetes', 'kustomize', 'helm', 'marathon', 'compose', 'flux'] as const;
export const FormatSchema = z.enum(FORMATS);
export type Format = z.infer<typeof FormatSchema>;

export const DeployFileSchema = z
  .object({
    file: RepoPathSchema.describe('the file in the deploy repo, relative to its root, e.g. apps/web/prod/values.yaml'),
    format: FormatSchema.describe(`how the file names images: ${FORMATS.join(', ')}`),
    images: z.array(z.string()).optional().describe("which of the app's images this file carries (default: all of them)"),
    // each format's own options (container, paths, policies): src/gitops/updaters/<format>/schema.ts
    ...formatFields(),
  })
  .strict()
  .describe('one file that carries the app\'s images, e.g. { file: apps/web/qa/deployment.yaml, format: kubernetes }');
export type DeployFile = z.infer<typeof DeployFileSchema>;

export const BlueGreenDeploySchema = blueGreenSchema(DeployFileSchema);
export type BlueGreenDeploy = z.infer<typeof BlueGreenDeploySchema>;
/** What `apps.<app>.deploy.<env>` holds: the files, or a blue-green pair (src/gitops/bluegreen/target.ts reads it). */
export type DeployTarget = DeployFile[] | BlueGreenDeploy;

export const ImageSchema = z
  .object({
    repository: z
      .string()
      .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._\-/][a-z0-9]+)*)*$/, {
        message: 'must be an image repository such as registry.example.com/acme/web (no tag)',
      })
      .describe('where the image is pushed and what the manifests name, without a tag, e.g. registry.example.com/acme/web'),
    dockerfile: z.string().optional().describe("the Dockerfile, relative to the context (default Dockerfile; the repo's .github/gantry.yml may override it)"),
    context: z.string().optional().describe("the build context directory in the source repo (default .; the repo's .github/gantry.yml may override it)"),
  })
  .strict()
  .describe('one image of the app, by its name, e.g. web: { repository: registry.example.com/acme/web }');
export type Image = z.infer<typeof ImageSchema>;

export const AppSchema = z
  .object({
    source: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/)
      .optional()
      .describe('the GitHub repository the app is built from (owner/name), e.g. acme/web; only listed repos are built'),
    images: record(NameSchema, ImageSchema)
      .refine((v) => Object.keys(v).length > 0, 'needs at least one image')
      .describe("the app's images by name (at least one)"),
    deploy: record(
      NameSchema,
      z
        .union([z.array(DeployFileSchema).min(1).describe('the files that carry the app in this environment'), BlueGreenDeploySchema])
        .describe('the files that carry the app in this environment, or { strategy: blueGreen, blue, green, traffic }'),
    ).describe('per environment, which files in the deploy repo carry which image, and their format (or a blue-green pair of colours)'),
    channels: z
      .array(z.string())
      .default([])
      .describe('chat channels bound to this app, e.g. slack:C0123 or dingtalk:cid…: commands there may leave the app out'),
    ...appRolloutFields,
    previews: PreviewsSchema.optional().describe('an environment per pull request, written from a template (src/previews/)'),
  })
  .strict()
  .describe('an app: a source repo gantry builds, its images, and the deploy-repo files that carry them');
export type App = z.infer<typeof AppSchema>;

const WEB_DEFAULT = { publicRead: false, sessionTtl: '12h', loginLinkTtl: '10m' };

export const WebSchema = z
  .object({
    publicRead: z
      .boolean()
      .default(WEB_DEFAULT.publicRead)
      .describe('let anyone who reaches gantry read the dashboard without signing in (default false); actions always need a sign-in'),
    sessionTtl: DurationSchema.default(WEB_DEFAULT.sessionTtl).describe(`how long a web sign-in lasts (default ${WEB_DEFAULT.sessionTtl})`),
    loginLinkTtl: DurationSchema.default(WEB_DEFAULT.loginLinkTtl).describe(
      `how long a one-time sign-in link from /gantry login stays valid (default ${WEB_DEFAULT.loginLinkTtl}); it works once`,
    ),
  })
  .strict()
  .describe('the web dashboard: who may read it and how long sign-ins last');
export type Web = z.infer<typeof WebSchema>;
