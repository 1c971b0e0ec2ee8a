import { z } from 'zod';
import { RepoConfigSchema } from '../images/repo-config.js';
import { ConfigSchema } from './schema.js';

/**
 * The JSON Schemas editors use for help on hover and completion, generated from the zod schemas
 * (`npm run schema` writes them; a test fails when a committed file differs). Each key's text is
 * its zod `.describe()`.
 */
export interface EditorSchema {
  /** where the file is committed, relative to the repository root */
  file: string;
  generate(): Record<string, unknown>;
}

function jsonSchema(schema: z.ZodType, title: string): Record<string, unknown> {
  // input: what a person writes (defaults make keys optional); refinements and transforms have no JSON form
  return { ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), title };
}

/** The JSON Schema of config/*.yml (config/gantry.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  return jsonSchema(ConfigSchema, 'gantry configuration (config/*.yml)');
}

/** The JSON Schema of an app repo's .github/gantry.yml (config/gantry-repo.schema.json). */
export function repoConfigJsonSchema(): Record<string, unknown> {
  return jsonSchema(RepoConfigSchema, '.github/gantry.yml');
}

export const EDITOR_SCHEMAS: readonly EditorSchema[] = [
  { file: 'config/gantry.schema.json', generate: configJsonSchema },
  { file: 'config/gantry-repo.schema.json', generate: repoConfigJsonSchema },
];

/** A schema file's text as committed: two-space JSON and a final newline. */
export function editorSchemaText(schema: EditorSchema): string {
  return `${JSON.stringify(schema.generate(), null, 2)}\n`;
}
