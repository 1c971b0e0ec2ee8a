import type Docker from 'dockerode';
import { errorText } from './docker-build.js';
import { engineError, jsonLines } from './json-lines.js';
import type { LogTail } from './log-tail.js';
import { remoteManifest, type RemoteManifest } from './registry.js';
import { tagKind } from './release-tags.js';
import type { BuildSpec } from './types.js';

/**
 * Pushing tags and pulling cache images. The registry's manifest digest comes from the push
 * stream's `aux.Digest`, the value the registry computed, never from a local guess.
 */

// per-layer progress the log tail does not need; "Pushed", "Layer already exists" and the digest line stay
const NOISE = new Set(['Preparing', 'Waiting', 'Pushing', 'Downloading', 'Extracting', 'Verifying Checksum', 'Download complete', 'Pull complete']);

export type PushRun = { ok: true; digest: string } | { ok: false; message: string };

export type TagGuard = { ok: true; push: string[] } | { ok: false; refused: boolean; message: string };

/**
 * Release tags never move (src/images/release-tags.ts): before anything is pushed, each immutable
 * tag is looked up in the registry. Absent, or naming this very image (a retry, a build taken
 * over), it is pushed; naming another image, a commit tag is kept as it is and a release tag
 * refuses the whole push, so nothing at all is pushed under any of the build's tags.
 */
export async function guardReleaseTags(spec: BuildSpec, imageId: string, o: { signal: AbortSignal; tail: LogTail }): Promise<TagGuard> {
  const immutable = new Set(spec.immutableTags ?? []);
  const push: string[] = [];
  for (const [i, tag] of spec.tags.entries()) {
    const ref = `${spec.repository}:${tag}`;
    let now: RemoteManifest | undefined;
    if (immutable.has(tag)) {
      try {
        now = await remoteManifest(spec.repository, tag, { ...(spec.auth ? { auth: spec.auth } : {}), signal: o.signal });
      } catch (e) {
        if (o.signal.aborted) throw o.signal.reason;
        return { ok: false, refused: false, message: `could not ask the registry what ${ref} names: ${errorText(e)}` };
      }
    }
    // the same image again: the push changes nothing, so retries stay harmless
    if (!now || now.configDigest === imageId) {
      push.push(tag);
      continue;
    }
    const was = `${now.digest} (${now.configDigest ? `image ${now.configDigest}` : 'a multi-platform index'})`;
    if (tagKind(tag, i) === 'commit') {
      o.tail.line(`${ref} already names another build of this commit, ${was}: kept as it is, not pushed`);
      continue;
    }
    const message =
      `release tag ${ref} already exists with digest ${was}; this build made image ${imageId}. ` +
      'Release tags never move, so nothing was pushed: build a new version instead.';
    o.tail.line(`REFUSED: ${message}`);
    return { ok: false, refused: true, message };
  }
  return { ok: true, push };
}

export async function pushTags(docker: Docker, spec: BuildSpec, tags: string[], o: { signal: AbortSignal; tail: LogTail }): Promise<PushRun> {
  let digest: string | undefined;
  for (const tag of tags) {
    const ref = `${spec.repository}:${tag}`;
    const r = await follow(
      () => docker.getImage(spec.repository).push({ tag, ...(spec.auth ? { authconfig: { ...spec.auth } } : {}), abortSignal: o.signal }),
      o,
    );
    if (!r.ok) return { ok: false, message: `push of ${ref} failed: ${r.message}` };
    if (!r.digest) return { ok: false, message: `push of ${ref}: the registry reported no manifest digest` };
    // every tag names the same image, so the registry must return one digest for all
    if (digest && r.digest !== digest) return { ok: false, message: `push of ${ref} gave digest ${r.digest}, the first tag gave ${digest}` };
    digest = r.digest;
  }
  if (!digest) return { ok: false, message: 'no tag to push' };
  return { ok: true, digest };
}

/**
 * Makes the `cacheFrom` images present locally (the classic builder only uses local images as
 * cache). Best effort: a missing cache image makes a slower build, not a failed one.
 */
export async function pullCacheImages(docker: Docker, spec: BuildSpec, o: { signal: AbortSignal; tail: LogTail }): Promise<void> {
  for (const ref of spec.cacheFrom ?? []) {
    if (o.signal.aborted) continue;
    const r = await ensureImage(docker, ref, { ...o, ...(spec.auth ? { auth: spec.auth } : {}) });
    if (r.ok && r.pulled) o.tail.line(`cache image ${ref} pulled`);
    if (!r.ok) o.tail.line(`cache image ${ref} not pulled (building without it): ${r.message}`);
  }
}

/** Pulls `ref` unless the engine has it already; the pull's progress goes to `o.tail`. */
export async function ensureImage(
  docker: Docker,
  ref: string,
  o: { signal: AbortSignal; tail: LogTail; auth?: NonNullable<BuildSpec['auth']> },
): Promise<{ ok: true; pulled: boolean } | { ok: false; message: string }> {
  const present = await docker
    .getImage(ref)
    .inspect()
    .then(() => true, () => false);
  if (present) return { ok: true, pulled: false };
  const r = await follow(() => docker.pull(ref, { ...(o.auth ? { authconfig: { ...o.auth } } : {}), abortSignal: o.signal }), o);
  return r.ok ? { ok: true, pulled: true } : r;
}

/** Reads one push or pull stream to its end. */
async function follow(
  start: () => Promise<NodeJS.ReadableStream>,
  o: { signal: AbortSignal; tail: LogTail },
): Promise<{ ok: true; digest?: string } | { ok: false; message: string }> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await start();
  } catch (e) {
    if (o.signal.aborted) throw o.signal.reason;
    return { ok: false, message: errorText(e) };
  }
  const onAbort = () => (stream as { destroy?: () => void }).destroy?.();
  o.signal.addEventListener('abort', onAbort, { once: true });
  let digest: string | undefined;
  try {
    for await (const m of jsonLines(stream)) {
      const err = engineError(m);
      if (err) {
        o.tail.line(`ERROR: ${err}`);
        return { ok: false, message: err };
      }
      if (m.aux?.Digest) digest = m.aux.Digest;
      if (m.status && !NOISE.has(m.status)) o.tail.line(m.id ? `${m.id}: ${m.status}` : m.status);
    }
  } catch (e) {
    if (o.signal.aborted) throw o.signal.reason;
    return { ok: false, message: `the stream from the Docker daemon broke: ${errorText(e)}` };
  } finally {
    o.signal.removeEventListener('abort', onAbort);
  }
  if (o.signal.aborted) throw o.signal.reason;
  return digest ? { ok: true, digest } : { ok: true };
}
