import { z } from 'zod';
// the schema alone, not the editors: the config schema loads this file
import { TrafficFileSchema } from '../traffic/schema.js';

/**
 * `apps.<app>.deploy.<env>` of a blue-green environment: two sets of files, one per colour, and the
 * file that splits traffic between them. Built from the deploy-file schema by the app schema
 * (src/config/app-schema.ts), which owns it.
 */
export function blueGreenSchema<F extends z.ZodTypeAny>(file: F) {
  const colour = (name: string) => z.array(file).min(1).describe(`the files that carry the app's ${name} colour (any of the manifest formats)`);
  return z
    .object({
      strategy: z
        .literal('blueGreen')
        .describe('blueGreen: /promote writes the idle colour, /shift and /switch move traffic, /rollback moves it back'),
      blue: colour('blue'),
      green: colour('green'),
      traffic: TrafficFileSchema,
    })
    .strict()
    .describe('a blue-green deploy: { strategy: blueGreen, blue: [files], green: [files], traffic: { file, format, blue, green } }');
}

/** When /shift and /switch need approvals (`environments.<env>.approvals.shift`). */
export const ShiftApprovalsSchema = z
  .enum(['none', 'first', 'complete', 'every'])
  .optional()
  .describe(
    'which traffic shifts of blue-green apps need approvals (approvals.required of them): none (default), ' +
      'first (the first shift to a new colour), complete (the one to 100%), every',
  );
