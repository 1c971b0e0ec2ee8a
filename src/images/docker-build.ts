import type Docker from 'dockerode';
import type { BuildContext } from './context.js';
import { instructionForStep, type DockerfileInstruction } from './dockerfile.js';
import { engineError, jsonLines } from './json-lines.js';
import { LogTail } from './log-tail.js';
import type { BuildFailure, BuildProgress, BuildSpec } from './types.js';

/**
 * One `POST /build` on the classic builder (what Debian's docker.io 20.10 runs): sends the context,
 * follows the JSON stream, reports `Step N/M` progress, and on failure names the failing step,
 * its output and its Dockerfile line. Aborting `signal` destroys the HTTP exchange; the daemon
 * then cancels the build and kills and removes the step's container itself.
 */

export type BuildRun =
  | { ok: true; imageId: string }
  | { ok: false; stage: 'build' | 'infrastructure'; message: string; failedStep?: NonNullable<BuildFailure['failedStep']> };

export interface BuildRunOptions {
  signal: AbortSignal;
  tail: LogTail;
  instructions: readonly DockerfileInstruction[];
  onProgress?: (p: BuildProgress) => void;
}

const STEP = /^Step (\d+)\/(\d+) : (.*)$/;
// the builder's own chatter between steps, not a step's output
const CHATTER = /^ ---> |^Removing intermediate container |^Successfully (built|tagged) /;
// daemon-side trouble that says nothing about the Dockerfile
const INFRA = /no space left on device|failed to create shim|connection reset by peer|input\/output error/i;

export async function runBuild(docker: Docker, spec: BuildSpec, ctx: BuildContext, o: BuildRunOptions): Promise<BuildRun> {
  const body = ctx.tar();
  let res: NodeJS.ReadableStream | undefined;
  const onAbort = () => {
    body.destroy();
    (res as { destroy?: () => void } | undefined)?.destroy?.();
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  let current: { step: number; steps: number; instruction: string; output: LogTail } | undefined;
  let partial = '';
  let imageId: string | undefined;
  let error: string | undefined;
  try {
    try {
      res = await docker.buildImage(body, buildOptions(spec, ctx, o.signal));
    } catch (e) {
      if (o.signal.aborted) throw o.signal.reason;
      // a 4xx is the daemon refusing this build, e.g. a Dockerfile it cannot parse
      return requestFailure(e, (e as { statusCode?: number }).statusCode === 400 ? ctx.dockerfile : 'the build request failed');
    }
    if (o.signal.aborted) onAbort();
    for await (const m of jsonLines(res)) {
      if (m.stream) {
        o.tail.write(m.stream);
        const lines = (partial + m.stream).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line.replace(/\r$/, ''));
      }
      if (m.aux?.ID) imageId = m.aux.ID;
      const err = engineError(m);
      if (err) {
        error = err;
        o.tail.line(`ERROR: ${err}`);
      }
    }
  } catch (e) {
    if (o.signal.aborted) throw o.signal.reason;
    return { ok: false, stage: 'infrastructure', message: `the build stream from the Docker daemon broke: ${errorText(e)}` };
  } finally {
    o.signal.removeEventListener('abort', onAbort);
  }
  if (o.signal.aborted) throw o.signal.reason;
  if (partial) onLine(partial);
  if (error !== undefined) return stepFailure(error);
  if (!imageId) return { ok: false, stage: 'infrastructure', message: 'the Docker daemon ended the build without an image id' };
  return { ok: true, imageId };

  function onLine(line: string): void {
    const m = STEP.exec(line);
    if (m) {
      current = { step: Number(m[1]), steps: Number(m[2]), instruction: m[3]!, output: new LogTail(100, 16 * 1024) };
      o.onProgress?.({ phase: 'build', step: current.step, steps: current.steps, instruction: current.instruction });
    } else if (current && !CHATTER.test(line)) {
      current.output.line(line);
    }
  }

  function stepFailure(message: string): BuildRun {
    const stage = INFRA.test(message) ? 'infrastructure' : 'build';
    if (!current) {
      // e.g. a Dockerfile parse error, reported before any step ran
      return { ok: false, stage, message: `${ctx.dockerfile}: ${message}` };
    }
    const ins = instructionForStep(o.instructions, current.step);
    // only name a line when our parse and the daemon agree on the instruction
    const sameKeyword = ins && ins.keyword === (/^(\S+)/.exec(current.instruction)?.[1] ?? '').toUpperCase();
    const line = sameKeyword ? ins.line : undefined;
    return {
      ok: false,
      stage,
      message: `step ${current.step}/${current.steps} \`${shorten(current.instruction)}\`${line ? ` (${ctx.dockerfile} line ${line})` : ''} failed: ${message}`,
      failedStep: { step: current.step, instruction: current.instruction, ...(line ? { dockerfileLine: line } : {}), output: current.output.toString() },
    };
  }
}

function buildOptions(spec: BuildSpec, ctx: BuildContext, signal: AbortSignal): Docker.ImageBuildOptions {
  const opts: Record<string, unknown> = {
    dockerfile: ctx.dockerfile,
    // every tag at once: the querystring repeats `t=` for each
    t: spec.tags.map((t) => `${spec.repository}:${t}`),
    rm: true,
    forcerm: true, // intermediate containers go away even when a step fails
    pull: false,
    version: '1',
    abortSignal: signal,
  };
  if (spec.target) opts.target = spec.target;
  if (spec.buildArgs && Object.keys(spec.buildArgs).length) opts.buildargs = { ...spec.buildArgs };
  if (spec.labels && Object.keys(spec.labels).length) opts.labels = { ...spec.labels };
  if (spec.cacheFrom?.length) opts.cachefrom = [...spec.cacheFrom];
  if (spec.memoryBytes) opts.memory = spec.memoryBytes;
  if (spec.nanoCpus) {
    // the build API has no NanoCpus: the same share as a CFS quota per 100 ms period
    opts.cpuperiod = 100_000;
    opts.cpuquota = Math.max(1_000, Math.round((spec.nanoCpus / 1e9) * 100_000));
  }
  if (spec.auth) {
    // credentials for base images of FROM lines, per registry
    opts.registryconfig = { [spec.auth.serveraddress]: { username: spec.auth.username, password: spec.auth.password } };
  }
  return opts as Docker.ImageBuildOptions;
}

/** An error of the HTTP exchange itself: the daemon answered with a status, or not at all. */
export function requestFailure(e: unknown, what: string): { ok: false; stage: 'build' | 'infrastructure'; message: string } {
  const status = (e as { statusCode?: number }).statusCode;
  if (status && status < 500) return { ok: false, stage: 'build', message: `${what}: ${errorText(e)}` };
  return { ok: false, stage: 'infrastructure', message: `${what}: ${errorText(e)}` };
}

/** dockerode puts the daemon's JSON error into `json.message`. */
export function errorText(e: unknown): string {
  const json = (e as { json?: { message?: string } | string }).json;
  if (json && typeof json === 'object' && json.message) return json.message;
  if (typeof json === 'string' && json.trim()) return json.trim();
  return e instanceof Error ? e.message : String(e);
}

function shorten(s: string, max = 120): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
