import { z } from 'zod';
import { DurationSchema, NameSchema, RepoPathSchema } from './primitives.js';

/**
 * `apps.<app>.previews`: an environment per pull request, written into the deploy repo from a
 * template directory (src/previews/). Patterns take `${app}` and `${pr}`; the template's files take
 * `${name}`, `${host}`, `${image}`, `${pr}` and `${app}` (src/previews/template.ts).
 */

const PATH_DEFAULT = 'previews/${app}-pr-${pr}';
const HOST_NAME = /^(?:[a-z0-9-]|\$\{(?:app|pr)\})+(?:\.(?:[a-z0-9-]|\$\{(?:app|pr)\})+)+$/;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const PreviewsSchema = z
  .object({
    template: RepoPathSchema.describe('the template directory in the deploy repo (e.g. a kustomize overlay), copied with its placeholders filled in'),
    path: z
      .string()
      .max(400)
      .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._\-/${}]+$/, { message: 'must be a relative path inside the deploy repo (letters, digits, . _ - /, placeholders; no ..)' })
      .refine((p) => !/\$\{(?!app\}|pr\})/.test(p), 'may use only the placeholders ${app} and ${pr}')
      .refine((p) => /\$\{pr\}[^/]*\/?$/.test(p) && !/\$\{pr\}.*\//.test(p.replace(/\/+$/, '')), 'must have ${pr} in its last segment (one directory per pull request), e.g. previews/${app}-pr-${pr}')
      .default(PATH_DEFAULT)
      .describe(`where each preview is written (default ${PATH_DEFAULT}); \${pr} must be in its last segment`),
    host: z
      .string()
      .max(253)
      .regex(HOST_NAME, { message: 'must be a host name pattern such as ${app}-pr-${pr}.preview.example.com' })
      .describe('the preview\'s host name, e.g. ${app}-pr-${pr}.preview.example.com; its URL is https://<host>/'),
    image: NameSchema.optional().describe("which of the app's images `${image}` names (default: the first)"),
    on: z
      .enum(['label', 'branches', 'every'])
      .default('label')
      .describe('which pull requests get one: label (carrying `label`), branches (head branch matching `branches`), every (opened by a user with write access)'),
    label: z.string().min(1).max(50).default('preview').describe('the pull-request label that asks for a preview when on: label (default preview)'),
    branches: z.array(z.string().min(1).max(200)).default([]).describe('head-branch globs when on: branches, e.g. [feature/*]'),
    ttl: DurationSchema.default('7d').describe('a preview not updated for this long is removed (default 7d)'),
    limit: z.number().int().min(1).max(1000).default(10).describe('at most this many previews of the app at once; a new one past it is refused, said on the pull request (default 10)'),
  })
  .strict()
  .refine((p) => p.on !== 'branches' || p.branches.length > 0, { message: 'on: branches needs at least one pattern in branches', path: ['branches'] })
  .describe('preview environments per pull request, written to the deploy repo from a template');
export type Previews = z.infer<typeof PreviewsSchema>;

/** Checks across keys: the image a preview names is one of its app's, and no two apps write the same previews. */
export function previewIssues(cfg: { apps: Record<string, { images: Record<string, unknown>; previews?: Previews | undefined }> }): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const paths = new Map<string, string>();
  for (const [appName, app] of Object.entries(cfg.apps)) {
    const p = app.previews;
    if (!p) continue;
    if (p.image !== undefined && !Object.hasOwn(app.images, p.image)) {
      issues.push({ path: ['apps', appName, 'previews', 'image'], message: `image "${p.image}" is not one of the app's images (${Object.keys(app.images).join(', ')})` });
    }
    // a preview number of ten digits: the longest a host can get
    const host = p.host.replaceAll('${app}', appName).replaceAll('${pr}', '1234567890');
    if (!host.split('.').every((l) => DNS_LABEL.test(l))) {
      issues.push({ path: ['apps', appName, 'previews', 'host'], message: `"${host}" (for pull request 1234567890) is not a DNS name: labels of at most 63 letters, digits and inner dashes` });
    }
    const where = p.path.replaceAll('${app}', appName);
    const other = paths.get(where);
    if (other) issues.push({ path: ['apps', appName, 'previews', 'path'], message: `apps ${other} and ${appName} would write their previews to the same place (${where})` });
    paths.set(where, appName);
  }
  return issues;
}
