import { z } from 'zod';
import { ConfigSchema } from './schema.js';

/** The JSON Schema of config/*.yml, generated from the zod schema (config/gantry.schema.json). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'gantry configuration (config/*.yml)',
  };
}
