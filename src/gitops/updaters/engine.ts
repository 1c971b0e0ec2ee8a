import type { DeployFile, Format } from '../../config/schema.js';
import { GantryError, ManifestError } from '../../domain/errors.js';
import { formatImageRef, isValidDigest, isValidRepository, isValidTag, tryParseImageRef } from '../../domain/image-ref.js';
import { msg, type Message } from '../../i18n/voice.js';
import { applyEdits, type Edit } from './text-edits.js';
import type { Change, FoundImage, ImageSpec, ImageTarget, UpdateResult, Updater } from './types.js';

/**
 * The part every format shares: a format only scans a file into "sites" (one per occurrence of an
 * image) that know how to rewrite themselves. This module turns sites into the Updater contract:
 * not-found and refusal errors, the change list, and the verification that re-reads the output.
 */

/** The image fields a site reports; `ref` is composed from them. */
export type ImageFields = Pick<FoundImage, 'repository' | 'tag' | 'digest'>;

export interface Plan {
  edits: Edit[];
  /** what reading this site must give after the edits */
  expected: ImageFields;
}

export interface Site {
  found: FoundImage;
  /** why this occurrence cannot be edited safely (alias, anchor, template…); unset when it can */
  blocked?: string;
  /** edits that make this occurrence carry `target` (none when it already does) */
  plan(target: ImageTarget): Plan;
}

/** One string value in a file that can be rewritten in place (a YAML scalar, a JSON string). */
export interface ValueSlot {
  /** the value as written */
  text: string;
  line: number;
  /** why it cannot be rewritten */
  blocked?: string;
  /** the edit that makes it hold `value`; undefined when it already does */
  edit(value: string): Edit | undefined;
}

/** Scans `content` for every occurrence of `images`; throws MANIFEST_INVALID when it cannot parse. */
export type Scanner = (content: string, file: DeployFile, images: readonly ImageSpec[]) => Site[];

export function makeUpdater(format: Format, scan: Scanner): Updater {
  return {
    format,
    read: (content, file, images) => scan(content, file, images).map((site) => site.found),
    update: (content, file, targets) => update(scan, content, file, targets),
  };
}

/** What a target looks like once written: digest only when pinned. */
export function targetFields(target: ImageTarget): ImageFields {
  return { repository: target.repository, tag: target.tag, ...(target.pin ? { digest: target.digest } : {}) };
}

/** A FoundImage from its fields; `ref` is the raw value when the site holds one string. */
export function foundImage(name: string, line: number, fields: ImageFields, ref?: string): FoundImage {
  return { name, ref: ref ?? composeRef(fields), line, ...dropUndefined(fields) };
}

export function composeRef(fields: Partial<ImageFields>): string {
  return `${fields.repository ?? ''}${fields.tag !== undefined ? `:${fields.tag}` : ''}${fields.digest !== undefined ? `@${fields.digest}` : ''}`;
}

/** Values such as `{{ .Values.tag }}` or `${TAG}` are rendered by a tool gantry does not run. */
export function isTemplated(value: string): boolean {
  return value.includes('{{') || value.includes('${');
}

/** A site for one value holding a whole reference (`repo:tag[@digest]`). */
export function refSite(image: ImageSpec, slot: ValueSlot): Site {
  const parsed = tryParseImageRef(slot.text);
  const blocked =
    slot.blocked ??
    (isTemplated(slot.text) ? `the value "${slot.text}" is templated` : parsed ? undefined : `"${slot.text}" is not an image reference`);
  return {
    found: foundImage(image.name, slot.line, parsed ?? { repository: slot.text }, slot.text),
    ...(blocked !== undefined ? { blocked } : {}),
    plan(target) {
      const expected = targetFields(target);
      const edit = slot.edit(formatImageRef(expected));
      return { edits: edit ? [edit] : [], expected };
    },
  };
}

/**
 * Whether a whole-reference value belongs to `repository`. A value that names the repository but
 * is no valid reference (a templated tag, `web:v1.1.0+build.7`) still counts, so the promotion is
 * refused there instead of skipping it and reporting success for a partial deploy.
 */
export function holdsRepository(text: string, repository: string): boolean {
  const parsed = tryParseImageRef(text);
  if (parsed) return parsed.repository === repository;
  return text === repository || text.startsWith(`${repository}:`) || text.startsWith(`${repository}@`);
}

/**
 * The image that `file.container` (a container or service name) carries, if set. It names one
 * container, so it can only stand for one image: the file's only image (after `file.images`).
 */
export function namedImage(file: DeployFile, images: readonly ImageSpec[], what: string): ImageSpec | undefined {
  if (file.container === undefined) return undefined;
  const candidates = file.images ? images.filter((image) => file.images?.includes(image.name)) : images;
  if (candidates.length > 1) {
    throw new ManifestError(
      'MANIFEST_UNSUPPORTED',
      file.file,
      undefined,
      msg('error.manifest.one-container', { container: file.container, what, images: { list: candidates.map((i) => i.name) } }),
    );
  }
  return candidates[0];
}

