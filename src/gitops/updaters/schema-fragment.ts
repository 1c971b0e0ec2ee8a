import { z } from 'zod';

/**
 * What one manifest format adds to a deploy-file entry (`apps.<app>.deploy.<env>[]` in the
 * config): its own keys, and the checks that need the whole entry. Each format keeps its fragment
 * beside its updater (src/gitops/updaters/<format>/schema.ts); src/config/schema.ts builds the
 * entry's schema from all of them (src/gitops/updaters/schemas.ts).
 */
export interface SchemaFragment<S extends z.ZodRawShape = z.ZodRawShape> {
  /** keys of the entry, each optional; a key two formats share is one schema, defined once */
  fields: S;
  /** problems of one entry of this format; paths are relative to the entry */
  check?(entry: FragmentEntry<S>, appImages: string[]): FragmentIssue[];
}

/** An entry as a fragment's check sees it: its own keys, and the images the entry names. */
export type FragmentEntry<S extends z.ZodRawShape> = { [K in keyof S]?: z.output<S[K]> } & { images?: string[] | undefined };

export interface FragmentIssue {
  path: (string | number)[];
  message: string;
}

/** Keeps a fragment's own field types (a plain annotation would widen them). */
export function schemaFragment<S extends z.ZodRawShape>(fragment: SchemaFragment<S>): SchemaFragment<S> {
  return fragment;
}

export const containerField = {
  container: z
    .string()
    .optional()
    .describe('kubernetes, marathon, compose: match the container (compose: the service) by this name instead of by image repository'),
};
