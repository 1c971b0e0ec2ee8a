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
  if (typeof problem === 'string') throw new GantryError('INPUT_INVALID', `"${printable(ref)}" is not an image reference: ${problem}`);
  return problem;
}

/** Like parseImageRef, but undefined instead of an error (for scanning manifests). */
export function tryParseImageRef(ref: string): ImageRef | undefined {
  const result = checkRef(ref);
  return typeof result === 'string' ? undefined : result;
}

/** `repository[:tag][@digest]`; validates every part so nothing malformed reaches a manifest. */
export function formatImageRef(ref: ImageRef): string {
  const repoProblem = checkRepository(ref.repository);
  if (repoProblem) throw new GantryError('INPUT_INVALID', `"${printable(ref.repository)}" is not an image repository: ${repoProblem}`);
  if (ref.tag !== undefined && !isValidTag(ref.tag)) throw new GantryError('INPUT_INVALID', `"${printable(ref.tag)}" is not an image tag`);
  if (ref.digest !== undefined && !isValidDigest(ref.digest)) {
    throw new GantryError('INPUT_INVALID', `"${printable(ref.digest)}" is not an image digest (expected sha256:<64 hex>)`);
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

function checkRef(ref: string): ImageRef | string {
  if (ref.length === 0) return 'it is empty';
  if (ref.length > 1024) return 'it is longer than 1024 characters';
  if (FORBIDDEN_RE.test(ref)) return 'it contains whitespace or control characters';
  const at = ref.indexOf('@');
  const name = at === -1 ? ref : ref.slice(0, at);
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  if (digest !== undefined && !isValidDigest(digest)) return `"${digest}" is not a valid digest`;
  // A colon after the last slash separates the tag; one before it belongs to a registry port.
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  const repository = hasTag ? name.slice(0, colon) : name;
  const tag = hasTag ? name.slice(colon + 1) : undefined;
  if (tag !== undefined && !isValidTag(tag)) return `"${tag}" is not a valid tag`;
  const repoProblem = checkRepository(repository);
  if (repoProblem) return repoProblem;
  return { repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

function checkRepository(repository: string): string | undefined {
  if (repository.length === 0) return 'the repository is empty';
  if (FORBIDDEN_RE.test(repository)) return 'it contains whitespace or control characters';
  const parts = repository.split('/');
  const first = parts[0] ?? '';
  // Like the docker reference grammar: the first component is a registry when it looks like a
  // host (has a dot or a port, or is localhost) and more components follow.
  const firstIsHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z[]/.test(first));
  if (firstIsHost && !DOMAIN_RE.test(first)) return `"${first}" is not a valid registry host`;
  for (const part of firstIsHost ? parts.slice(1) : parts) {
    if (!PATH_COMPONENT_RE.test(part)) return `"${part}" is not a valid repository path component (lower-case letters, digits, . _ -)`;
  }
  return undefined;
}

function printable(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value).slice(1, -1);
}
