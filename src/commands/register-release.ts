import type { Config } from '../config/schema.js';
import { GantryError } from '../domain/errors.js';
import { parseImageRef } from '../domain/image-ref.js';
import type { Release, ReleaseImage } from '../domain/release.js';
import { validateReleaseVersion } from '../domain/version.js';
import type { Core } from './context.js';

/**
 * A release built elsewhere (another CI), as `gantry release add` and `POST /api/releases` take
 * it: every image of the app by name, each a full reference.
 */
export interface ReleaseInput {
  app: string;
  version: string;
  /** image name → `repository:tag[@sha256:…]` */
  images: Record<string, string>;
  commit?: string;
  url?: string;
}

/**
 * Checks a release against the app's config (every image of the app named once, each in the
 * repository the config gives it, with a tag) and builds the catalog entry. `label` names an
 * image in messages the way the caller's user wrote it (`--image web`, `images.web`).
 */
export function releaseFromInput(config: Config, input: ReleaseInput, by: string, now: Date, label: (image: string) => string = (n) => `image ${n}`): Release {
  // own keys only: an app named `constructor` is unknown, not Object
  const app = Object.hasOwn(config.apps, input.app) ? config.apps[input.app] : undefined;
  if (!app) throw new GantryError('APP_UNKNOWN', `unknown app "${input.app}" (known: ${Object.keys(config.apps).join(', ')})`);
  validateReleaseVersion(input.version, config.releases.versionPattern);
  const images = new Map<string, ReleaseImage>();
  for (const [name, spec] of Object.entries(input.images)) {
    const want = Object.hasOwn(app.images, name) ? app.images[name] : undefined;
    if (!want) throw new GantryError('INPUT_INVALID', `${label(name)}: app ${input.app} has no image "${name}" (images: ${Object.keys(app.images).join(', ')})`);
    const ref = parseImageRef(spec);
    if (ref.repository !== want.repository) {
      throw new GantryError('INPUT_INVALID', `${label(name)}: repository ${ref.repository} is not ${want.repository}, the one the config names for ${input.app}/${name}`);
    }
    if (!ref.tag) throw new GantryError('INPUT_INVALID', `${label(name)}: the reference needs a tag`);
    // the catalog pins sha256 digests only; another algorithm would be refused when stored
    if (ref.digest && !/^sha256:[0-9a-f]{64}$/.test(ref.digest)) throw new GantryError('INPUT_INVALID', `${label(name)}: the digest must be sha256:<64 hex digits>`);
    images.set(name, { repository: ref.repository, tag: ref.tag, ...(ref.digest ? { digest: ref.digest } : {}) });
  }
  const missing = Object.keys(app.images).filter((n) => !images.has(n));
  if (missing.length) throw new GantryError('INPUT_INVALID', `missing ${missing.map(label).join(', ')} (every image of ${input.app} is part of a release)`);
  if (input.commit !== undefined && !/^[0-9a-f]{7,40}$/.test(input.commit)) throw new GantryError('INPUT_INVALID', 'the commit must be a git SHA (7 to 40 lower-case hex digits)');
  if (input.url !== undefined && !isWebLink(input.url)) throw new GantryError('INPUT_INVALID', 'the url must be an http:// or https:// link of at most 2048 characters (it is shown in chat)');
  return {
    app: input.app,
    version: input.version,
    builtAt: now.toISOString(),
    images: Object.fromEntries(images),
    registeredBy: by,
    ...(input.commit ? { commit: input.commit } : {}),
    ...(input.url ? { url: input.url } : {}),
  };
}

/** A link chat may show as one: http(s), parseable, no spaces or control characters. */
function isWebLink(text: string): boolean {
  if (text.length > 2048 || /[\s\p{Cc}]/u.test(text)) return false;
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/**
 * Adds the release to the catalog and announces it (`release-added`), unless that version is
 * already registered: a release never changes, so the existing one is returned instead.
 */
export async function registerRelease(core: Pick<Core, 'releases' | 'bus'>, release: Release): Promise<{ created: true } | { created: false; existing: Release }> {
  if (!(await core.releases.addNew(release))) {
    const existing = await core.releases.get(release.app, release.version);
    // dropped from the catalog between the two calls (trimmed): report it as taken all the same
    return { created: false, existing: existing ?? release };
  }
  await core.bus.publish({ type: 'release-added', app: release.app, version: release.version, by: release.registeredBy ?? 'unknown' });
  return { created: true };
}
