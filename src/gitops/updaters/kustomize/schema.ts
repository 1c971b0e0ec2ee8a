import { schemaFragment } from '../schema-fragment.js';

/** kustomize needs no options: its `images:` entries are named by repository. */
export const kustomizeSchema = schemaFragment({ fields: {} });
