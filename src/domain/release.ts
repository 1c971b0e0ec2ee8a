import { z } from 'zod';

/** What one build produced. Only built releases can be promoted: a promotion never rebuilds. */
export const ReleaseImageSchema = z.object({
  repository: z.string(),
  tag: z.string(),
  digest: z.string().regex(/^sha256:[a-f0-9]{64}$/).optional(),
});
export type ReleaseImage = z.infer<typeof ReleaseImageSchema>;

export const ReleaseSchema = z.object({
  app: z.string(),
  version: z.string(),
  /** source commit SHA, when known */
  commit: z.string().regex(/^[0-9a-f]{7,40}$/).optional(),
  builtAt: z.string(),
  /** when the change it carries was made: its commit's time as the push said it, when known (lead time starts here) */
  changedAt: z.string().optional(),
  images: z.record(z.string(), ReleaseImageSchema),
  /** link to the check run / CI build that produced it */
  url: z.string().optional(),
  /** who or what registered it: github, or the identity that ran `gantry release add` */
  registeredBy: z.string().optional(),
});
export type Release = z.infer<typeof ReleaseSchema>;
