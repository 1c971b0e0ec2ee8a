import { z } from 'zod';
import { DurationSchema } from './primitives.js';

/**
 * `builds:` of the central config: how long build logs (the pages at /builds/<id>) are kept and
 * how big one may grow. Logs live in Redis, so both bounds are about Redis memory.
 */
export const BuildLogSchema = z
  .object({
    logRetention: DurationSchema.default('14d').describe('how long a build log and its page are kept after the build started (default 14d)'),
    logLines: z
      .number()
      .int()
      .min(100)
      .max(100_000)
      .default(10_000)
      .describe('at most this many lines per build log; a longer log keeps its last lines and its page says it was cut (default 10000)'),
  })
  .strict();
export type BuildLogConfig = z.infer<typeof BuildLogSchema>;
