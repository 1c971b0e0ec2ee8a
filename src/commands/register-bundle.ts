import type { Config } from '../config/schema.js';
import { validateBundleName, type Bundle, type BundleApp } from '../domain/bundle.js';
import { GantryError } from '../domain/errors.js';
import { validateVersion } from '../domain/version.js';
import { msg } from '../i18n/voice.js';
import { sameContents, type BundleStore } from '../store/bundles.js';
import type { ReleaseStore } from '../store/releases.js';
import type { Logger } from '../util/logger.js';

export interface BundleRegistry {
  config: Config;
  releases: Pick<ReleaseStore, 'get'>;
  bundles: BundleStore;
}

/**
 * Checks a bundle as `gantry bundle add`, `POST /api/bundles` and `/promote --from` give it: a
 * valid name, each app known and named once, each version a built release (every problem of the
 * versions is named at once). Apps are sorted, so one set of versions reads one way everywhere.
 */
export async function bundleFromPairs(d: BundleRegistry, name: string, pairs: BundleApp[], by: string, now: Date): Promise<Bundle> {
  validateBundleName(name);
  if (pairs.length === 0) throw new GantryError('INPUT_INVALID', msg('error.bundle.empty', { name }));
  const seen = new Map<string, string>();
  for (const { app, version } of pairs) {
    if (!Object.hasOwn(d.config.apps, app)) throw new GantryError('APP_UNKNOWN', msg('error.app.unknown', { app, known: { list: Object.keys(d.config.apps) } }));
    if (seen.has(app)) throw new GantryError('INPUT_INVALID', msg('error.bundle.duplicate-app', { app, name }));
    validateVersion(version);
    seen.set(app, version);
  }
  const unbuilt: string[] = [];
  for (const [app, version] of seen) if (!(await d.releases.get(app, version))) unbuilt.push(`${app} ${version}`);
  if (unbuilt.length) throw new GantryError('VERSION_UNKNOWN', msg('error.bundle.not-built', { name, list: { list: unbuilt }, count: unbuilt.length }));
  const apps = [...seen].sort(([a], [b]) => a.localeCompare(b)).map(([app, version]) => ({ app, version }));
  return { name, apps, createdAt: now.toISOString(), createdBy: by };
}

/** `web=v1.2.3` words into pairs; a word that is not one is refused as typed. */
export function parsePairs(words: string[]): BundleApp[] {
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 1 || eq === w.length - 1) throw new GantryError('INPUT_INVALID', msg('error.bundle.pair', { pair: w.slice(0, 80) }));
    return { app: w.slice(0, eq), version: w.slice(eq + 1) };
  });
}

/**
 * Registers the bundle. A name means one set of versions forever: the same contents again is
 * harmless (`created: false`), other contents are refused.
 */
export async function registerBundle(d: Pick<BundleRegistry, 'bundles'>, bundle: Bundle): Promise<{ created: boolean; bundle: Bundle }> {
  const added = await d.bundles.add(bundle);
  if (added.created) return { created: true, bundle };
  if (!sameContents(added.existing, bundle)) {
    throw new GantryError('INPUT_INVALID', msg('error.bundle.taken', { name: bundle.name, contents: describeApps(added.existing.apps) }));
  }
  return { created: false, bundle: added.existing };
}

export const describeApps = (apps: BundleApp[]): string => apps.map((a) => `${a.app}=${a.version}`).join(' ');

/**
 * A monorepo tag: when every app built from `app`'s source repository has a release of `version`,
 * they form bundle `<version>`. Called after each release of a tag build; the last one to finish
 * registers it. Nothing happens for a repo that builds one app.
 */
export async function bundleFromTag(d: BundleRegistry, app: string, version: string, log: Logger): Promise<Bundle | undefined> {
  const source = d.config.apps[app]?.source;
  const siblings = Object.keys(d.config.apps).filter((a) => source !== undefined && d.config.apps[a]!.source === source);
  if (siblings.length < 2) return undefined;
  for (const a of siblings) if (!(await d.releases.get(a, version))) return undefined;
  try {
    const bundle = await bundleFromPairs(d, version, siblings.map((a) => ({ app: a, version })), 'tag', new Date());
    return (await registerBundle(d, bundle)).bundle;
  } catch (e) {
    // a tag that is no bundle name, or a name registered by hand with other versions: the releases stand
    log.warn({ app, version, err: e instanceof Error ? e.message : String(e) }, 'no bundle for this tag');
    return undefined;
  }
}

/** Registering and listing bundles, as the CLI and the HTTP API use them. */
export interface BundleService {
  /** checks and registers `name` = `pairs`; `created: false` when the same contents were registered before */
  add(name: string, pairs: BundleApp[], by: string): Promise<{ created: boolean; bundle: Bundle }>;
  /** newest first */
  list(limit?: number): Promise<Bundle[]>;
}

export function bundleService(d: BundleRegistry, now: () => Date): BundleService {
  return {
    add: async (name, pairs, by) => registerBundle(d, await bundleFromPairs(d, name, pairs, by, now())),
    list: (limit) => d.bundles.list(limit),
  };
}

/** Whether `e` refuses a name already taken by other contents (HTTP 409 rather than 400). */
export const isBundleTaken = (e: unknown): boolean => e instanceof GantryError && e.detail.key === 'error.bundle.taken';
