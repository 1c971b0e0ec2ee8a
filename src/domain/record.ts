import { z } from 'zod';

/**
 * A record keyed by names from the config, built without a prototype: a lookup with a name
 * someone typed (`apps["constructor"]`) finds only what was configured, never `Object.prototype`.
 * Here rather than in src/config/ so the manifest formats' schema fragments
 * (src/gitops/updaters/<format>/schema.ts), which the config schema imports, can use it too.
 */
export function record<K extends z.ZodType<string>, V extends z.ZodType>(key: K, value: V) {
  return z.record(key, value).transform((r) => Object.assign(Object.create(null) as Record<z.output<K>, z.output<V>>, r));
}
