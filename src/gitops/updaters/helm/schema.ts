import { z } from 'zod';
import { schemaFragment } from '../schema-fragment.js';

const KeyPathSchema = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
  message: 'must be a dotted key path such as image.tag',
});

export const helmSchema = schemaFragment({
  fields: {
    /** where the image lives in the values file. */
    paths: z
      .object({
        image: KeyPathSchema.optional(),
        repository: KeyPathSchema.optional(),
        tag: KeyPathSchema.optional(),
        digest: KeyPathSchema.optional(),
      })
      .strict()
      .optional(),
  },
  check: (f) =>
    f.paths && !f.paths.image && !(f.paths.repository || f.paths.tag)
      ? [{ path: ['paths'], message: 'helm paths need image, or repository and/or tag' }]
      : [],
});