function update(scan: Scanner, content: string, file: DeployFile, targets: ImageTarget[]): UpdateResult {
  targets.forEach(checkTarget);
  const sites = scan(content, file, targets);
  const edits: Edit[] = [];
  const changes: Change[] = [];
  const expectations: { name: string; expected: ImageFields; line: number }[] = [];
  for (const target of targets) {
    const mine = sites.filter((site) => site.found.name === target.name);
    if (mine.length === 0) {
      const params = { image: target.name, repository: target.repository, file: file.file };
      throw new ManifestError('MANIFEST_IMAGE_NOT_FOUND', file.file, undefined, msg('error.manifest.image-not-found', params));
    }
    for (const site of mine) {
      const blocked = site.blocked ?? invalidReference(site.found);
      if (blocked !== undefined) {
        // Nothing to write is nothing to refuse: a rollback to what is already there stays a no-op.
        if (sameFields(site.found, targetFields(target))) {
          expectations.push({ name: target.name, expected: site.found, line: site.found.line });
          continue;
        }
        const why = typeof blocked === 'string' ? msg('error.text', { text: blocked }) : blocked;
        throw new ManifestError('MANIFEST_UNSUPPORTED', file.file, site.found.line, msg('error.manifest.cannot-set', { image: target.name, why }));
      }
      const plan = site.plan(target);
      expectations.push({ name: target.name, expected: plan.expected, line: site.found.line });
      if (plan.edits.length === 0) continue;
      edits.push(...plan.edits);
      changes.push({ file: file.file, line: site.found.line, image: target.name, before: site.found.ref, after: composeRef(plan.expected) });
    }
  }
  if (edits.length === 0) return { content, changes: [] };
  let output: string;
  try {
    output = applyEdits(content, edits);
  } catch (e) {
    const error = (e as Error).message;
    throw new ManifestError('MANIFEST_UNSUPPORTED', file.file, changes[0]?.line, msg('error.manifest.overlap', { error }));
  }
  verify(scan, output, file, targets, expectations);
  return { content: output, changes };
}

/** Re-reads the output: every occurrence must now hold exactly what was planned. */
function verify(
  scan: Scanner,
  output: string,
  file: DeployFile,
  targets: ImageTarget[],
  expectations: { name: string; expected: ImageFields; line: number }[],
): void {
  let after: Site[];
  try {
    after = scan(output, file, targets);
  } catch (e) {
    const line = expectations[0]?.line;
    throw new ManifestError('MANIFEST_UNSUPPORTED', file.file, line, msg('error.manifest.would-not-parse', { error: (e as Error).message }));
  }
  for (const target of targets) {
    const want = expectations.filter((x) => x.name === target.name);
    const got = after.filter((site) => site.found.name === target.name);
    if (got.length !== want.length) {
      throw new ManifestError(
        'MANIFEST_UNSUPPORTED',
        file.file,
        want[0]?.line,
        msg('error.manifest.count-changed', { image: target.name, got: String(got.length), want: String(want.length) }),
      );
    }
    want.forEach((w, i) => {
      const site = got[i];
      if (site && !sameFields(site.found, w.expected)) {
        throw new ManifestError(
          'MANIFEST_UNSUPPORTED',
          file.file,
          site.found.line,
          msg('error.manifest.reads-otherwise', { image: target.name, got: site.found.ref, want: composeRef(w.expected) }),
        );
      }
    });
  }
}

/** A tag or digest field (helm, kustomize, flux) holding what no registry accepts: refused, never overwritten. */
function invalidReference(found: FoundImage): Message | undefined {
  const badTag = found.tag !== undefined && !isValidTag(found.tag);
  const badDigest = found.digest !== undefined && !isValidDigest(found.digest);
  return badTag || badDigest ? msg('error.manifest.invalid-ref', { ref: found.ref }) : undefined;
}

function sameFields(a: Partial<ImageFields>, b: Partial<ImageFields>): boolean {
  return a.repository === b.repository && a.tag === b.tag && a.digest === b.digest;
}

function checkTarget(target: ImageTarget): void {
  const image = target.name;
  if (!isValidRepository(target.repository)) {
    throw new GantryError('INPUT_INVALID', msg('error.target.bad-repository', { image, repository: target.repository }));
  }
  if (!isValidTag(target.tag)) throw new GantryError('INPUT_INVALID', msg('error.target.bad-tag', { image, tag: target.tag }));
  if (target.digest !== undefined && !isValidDigest(target.digest)) {
    throw new GantryError('INPUT_INVALID', msg('error.target.bad-digest', { image, digest: target.digest }));
  }
  if (target.pin && target.digest === undefined) throw new GantryError('INPUT_INVALID', msg('error.target.pin-needs-digest', { image }));
  formatImageRef(targetFields(target));
}

function dropUndefined(fields: ImageFields): ImageFields {
  const out: ImageFields = { repository: fields.repository };
  if (fields.tag !== undefined) out.tag = fields.tag;
  if (fields.digest !== undefined) out.digest = fields.digest;
  return out;
}
