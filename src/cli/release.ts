import { GantryError } from '../domain/errors.js';
import { parseImageRef } from '../domain/image-ref.js';
import type { Release, ReleaseImage } from '../domain/release.js';
import { validateVersion } from '../domain/version.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../util/logger.js';
import { boot } from './bootstrap.js';

export interface ReleaseAddFlags {
  config?: string;
  app: string;
  version: string;
  images: string[];
  commit?: string;
  url?: string;
}

/**
 * Builds a release from `--image <name>=<ref>` flags, checked against the app's config: every
 * image of the app named once, each in the repository the config gives it.
 */
export function releaseFromFlags(config: Config, f: ReleaseAddFlags, by: string, now: Date): Release {
  const app = config.apps[f.app];
  if (!app) throw new GantryError('APP_UNKNOWN', `unknown app "${f.app}" (known: ${Object.keys(config.apps).join(', ')})`);
  validateVersion(f.version);
  const images: Record<string, ReleaseImage> = {};
  for (const spec of f.images) {
    const eq = spec.indexOf('=');
    if (eq < 1) throw new GantryError('COMMAND_USAGE', `--image ${spec}: expected <name>=<repository>:<tag>[@sha256:…]`);
    const name = spec.slice(0, eq);
    const want = app.images[name];
    if (!want) throw new GantryError('INPUT_INVALID', `--image ${name}: app ${f.app} has no image "${name}" (images: ${Object.keys(app.images).join(', ')})`);
    if (images[name]) throw new GantryError('INPUT_INVALID', `--image ${name} is given twice`);
    const ref = parseImageRef(spec.slice(eq + 1));
    if (ref.repository !== want.repository) {
      throw new GantryError('INPUT_INVALID', `--image ${name}: repository ${ref.repository} is not ${want.repository}, the one the config names for ${f.app}/${name}`);
    }
    if (!ref.tag) throw new GantryError('INPUT_INVALID', `--image ${name}: the reference needs a tag`);
    images[name] = { repository: ref.repository, tag: ref.tag, ...(ref.digest ? { digest: ref.digest } : {}) };
  }
  const missing = Object.keys(app.images).filter((n) => !images[n]);
  if (missing.length) throw new GantryError('INPUT_INVALID', `missing --image for ${missing.join(', ')} (every image of ${f.app} is part of a release)`);
  if (f.commit !== undefined && !/^[0-9a-f]{7,40}$/.test(f.commit)) throw new GantryError('INPUT_INVALID', '--commit must be a git SHA');
  return {
    app: f.app,
    version: f.version,
    builtAt: now.toISOString(),
    images,
    registeredBy: by,
    ...(f.commit ? { commit: f.commit } : {}),
    ...(f.url ? { url: f.url } : {}),
  };
}

/** `gantry release add <app> <version> --image <name>=<ref>[@sha256:…]` */
export async function releaseAddCommand(f: ReleaseAddFlags): Promise<number> {
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const booted = await boot({ ...(f.config ? { config: f.config } : {}), log });
  try {
    const release = releaseFromFlags(booted.loaded.config, f, 'cli', new Date());
    const existing = await booted.gantry.core.releases.get(release.app, release.version);
    if (existing) throw new GantryError('INPUT_INVALID', `${release.app} ${release.version} is already registered (built ${existing.builtAt}); a release never changes`);
    await booted.gantry.core.releases.add(release);
    await booted.gantry.core.bus.publish({ type: 'release-added', app: release.app, version: release.version, by: 'cli' });
    process.stdout.write(`registered ${release.app} ${release.version}: ${Object.entries(release.images).map(([n, i]) => `${n}=${i.repository}:${i.tag}${i.digest ? `@${i.digest}` : ''}`).join(' ')}\n`);
    return 0;
  } finally {
    await booted.close();
  }
}
