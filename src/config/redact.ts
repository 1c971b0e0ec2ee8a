import { SECRET_VARS, secretFromEnv } from './env-files.js';

/** Shorter values are too common to tell apart from ordinary words in the config. */
const MIN_SECRET_LENGTH = 4;

/**
 * What `gantry config print` must never show. The config only names variables (`urlEnv`,
 * `secretEnv`, `routingKeyEnv`), yet a file may still hold a secret by mistake: a token pasted into
 * a URL, a value copied from the environment. Every string is checked against the values of the
 * secret variables and of those the config names, and a URL's password is masked.
 */
export function secretRedactor(env: NodeJS.ProcessEnv, config: unknown): (value: string) => string {
  const secrets: { name: string; value: string }[] = [];
  for (const name of new Set<string>([...SECRET_VARS, ...namedVariables(config)])) {
    let value: string | undefined;
    try {
      value = secretFromEnv(env, name);
    } catch {
      value = undefined; // an unreadable NAME_FILE holds nothing this could print
    }
    if (value !== undefined && value.length >= MIN_SECRET_LENGTH) secrets.push({ name, value });
  }
  return (text) => {
    const hit = secrets.find((s) => text.includes(s.value));
    if (hit) return `<redacted: holds the value of ${hit.name}>`;
    return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:\s]*):[^/?#@\s]*@/i, '$1:<redacted>@');
  };
}

/** The variables the config names: the string values of every key ending in `Env`. */
function namedVariables(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(namedVariables);
  if (typeof v !== 'object' || v === null) return [];
  return Object.entries(v).flatMap(([k, x]) => {
    if (typeof x !== 'string') return namedVariables(x);
    return k.endsWith('Env') ? [x] : [];
  });
}
