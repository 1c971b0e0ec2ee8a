import { isAlias, isCollection, isScalar, visit, type Node } from 'yaml';
import type { DeployFile } from '../../../config/schema.js';
import { foundImage, isTemplated, makeUpdater, refSite, type Site, type ValueSlot } from '../engine.js';
import type { Edit } from '../text-edits.js';
import type { ImageSpec, ImageTarget } from '../types.js';
import { parseYaml, scalarSlot, type YamlDoc } from '../yaml-text.js';

/**
 * Flux image-automation setters: any YAML value followed on its line by
 * `# {"$imagepolicy": "<ns>:<name>[:tag|:name|:digest]"}`. Without a field the value is the whole
 * reference. The deploy file's `policies` maps each image to its policy. `:name`, `:tag` and
 * `:digest` values in one map (e.g. a HelmRelease's `image:` block) are read as one image.
 * Pinning with a `:tag` but no `:digest` setter writes `tag@digest` into the tag; unpinning empties
 * a `:digest` value (`""`). The setter comment itself is never touched.
 */
export const flux = makeUpdater('flux', scanFlux);

const SETTER = /^[ \t]+#[ \t]*(\{.*\})[ \t]*$/;
type Field = 'tag' | 'name' | 'digest';

interface Setter {
  image: ImageSpec;
  field: Field | undefined;
  slot: ValueSlot;
  parent: unknown;
}

function scanFlux(content: string, file: DeployFile, images: readonly ImageSpec[]): Site[] {
  const yaml = parseYaml(content, file.file);
  const byPolicy = new Map<string, ImageSpec>();
  for (const image of images) {
    const policy = file.policies?.[image.name];
    if (policy !== undefined) byPolicy.set(policy, image);
  }
  const sites: Site[] = [];
  const groups = new Map<unknown, Map<ImageSpec, Partial<Record<Field, ValueSlot>>>>();
  for (const doc of yaml.docs) {
    for (const setter of findSetters(doc, byPolicy)) {
      if (setter.field === undefined) {
        sites.push(refSite(setter.image, setter.slot));
        continue;
      }
      const byImage = groups.get(setter.parent) ?? new Map<ImageSpec, Partial<Record<Field, ValueSlot>>>();
      groups.set(setter.parent, byImage);
      const group = byImage.get(setter.image) ?? {};
      byImage.set(setter.image, group);
      // Two setters of one field in one map would be ambiguous; keep each as its own image then.
      if (group[setter.field]) byImage.set({ ...setter.image }, { [setter.field]: setter.slot });
      else group[setter.field] = setter.slot;
    }
  }
  for (const byImage of groups.values()) {
    for (const [image, group] of byImage) sites.push(groupSite(images.find((i) => i.name === image.name) ?? image, group));
  }
  return sites.sort((a, b) => a.found.line - b.found.line);
}

function findSetters(doc: YamlDoc, byPolicy: Map<string, ImageSpec>): Setter[] {
  const { src, lines } = doc.yaml;
  const setters: Setter[] = [];
  visit(doc.doc, (key, node, path) => {
    if (key === 'key' || !(isScalar(node) || isAlias(node)) || !node.range) return;
    const end = node.range[1];
    const marker = SETTER.exec(src.slice(end, lines.lineEnd(end)))?.[1];
    const policy = marker === undefined ? undefined : policyOf(marker);
    if (policy === undefined) return;
    const [ns, name, field] = policy.split(':');
    const image = byPolicy.get(`${ns}:${name}`);
    if (!image || (field !== undefined && field !== 'tag' && field !== 'name' && field !== 'digest')) return;
    const ancestors = path.filter((p): p is Node => isCollection(p));
    const shared = ancestors.find((c) => c.anchor && doc.aliased.has(c.anchor));
    const via = shared ? `it is inside &${shared.anchor}, which an alias repeats elsewhere` : undefined;
    const slot = scalarSlot(doc, { node, ...(via !== undefined ? { via } : {}) });
    if (slot) setters.push({ image, field: field as Field | undefined, slot, parent: ancestors.at(-1) });
  });
  return setters;
}

function policyOf(marker: string): string | undefined {
  try {
    const value: unknown = JSON.parse(marker);
    const policy = (value as Record<string, unknown> | null)?.['$imagepolicy'];
    return typeof policy === 'string' ? policy : undefined;
  } catch {
    return undefined;
  }
}

function groupSite(image: ImageSpec, group: Partial<Record<Field, ValueSlot>>): Site {
  const { name, tag, digest } = group;
  const [tagText, tagDigest] = tag ? splitAt(tag.text) : [undefined, undefined];
  const digestText = digest?.text || tagDigest;
  const slots = [name, tag, digest].filter((s): s is ValueSlot => s !== undefined);
  const blocked =
    slots.find((s) => s.blocked !== undefined)?.blocked ??
    slots.filter((s) => isTemplated(s.text)).map((s) => `the value "${s.text}" is templated`)[0];
  const fields = {
    repository: name?.text ?? image.repository,
    ...(tagText ? { tag: tagText } : {}),
    ...(digestText ? { digest: digestText } : {}),
  };
  return {
    found: foundImage(image.name, (tag ?? name ?? digest)?.line ?? 0, fields),
    ...(blocked !== undefined ? { blocked } : {}),
    plan(target: ImageTarget) {
      const pinned = target.pin ? target.digest : undefined;
      const edits = [
        name?.edit(target.repository),
        tag?.edit(pinned !== undefined && !digest ? `${target.tag}@${pinned}` : target.tag),
        digest && (pinned !== undefined || digest.text !== '') ? digest.edit(pinned ?? '') : undefined,
      ].filter((e): e is Edit => e !== undefined);
      const expected = {
        repository: target.repository,
        ...(tag ? { tag: target.tag } : {}),
        ...(pinned !== undefined && (tag || digest) ? { digest: pinned } : {}),
      };
      return { edits, expected };
    },
  };
}

function splitAt(value: string): [string, string | undefined] {
  const at = value.indexOf('@');
  return at === -1 ? [value, undefined] : [value.slice(0, at), value.slice(at + 1)];
}
