import type { DeployRequest } from '../domain/deploy.js';
import { GantryError } from '../domain/errors.js';
import type { Release } from '../domain/release.js';
import { msg } from '../i18n/voice.js';
import type { EnvState, FileReader } from './env-history.js';
import type { ImageSpec, ImageTarget } from './updaters/types.js';
import { getUpdater } from './updaters/index.js';

// What the images of a deploy file become: a release's references, or those of a past state.

/** The version a file says runs: the tag of the app's first image in it. */
export function versionIn({ file, specs }: FileReader, content: string): string | undefined {
  return getUpdater(file.format).read(content, file, specs).find((i) => i.tag)?.tag;
}

/** What one image becomes when a release is promoted. */
export function releaseTarget(req: DeployRequest, release: Release, spec: ImageSpec, pin: boolean): ImageTarget {
  const img = Object.hasOwn(release.images, spec.name) ? release.images[spec.name] : undefined;
  if (!img) throw new GantryError('VERSION_UNKNOWN', msg('error.release.no-image', { app: req.app, version: release.version, image: spec.name }));
  if (pin && !img.digest) {
    const params = { env: req.env, app: req.app, version: release.version, image: spec.name };
    throw new GantryError('INPUT_INVALID', msg('error.release.no-digest', params));
  }
  return { ...spec, tag: img.tag, ...(img.digest ? { digest: img.digest } : {}), pin };
}

/**
 * What each image of `file` becomes to return to `state`: its own references in that file, or
 * (a file that did not exist then) the same image's references elsewhere in that state. Tags and
 * digests as they were: a rollback restores what ran, pinned or not.
 */
export function targetsFromState(state: EnvState, { file, specs }: FileReader): ImageTarget[] {
  const own = state.images.get(file.file);
  const anywhere = [...state.images.values()].flatMap((list) => list ?? []);
  return specs.map((spec) => {
    const found = own?.find((i) => i.name === spec.name && i.tag) ?? anywhere.find((i) => i.name === spec.name && i.tag);
    if (!found?.tag) {
      const version = state.version ?? msg('error.rollback.that-version');
      throw new GantryError('NO_ROLLBACK_TARGET', msg('error.rollback.untagged', { file: file.file, image: spec.name, version }));
    }
    return { ...spec, tag: found.tag, ...(found.digest ? { digest: found.digest } : {}), pin: found.digest !== undefined };
  });
}
