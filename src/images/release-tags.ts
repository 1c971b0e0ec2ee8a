import { parseVersion } from '../domain/version.js';

/**
 * Which image tags belong to one release and so never move. A manifest that references
 * `web:v1.2.3` without a digest runs whatever that tag names: if any build could move it,
 * every such manifest would silently run other code. Three kinds of tag:
 *
 * - release tags: the build's own version tag (the git tag `v1.2.3`, `<branch>-<sha7>`,
 *   `pr-<n>-<sha7>`), anything that looks like a release version (semver, optional `v`) and
 *   anything shaped like another build's version tag (`…-<7 hex>`). Only the build that owns one
 *   pushes it, once; a later push with another image is refused.
 * - commit tags: `sha-<sha7>`, the image of a commit. Several builds of one commit write it (a
 *   branch build, then the tag build of the same commit); the first one keeps it.
 * - moving tags (`latest`, `stable`, …): the repo's `extraTags`; they move by design.
 */
export type TagKind = 'release' | 'commit' | 'moving';

const COMMIT_TAG = /^sha-/;
const BUILD_VERSION_TAG = /-[0-9a-f]{7}$/;

/** Why a tag is owned by a release (then no `extraTags` rule may write it), or undefined for a moving tag. */
export function releaseOwnedReason(tag: string): string | undefined {
  if (parseVersion(tag)) return 'looks like a release version';
  if (COMMIT_TAG.test(tag)) return 'is a commit tag (sha-*)';
  if (BUILD_VERSION_TAG.test(tag)) return "looks like a build's version tag (<branch>-<sha7>, pr-<n>-<sha7>)";
  return undefined;
}

/** The kind of each tag of a build; the first tag is always the build's own version tag. */
export function tagKind(tag: string, index: number): TagKind {
  if (index === 0) return 'release';
  if (COMMIT_TAG.test(tag)) return 'commit';
  return releaseOwnedReason(tag) !== undefined ? 'release' : 'moving';
}

/** The tags of a build that must never move (release and commit tags). */
export function immutableTags(tags: string[]): string[] {
  return tags.filter((t, i) => tagKind(t, i) !== 'moving');
}
