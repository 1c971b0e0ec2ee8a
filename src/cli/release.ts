import { GantryError } from '../domain/errors.js';
import type { Release } from '../domain/release.js';
import { registerRelease, releaseFromInput, type ReleaseInput } from '../commands/register-release.js';
import type { Config } from '../config/schema.js';
import { boot } from './bootstrap.js';
import { cliLogger } from './logging.js';

export interface ReleaseAddFlags {
  config?: string;
  app: string;
  version: string;
  images: string[];
  commit?: string;
  url?: string;
}

/**
 * Builds a release from `--image <name>=<ref>` flags, checked against the app's config by the
 * same rules as `POST /api/releases` (src/commands/register-release.ts).
 */
export function releaseFromFlags(config: Config, f: ReleaseAddFlags, by: string, now: Date): Release {
  // null prototype: --image __proto__=… is a name like any other (and refused as unknown)
  const images: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const spec of f.images) {
    const eq = spec.indexOf('=');
    if (eq < 1) throw new GantryError('COMMAND_USAGE', `--image ${spec}: expected <name>=<repository>:<tag>[@sha256:…]`);
    const name = spec.slice(0, eq);
    if (Object.hasOwn(images, name)) throw new GantryError('INPUT_INVALID', `--image ${name} is given twice`);
    images[name] = spec.slice(eq + 1);
  }
  const input: ReleaseInput = { app: f.app, version: f.version, images, ...(f.commit !== undefined ? { commit: f.commit } : {}), ...(f.url !== undefined ? { url: f.url } : {}) };
  return releaseFromInput(config, input, by, now, (name) => `--image ${name}`);
}

/** `gantry release add <app> <version> --image <name>=<ref>[@sha256:…]` */
export async function releaseAddCommand(f: ReleaseAddFlags): Promise<number> {
  const log = cliLogger('conversation');
  const booted = await boot({ ...(f.config ? { config: f.config } : {}), log });
  try {
    const release = releaseFromFlags(booted.loaded.config, f, 'cli', new Date());
    const added = await registerRelease(booted.gantry.core, release);
    if (!added.created) throw new GantryError('INPUT_INVALID', `${release.app} ${release.version} is already registered (built ${added.existing.builtAt}); a release never changes`);
    process.stdout.write(`registered ${release.app} ${release.version}: ${Object.entries(release.images).map(([n, i]) => `${n}=${i.repository}:${i.tag}${i.digest ? `@${i.digest}` : ''}`).join(' ')}\n`);
    return 0;
  } finally {
    await booted.close();
  }
}
