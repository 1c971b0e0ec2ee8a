import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { silentLogger, type Logger } from '../util/logger.js';
import { ContextError, prepareContext, type BuildContext } from './context.js';
import { parseDockerfile } from './dockerfile.js';
import { errorText, runBuild } from './docker-build.js';
import { LogTail } from './log-tail.js';
import { guardReleaseTags, pullCacheImages, pushTags } from './push.js';
import type { BuildFailure, BuildProgress, BuildResult, BuildSpec } from './types.js';

/**
 * Source tarball → context → `docker build` (classic builder) → push of every tag → result.
 * Never throws for a failed build: every way it can end is a BuildResult whose `stage` says whose
 * problem it is (the Dockerfile's, the registry's, the infrastructure's) and whether the caller
 * stopped it.
 */

export interface BuildOptions {
  /** aborting stops the build for real (the daemon cancels it) → `stage: 'cancelled'` */
  signal?: AbortSignal;
  onProgress?: (p: BuildProgress) => void;
  /** every chunk of the log as it comes (the build page); the result keeps only its tail */
  onLog?: (text: string) => void;
  log?: Logger;
  /** largest context sent to the daemon, after .dockerignore (default 512 MiB) */
  maxContextBytes?: number;
}

type Stop = 'cancelled' | 'timeout';
/** The reason an AbortController was aborted with, so a stop is never mistaken for a failure. */
class Stopped extends Error {
  constructor(readonly why: Stop) {
    super(why);
  }
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PATH_PART = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
// `[registry[:port]/]path/…`, as docker's reference grammar has it
const REPOSITORY = new RegExp(`^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?${PATH_PART}(?:/${PATH_PART})*$`);
/** how long the daemon may take to answer its health check */
const PING_TIMEOUT_MS = 10_000;

export async function buildImage(docker: Docker, spec: BuildSpec, opts: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const log = opts.log ?? silentLogger;
  const tail = new LogTail(undefined, undefined, opts.onLog);
  const ctl = new AbortController();
  const stop = (why: Stop) => ctl.signal.aborted || ctl.abort(new Stopped(why));
  const onCancel = () => stop('cancelled');
  opts.signal?.addEventListener('abort', onCancel, { once: true });
  if (opts.signal?.aborted) onCancel();
  const timer = spec.timeoutMs ? setTimeout(() => stop('timeout'), spec.timeoutMs) : undefined;
  let phase: BuildProgress['phase'] = 'context';
  const progress = (p: BuildProgress) => {
    phase = p.phase;
    try {
      opts.onProgress?.(p);
    } catch (e) {
      log.warn({ err: e }, 'build progress callback threw');
    }
  };

  const fail = (stage: BuildFailure['stage'], message: string, failedStep?: BuildFailure['failedStep']): BuildFailure => {
    const why = ctl.signal.aborted ? (ctl.signal.reason as Stopped).why : undefined;
    const result: BuildFailure = {
      ok: false,
      stage: why ?? stage,
      message: why === 'timeout' ? `timed out after ${fmtMs(spec.timeoutMs ?? 0)} during ${phase}` : why === 'cancelled' ? `cancelled during ${phase}` : message,
      durationMs: Math.round(performance.now() - started),
      logTail: tail.toString(),
    };
    if (failedStep && !why) result.failedStep = failedStep;
    log.info({ stage: result.stage, durationMs: result.durationMs, failedStep: result.failedStep?.step }, 'build failed');
    return result;
  };

  let ctx: BuildContext | undefined;
  try {
    const invalid = validate(spec);
    if (invalid) return fail('context', invalid);
    if (ctl.signal.aborted) return fail('cancelled', 'cancelled');
    // the typings lack ping's options; dockerode passes abortSignal through
    const ping = docker.ping as unknown as (o: { abortSignal: AbortSignal }) => Promise<unknown>;
    const alive = await ping
      .call(docker, { abortSignal: AbortSignal.any([ctl.signal, AbortSignal.timeout(PING_TIMEOUT_MS)]) })
      .then(() => undefined, (e: unknown) => errorText(e));
    if (alive !== undefined) return fail('infrastructure', `the Docker daemon is unreachable: ${alive}`);

    progress({ phase: 'context' });
    let source: NodeJS.ReadableStream;
    try {
      source = typeof spec.source === 'function' ? await spec.source() : spec.source;
    } catch (e) {
      return fail('infrastructure', `fetching the source failed: ${errorText(e)}`);
    }
    try {
      ctx = await prepareContext(source, {
        ...(spec.context !== undefined ? { context: spec.context } : {}),
        ...(spec.dockerfile !== undefined ? { dockerfile: spec.dockerfile } : {}),
        ...(opts.maxContextBytes !== undefined ? { maxBytes: opts.maxContextBytes } : {}),
        signal: ctl.signal,
      });
    } catch (e) {
      if (e instanceof ContextError) return fail('context', e.message);
      return fail('infrastructure', `reading the source tarball failed: ${errorText(e)}`);
    }
    tail.line(`context: ${ctx.entries} entries, ${fmtBytes(ctx.bytes)}, ${ctx.ignored} left out by .dockerignore`);
    log.debug({ entries: ctx.entries, bytes: ctx.bytes, ignored: ctx.ignored }, 'build context ready');

    if (spec.cacheFrom?.length) await pullCacheImages(docker, spec, { signal: ctl.signal, tail });
    progress({ phase: 'build' });
    const built = await runBuild(docker, spec, ctx, { signal: ctl.signal, tail, instructions: parseDockerfile(ctx.dockerfileText), onProgress: progress });
    if (!built.ok) return fail(built.stage, built.message, built.failedStep);

    progress({ phase: 'push' });
    const guard = await guardReleaseTags(spec, built.imageId, { signal: ctl.signal, tail });
    if (!guard.ok) return fail(guard.refused ? 'refused' : 'push', guard.message);
    const pushed = await pushTags(docker, spec, guard.push, { signal: ctl.signal, tail });
    if (!pushed.ok) return fail('push', pushed.message);

    const info = await docker.getImage(built.imageId).inspect();
    const durationMs = Math.round(performance.now() - started);
    log.info({ repository: spec.repository, tags: guard.push, digest: pushed.digest, durationMs }, 'image built and pushed');
    return {
      ok: true,
      ref: `${spec.repository}:${guard.push[0]}@${pushed.digest}`,
      repository: spec.repository,
      tags: guard.push,
      digest: pushed.digest,
      sizeBytes: info.Size,
      imageId: built.imageId,
      durationMs,
      logTail: tail.toString(),
    };
  } catch (e) {
    if (ctl.signal.aborted) return fail('cancelled', 'stopped');
    log.error({ err: e }, 'build engine error');
    return fail('infrastructure', `build engine error: ${errorText(e)}`);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCancel);
    await ctx?.dispose();
  }
}

/** What is wrong with the spec itself, if anything (tags come from git refs a user chose). */
function validate(spec: BuildSpec): string | undefined {
  if (!REPOSITORY.test(spec.repository)) return `invalid image repository "${spec.repository}"`;
  if (spec.tags.length === 0) return 'no tag to build';
  const bad = spec.tags.find((t) => !TAG.test(t));
  if (bad !== undefined) return `invalid image tag "${bad}": use letters, digits, _ . - (at most 128, not starting with . or -)`;
  return undefined;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}

function fmtBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}
