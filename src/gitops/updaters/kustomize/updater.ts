import { isMap, isScalar, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { DeployFile } from '../../../config/schema.js';
import { ManifestError } from '../../../domain/errors.js';
import { foundImage, isTemplated, makeUpdater, targetFields, type Site, type ValueSlot } from '../engine.js';
import type { Edit } from '../text-edits.js';
import type { ImageSpec, ImageTarget } from '../types.js';
import { insertPairAfter, removePair } from '../yaml-pairs.js';
import { get, getPair, items, parseYaml, renderLike, root, scalarSlot, type Reached, type YamlDoc } from '../yaml-text.js';

/**
 * kustomization.yaml `images:` entries `{ name, newName?, newTag?, digest? }`. An entry carries an
 * image when its `newName` is the repository, or, without newName, its `name` is.
 *
 * Tag and digest are separate keys, so a promotion may have to add or drop a line:
 * - pinned: `newTag` is set and `digest` set, or added as a new line right after newTag (kustomize
 *   then renders `repo:tag@digest`);
 * - not pinned: `newTag` is set and an existing `digest` line is removed, because kustomize would
 *   otherwise keep deploying the old digest whatever the tag says.
 * Added lines copy the indentation, line break and quoting of their neighbours; a shape where that
 * is not possible (a multi-line neighbour, say) is refused rather than re-serialised.
 */
export const kustomize = makeUpdater('kustomize', scanKustomize);

function scanKustomize(content: string, file: DeployFile, images: readonly ImageSpec[]): Site[] {
  const yaml = parseYaml(content, file.file);
  const sites: Site[] = [];
  for (const doc of yaml.docs) {
    for (const entry of items(doc, get(doc, root(doc), 'images'))) {
      if (!isMap(entry.node)) continue;
      const name = scalarSlot(doc, get(doc, entry, 'name'))?.text;
      const newName = scalarSlot(doc, get(doc, entry, 'newName'))?.text;
      const image = images.find((i) => (newName !== undefined ? newName === i.repository : name === i.repository));
      if (image) sites.push(entrySite(doc, file, entry, image));
    }
  }
  return sites;
}

function entrySite(doc: YamlDoc, file: DeployFile, entry: Reached, image: ImageSpec): Site {
  const map = entry.node as YAMLMap;
  const tagPair = getPair(doc, entry, 'newTag')?.pair;
  const digestPair = getPair(doc, entry, 'digest')?.pair;
  const tag = scalarSlot(doc, get(doc, entry, 'newTag'));
  const digest = scalarSlot(doc, get(doc, entry, 'digest'));
  const nameSlot = scalarSlot(doc, get(doc, entry, 'newName') ?? get(doc, entry, 'name'));
  const line = tag?.line ?? nameSlot?.line ?? 0;
  const fields = {
    repository: image.repository,
    ...(tag?.text ? { tag: tag.text } : {}),
    ...(digest?.text ? { digest: digest.text } : {}),
  };
  const blocked = entry.via ?? tag?.blocked ?? digest?.blocked ?? templated(tag) ?? templated(digest);
  // New lines go after the last of name/newName/newTag, styled like the value they follow.
  const anchorPair = tagPair ?? (['newName', 'name'].map((k) => getPair(doc, entry, k)?.pair).find(Boolean) as Pair | undefined);
  const like = (anchorPair?.value ?? undefined) as Scalar | undefined;

  const add = (key: string, value: string): Edit => {
    const text = like && isScalar(like) && like.value !== null ? renderLike(like, value, doc.yaml.src, 0, 1) : JSON.stringify(value);
    const edit = anchorPair && insertPairAfter(doc, map, anchorPair, key, text);
    if (!edit) throw new ManifestError('MANIFEST_UNSUPPORTED', file.file, line, `cannot add a ${key} line to the images entry for ${image.repository} without reformatting it`);
    return edit;
  };

  return {
    found: foundImage(image.name, line, fields),
    ...(blocked !== undefined ? { blocked } : {}),
    plan(target: ImageTarget) {
      const edits: Edit[] = [];
      const tagEdit = tag ? tag.edit(target.tag) : add('newTag', target.tag);
      if (tagEdit) edits.push(tagEdit);
      if (target.pin && target.digest !== undefined) {
        const digestEdit = digest ? digest.edit(target.digest) : add('digest', target.digest);
        if (digestEdit) edits.push(digestEdit);
      } else if (digest?.text && digestPair) {
        const removal = removePair(doc, map, digestPair);
        if (!removal) throw new ManifestError('MANIFEST_UNSUPPORTED', file.file, digest.line, `cannot remove the digest of ${image.repository} without reformatting the entry`);
        edits.push(removal);
      }
      return { edits, expected: targetFields(target) };
    },
  };
}

function templated(slot: ValueSlot | undefined): string | undefined {
  return slot && isTemplated(slot.text) ? `the value "${slot.text}" is templated` : undefined;
}
