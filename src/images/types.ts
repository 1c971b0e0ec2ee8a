/**
 * The contract between the build engine (src/images/builder.ts, dockerode) and whoever drives it
 * (the build queue worker, src/images/worker.ts). Nothing here knows GitHub.
 */

/** One image to build from one source tree. */
export interface BuildSpec {
  /** gzip'd tarball of the source tree at the exact commit (GitHub's tarball: one top directory) */
  source: NodeJS.ReadableStream | (() => Promise<NodeJS.ReadableStream>);
  /** Dockerfile path relative to `context` (default `Dockerfile`) */
  dockerfile?: string;
  /** build context directory inside the source tree (default `.`) */
  context?: string;
  /** multi-stage target */
  target?: string;
  buildArgs?: Record<string, string>;
  /** repository to push to, e.g. `127.0.0.1:5000/acme/web` */
  repository: string;
  /** every tag to apply and push, e.g. [`pr-42-1a2b3c4`, `sha-1a2b3c4`] */
  tags: string[];
  /**
   * the tags that must never move (src/images/release-tags.ts): each is looked up in the registry
   * before anything is pushed; default none
   */
  immutableTags?: string[];
  /** OCI labels (org.opencontainers.image.source/revision/version) */
  labels?: Record<string, string>;
  /** previous image of the same branch, used as cache (pulled first when missing) */
  cacheFrom?: string[];
  /** memory limit in bytes, CPU quota in nano-CPUs */
  memoryBytes?: number;
  nanoCpus?: number;
  /** registry credentials for push/pull (from env vars, never from config files) */
  auth?: { username: string; password: string; serveraddress: string };
  /** whole build + push deadline */
  timeoutMs?: number;
}

/** Progress, throttled by the caller: which Dockerfile step runs now. */
export interface BuildProgress {
  phase: 'context' | 'build' | 'push' | 'test';
  /** e.g. 3 of 7 */
  step?: number;
  steps?: number;
  /** the instruction, e.g. `RUN make` */
  instruction?: string;
}

export interface BuildSuccess {
  ok: true;
  /** `repository:firstTag@sha256:…` */
  ref: string;
  repository: string;
  tags: string[];
  /** manifest digest the registry returned on push */
  digest: string;
  /** image size in bytes (sum of layers as the engine reports it) */
  sizeBytes: number;
  imageId: string;
  durationMs: number;
  /** last lines of the build log */
  logTail: string;
}

export interface BuildFailure {
  ok: false;
  /**
   * `build` (a Dockerfile step failed), `push`, `refused` (a release tag already names another
   * image), `context` (bad source / dockerfile path), `timeout`, `cancelled`, `infrastructure`
   */
  stage: 'context' | 'build' | 'push' | 'refused' | 'timeout' | 'cancelled' | 'infrastructure';
  message: string;
  /** the failing step, when a Dockerfile step failed */
  failedStep?: { step: number; instruction: string; dockerfileLine?: number; output: string };
  durationMs: number;
  logTail: string;
}

export type BuildResult = BuildSuccess | BuildFailure;

/** A one-shot container run in the built image (repo config `test: { command: [...] }`). */
export interface SmokeTestSpec {
  image: string;
  command: string[];
  timeoutMs: number;
  env?: Record<string, string>;
  /** memory limit in bytes (default 256 MiB, no swap on top) */
  memoryBytes?: number;
  /** CPU quota in nano-CPUs (default one CPU) */
  nanoCpus?: number;
}

export interface SmokeTestResult {
  exitCode: number | null;
  timedOut: boolean;
  outputTail: string;
  durationMs: number;
  /** set when the caller's signal stopped it (exitCode is then null) */
  cancelled?: boolean;
}
