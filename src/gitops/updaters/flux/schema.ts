import { z } from 'zod';
import { record } from '../../../domain/record.js';
import { schemaFragment } from '../schema-fragment.js';

export const fluxSchema = schemaFragment({
  fields: {
    policies: record(
      z.string(),
      z
        .string()
        .regex(/^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$/)
        .describe('the image policy as namespace:name, e.g. flux-system:web'),
    )
      .optional()
      .describe('flux: per image name, the image policy named in the file\'s # {"$imagepolicy": "namespace:name"} setter comments'),
  },
  check: (f, appImages) =>
    (f.images ?? appImages)
      .filter((img) => !f.policies?.[img])
      .map((img) => ({ path: ['policies'], message: `flux files need policies.${img} ("namespace:name" of its image policy)` })),
});
