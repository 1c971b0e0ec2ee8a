import { isMap, isSeq, type Pair, type YAMLMap } from 'yaml';
import type { DeployFile } from '../../../config/schema.js';
import { ManifestError } from '../../../domain/errors.js';
import { foundImage, holdsRepository, isTemplated, makeUpdater, refSite, targetFields, type Site, type ValueSlot } from '../engine.js';
import type { Edit } from '../text-edits.js';
import type { ImageSpec, ImageTarget } from '../types.js';
import { insertPairAfter } from '../yaml-pairs.js';
import { deref, get, getPair, parseYaml, renderPlain, root, scalarSlot, type Reached, type YamlDoc } from '../yaml-text.js';

/**
 * Helm values files: the image lives at configurable key paths (`image.tag`, `sidecars.0.image`…).
 * - `paths.image`: one value holding `repo:tag[@digest]`; it must hold the target's repository.
 * - `paths.repository` + `paths.tag` (+ `paths.digest`): the repository value must equal the
 *   target's; with only `paths.tag` the path is trusted to carry the file's one image.
 * Default: `image.repository` + `image.tag`.
 * Pinning without a digest path writes `tag@digest` into the tag, which the usual
 * `{{ .repository }}:{{ .tag }}` template turns into a pinned reference. With a digest path, an
 * unpinned promotion empties the digest (`""`, the charts' own "no digest") instead of dropping the key.
 */
export const helm = makeUpdater('helm', scanHelm);

const DEFAULT_PATHS = { repository: 'image.repository', tag: 'image.tag' } as const;

function scanHelm(content: string, file: DeployFile, images: readonly ImageSpec[]): Site[] {
  const yaml = parseYaml(content, file.file);
  // Helm reads one document of values; later documents are not values.
  const doc = yaml.docs[0];
  if (!doc) return [];
  const paths: NonNullable<DeployFile['paths']> = file.paths ?? DEFAULT_PATHS;
  if (paths.image) {
    const slot = scalarSlot(doc, resolvePath(doc, paths.image));
    const image = slot && images.find((i) => holdsRepository(slot.text, i.repository));
    return slot && image ? [refSite(image, slot)] : [];
  }
  if (!paths.tag) throw new ManifestError('MANIFEST_UNSUPPORTED', file.file, undefined, 'helm paths need image, or tag (with repository and digest if wanted)');
  const tag = scalarSlot(doc, resolvePath(doc, paths.tag));
  if (!tag) return [];
  const repo = paths.repository !== undefined ? scalarSlot(doc, resolvePath(doc, paths.repository)) : undefined;
  if (paths.repository !== undefined && !repo) return [];
  const image = repo ? images.find((i) => i.repository === repo.text) : onlyImage(file, images);
  if (!image) return [];
  return [valuesSite(doc, file, image, { tag, repo, digestPath: paths.digest })];
}

interface Slots {
  tag: ValueSlot;
  repo: ValueSlot | undefined;
  digestPath: string | undefined;
}

function valuesSite(doc: YamlDoc, file: DeployFile, image: ImageSpec, { tag, repo, digestPath }: Slots): Site {
  const digest = digestPath !== undefined ? scalarSlot(doc, resolvePath(doc, digestPath)) : undefined;
  const [tagText, tagDigest] = splitAt(tag.text);
  const fields = {
    repository: repo?.text ?? image.repository,
    ...(tagText ? { tag: tagText } : {}),
    ...(digest?.text ? { digest: digest.text } : tagDigest ? { digest: tagDigest } : {}),
  };
  const slots = [repo, tag, digest].filter((s): s is ValueSlot => s !== undefined);
  const blocked =
    slots.find((s) => s.blocked !== undefined)?.blocked ??
    slots.filter((s) => isTemplated(s.text)).map((s) => `the value "${s.text}" is templated`)[0];
  return {
    found: foundImage(image.name, tag.line, fields),
    ...(blocked !== undefined ? { blocked } : {}),
    plan(target: ImageTarget) {
      const edits: (Edit | undefined)[] = [repo?.edit(target.repository)];
      const pinned = target.pin ? target.digest : undefined;
      if (digestPath === undefined) {
        edits.push(tag.edit(pinned !== undefined ? `${target.tag}@${pinned}` : target.tag));
      } else {
        edits.push(tag.edit(target.tag));
        if (digest) {
          if (pinned !== undefined || digest.text !== '') edits.push(digest.edit(pinned ?? ''));
        } else if (pinned !== undefined) {
          edits.push(addDigest(doc, file, tag.line, digestPath, pinned));
        }
      }
      return { edits: edits.filter((e): e is Edit => e !== undefined), expected: targetFields(target) };
    },
  };
}

/** A missing digest key is added to its map, after the tag when they are siblings. */
function addDigest(doc: YamlDoc, file: DeployFile, line: number, digestPath: string, digest: string): Edit {
  const segments = digestPath.split('.');
  const key = segments.pop() ?? digestPath;
  const parent = segments.length > 0 ? resolvePath(doc, segments.join('.')) : root(doc);
  const map = parent?.node;
  const after: Pair | undefined = isMap(map) ? (getPair(doc, parent, 'tag')?.pair ?? (map as YAMLMap).items.at(-1)) : undefined;
  const edit = parent && parent.via === undefined && after ? insertPairAfter(doc, map as YAMLMap, after, key, renderPlain(digest)) : undefined;
  if (!edit) throw new ManifestError('MANIFEST_UNSUPPORTED', file.file, line, `${digestPath} is missing and cannot be added without reformatting the file`);
  return edit;
}

/** A dotted path; numeric segments index sequences. */
function resolvePath(doc: YamlDoc, path: string): Reached | undefined {
  let at: Reached | undefined = root(doc);
  for (const segment of path.split('.')) {
    if (at && isSeq(at.node) && /^\d+$/.test(segment)) {
      const item: unknown = at.node.items[Number(segment)];
      at = item === undefined ? undefined : deref(doc, { node: item, ...(at.via !== undefined ? { via: at.via } : {}) });
    } else {
      at = get(doc, at, segment);
    }
  }
  return at;
}

/** With only a tag path, the file must carry exactly one of the images. */
function onlyImage(file: DeployFile, images: readonly ImageSpec[]): ImageSpec | undefined {
  const candidates = file.images ? images.filter((i) => file.images?.includes(i.name)) : images;
  if (candidates.length > 1) {
    throw new ManifestError(
      'MANIFEST_UNSUPPORTED',
      file.file,
      undefined,
      `a tag path without a repository path carries one image, but images ${candidates.map((i) => i.name).join(', ')} are meant for this file; list one under images:`,
    );
  }
  return candidates[0];
}

function splitAt(value: string): [string, string | undefined] {
  const at = value.indexOf('@');
  return at === -1 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
}
