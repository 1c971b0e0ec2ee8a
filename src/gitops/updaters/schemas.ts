import type { z } from 'zod';
import type { Format } from '../../config/schema.js';
import { composeSchema } from './compose/schema.js';
import { fluxSchema } from './flux/schema.js';
import { helmSchema } from './helm/schema.js';
import { kubernetesSchema } from './kubernetes/schema.js';
import { kustomizeSchema } from './kustomize/schema.js';
import { marathonSchema } from './marathon/schema.js';
import type { SchemaFragment } from './schema-fragment.js';

/**
 * Every manifest format's schema fragment, listed once, in the order of the updater registry
 * (index.ts). A Record over Format: a format added to the config schema does not compile until
 * it brings its fragment (none: `fields: {}`). Only zod here, so loading the config schema does
 * not load the updaters.
 */
export const schemaFragments = {
  kubernetes: kubernetesSchema,
  kustomize: kustomizeSchema,
  helm: helmSchema,
  marathon: marathonSchema,
  compose: composeSchema,
  flux: fluxSchema,
} satisfies Record<Format, SchemaFragment>;

type Union<T> = T[keyof T];
type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** Every format's fields in one shape, each with its own type. */
export type FormatFields = Intersection<Union<{ [F in Format]: (typeof schemaFragments)[F]['fields'] }>>;

/** The fields of every format in one shape: a deploy-file entry takes any of them. */
export function formatFields(): FormatFields {
  const shape: z.ZodRawShape = {};
  for (const fragment of Object.values(schemaFragments)) Object.assign(shape, fragment.fields);
  return shape as FormatFields;
}
