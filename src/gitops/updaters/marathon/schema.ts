import { containerField, schemaFragment } from '../schema-fragment.js';

/** `container: <name>` picks the container that carries the image when its repository alone does not tell. */
export const marathonSchema = schemaFragment({ fields: containerField });
