/**
 * A record's own entry, never one of Object.prototype's: for lookups keyed by outside input
 * (`constructor`, `__proto__` as an app, environment, group or image name).
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
