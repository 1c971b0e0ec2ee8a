import { z } from 'zod';
import { record } from '../../../domain/record.js';
import { schemaFragment } from '../schema-fragment.js';

export const fluxSchema = schemaFragment({
  fields: {
    /** image name → image policy ("namespace:name") named in the setter comments. */
    policies: record(z.string(), z.string().regex(/^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$/)).optional(),
  },
  check: (f, appImages) =>
    (f.images ?? appImages)
      .filter((img) => !f.policies?.[img])
      .map((img) => ({ path: ['policies'], message: `flux files need policies.${img} ("namespace:name" of its image policy)` })),
});
