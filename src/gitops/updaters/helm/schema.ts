import { z } from 'zod';
import { schemaFragment } from '../schema-fragment.js';

const KeyPathSchema = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
  message: 'must be a dotted key path such as image.tag',
});

export const helmSchema = schemaFragment({
  fields: {
    paths: z
      .object({
        image: KeyPathSchema.optional().describe('one key holding the whole reference repo:tag, e.g. image'),
        repository: KeyPathSchema.optional().describe('the key holding the repository, e.g. image.repository'),
        tag: KeyPathSchema.optional().describe('the key holding the tag, e.g. image.tag'),
        digest: KeyPathSchema.optional().describe('the key holding the digest (sha256:…), e.g. image.digest'),
      })
      .strict()
      .optional()
      .describe('helm: where the image lives in the values file: image, or repository and/or tag (+ digest)'),
  },
  check: (f) =>
    f.paths && !f.paths.image && !(f.paths.repository || f.paths.tag)
      ? [{ path: ['paths'], message: 'helm paths need image, or repository and/or tag' }]
      : [],
});
