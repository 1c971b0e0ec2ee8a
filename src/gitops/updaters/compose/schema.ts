import { containerField, schemaFragment } from '../schema-fragment.js';

/** `container: <name>` picks the service that carries the image when its repository alone does not tell. */
export const composeSchema = schemaFragment({ fields: containerField });
