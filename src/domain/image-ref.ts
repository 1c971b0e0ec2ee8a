import { msg, type Message } from '../i18n/voice.js';
import { GantryError } from './errors.js';

/**
 * Container image references as they appear in manifests: `[registry[:port]/]path[:tag][@digest]`.
 * Repositories are compared literally (no docker.io / library/ normalisation): a deploy repo that
 * spells `nginx` and a config that spells `docker.io/library/nginx` are different on purpose, so
 * gantry never edits a line it was not told about.
 */
export interface ImageRef {
  /** everything before the tag and digest, e.g. `registry:5000/acme/web` */
  repository: string;
  tag?: string;
  /** `<algorithm>:<hex>`, e.g. `sha256:<64 hex>` */
  digest?: string;
}

const DOMAIN_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[0-9A-Fa-f:]+\\])(?::[0-9]{1,5})?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]{32,}$/;
const SHA256_RE = /^sha256:[0-9a-f]{64}$/;
// Whitespace, C0/C1 controls and DEL: never part of a reference, and a sign of a broken or hostile value.
const FORBIDDEN_RE = /[\s\u0000-\u001f\u007f-\u009f]/;

/** Throws GantryError(INPUT_INVALID) saying what is wrong with `ref`. */
export function parseImageRef(ref: string): ImageRef {
  const problem = checkRef(ref);
  if (isProblem(problem)) throw new GantryError('INPUT_INVALID', msg('error.image.not-ref', { ref: printable(ref), problem }));
  return problem;
}

/** Like parseImageRef, but undefined instead of an error (for scanning manifests). */
export function tryParseImageRef(ref: string): ImageRef | undefined {
  const result = checkRef(ref);
  return isProblem(result) ? undefined : result;
}

/** `repository[:tag][@digest]`; validates every part so nothing malformed reaches a manifest. */
export function formatImageRef(ref: ImageRef): string {
  const repoProblem = checkRepository(ref.repository);
  if (repoProblem) {
    throw new GantryError('INPUT_INVALID', msg('error.image.not-repository', { repository: printable(ref.repository), problem: repoProblem }));
  }
  if (ref.tag !== undefined && !isValidTag(ref.tag)) throw new GantryError('INPUT_INVALID', msg('error.image.not-tag', { tag: printable(ref.tag) }));
  if (ref.digest !== undefined && !isValidDigest(ref.digest)) {
    throw new GantryError('INPUT_INVALID', msg('error.image.not-digest', { digest: printable(ref.digest) }));
  }
  return `${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

export function isValidDigest(digest: string): boolean {
  return DIGEST_RE.test(digest) && (!digest.startsWith('sha256:') || SHA256_RE.test(digest));
}

export function isValidRepository(repository: string): boolean {
  return checkRepository(repository) === undefined;
}

/** What is wrong with a reference, as opposed to the reference itself. */
function isProblem(r: ImageRef | Message): r is Message {
  return 'key' in r;
}

function checkRef(ref: string): ImageRef | Message {
  if (ref.length === 0) return msg('error.image.empty');
  if (ref.length > 1024) return msg('error.image.too-long');
  if (FORBIDDEN_RE.test(ref)) return msg('error.image.whitespace');
  const at = ref.indexOf('@');
  const name = at === -1 ? ref : ref.slice(0, at);
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  if (digest !== undefined && !isValidDigest(digest)) return msg('error.image.bad-digest', { digest });
  // A colon after the last slash separates the tag; one before it belongs to a registry port.
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  const repository = hasTag ? name.slice(0, colon) : name;
  const tag = hasTag ? name.slice(colon + 1) : undefined;
  if (tag !== undefined && !isValidTag(tag)) return msg('error.image.bad-tag', { tag });
  const repoProblem = checkRepository(repository);
  if (repoProblem) return repoProblem;
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

function checkRepository(repository: string): Message | undefined {
  if (repository.length === 0) return msg('error.image.empty-repository');
  if (FORBIDDEN_RE.test(repository)) return msg('error.image.whitespace');
  const parts = repository.split('/');
  const first = parts[0] ?? '';
  // Like the docker reference grammar: the first component is a registry when it looks like a
  // host (has a dot or a port, or is localhost) and more components follow.
  const firstIsHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z[]/.test(first));
  if (firstIsHost && !DOMAIN_RE.test(first)) return msg('error.image.bad-host', { host: first });
  for (const part of firstIsHost ? parts.slice(1) : parts) {
    if (!PATH_COMPONENT_RE.test(part)) return msg('error.image.bad-part', { part });
  }
  return undefined;
}

function printable(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value).slice(1, -1);
}
