import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type Docker from 'dockerode';
import { BUILD_QUEUE, CancelListener, type BuildJobData, type BuildJobResult, type BuildQueue } from './build-queue.js';
import { bullConnection } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import type { BuildFailure, BuildProgress, BuildResult, BuildSpec, BuildSuccess, SmokeTestResult, SmokeTestSpec } from './types.js';
import { jobLock } from '../store/job-lock.js';
import { immutableTags } from './release-tags.js';
import type { BuildLogStore } from './build-log.js';
import { JobLog } from './build-log-job.js';

/**
 * The build worker: runs build jobs on the engine and tells a reporter what happened. It knows
 * nothing of GitHub; the reporter (src/github/build-reporter.ts) fetches the source and talks to
 * check runs. Build failures are final (UnrecoverableError); infrastructure faults (engine or
 * registry away, source download failed) are thrown as plain errors and retried with backoff.
 */
export type BuildOutcome =
  | { kind: 'success'; result: BuildSuccess; smoke?: SmokeTestResult }
  | { kind: 'failure'; result: BuildFailure }
  | { kind: 'cancelled'; reason: string };

export interface BuildReporter {
  /** the gzip'd source tarball of `job.source.sha`; a thrown error with `status` 4xx is final */
  source(job: BuildJobData, signal: AbortSignal): Promise<NodeJS.ReadableStream>;
  started(job: BuildJobData): Promise<void>;
  /** called often; the reporter throttles */
  progress(job: BuildJobData, p: BuildProgress): void;
  retrying(job: BuildJobData, message: string, attempt: number): Promise<void>;
  /** the worker is stopping (SIGTERM) and gave the build back to the queue: it starts again elsewhere */
  handedBack(job: BuildJobData): Promise<void>;
  /** the end of a build; a throw here fails the attempt (retried) */
  finished(job: BuildJobData, outcome: BuildOutcome): Promise<void>;
}

export type BuildImageFn = (
  docker: Docker,
  spec: BuildSpec,
  o: { signal?: AbortSignal; onProgress?: (p: BuildProgress) => void; onLog?: (text: string) => void; log?: Logger },
) => Promise<BuildResult>;
export type SmokeTestFn = (docker: Docker, spec: SmokeTestSpec, signal?: AbortSignal) => Promise<SmokeTestResult>;

export interface BuildWorkerDeps {
  redisUrl: string;
  prefix: string;
  docker: Docker;
  builds: BuildQueue;
  reporter: BuildReporter;
  buildImage: BuildImageFn;
  runSmokeTest: SmokeTestFn;
  concurrency: number;
  timeoutMs: number;
  /** registry credentials (same-repo builds) and the fork-only ones; never in a job payload */
  auth?: { username: string; password: string };
  forkAuth?: { username: string; password: string };
  memoryBytes?: number;
  nanoCpus?: number;
  /** GANTRY_BUILD_ARG_* values that `{ env }` build args name */
  argEnv: Record<string, string>;
  /** where each build's whole log goes, for its page (absent: only the check run's tail) */
  logs?: BuildLogStore;
  log: Logger;
}

/** Stages worth another attempt: the engine, the registry or the network, not the Dockerfile. */
const RETRYABLE_STAGES = new Set<BuildFailure['stage']>(['infrastructure', 'push']);

/**
 * How often a build may lose its worker (kill -9, out of memory, a lost machine) and still be
 * taken over by another. BullMQ would fail a job stalled more than its `maxStalledCount` without
 * running the processor, so nothing would conclude its check run: gantry counts the stalls itself
 * (runBuildJob) and keeps BullMQ's limit out of the way.
 */
export const MAX_BUILD_STALLS = 3;

/**
 * What a stopping worker asks of its running builds: once `requested`, a build that is aborted
 * goes back to the queue (another worker starts it at once) instead of being reported cancelled.
 */
export class HandBack {
  requested = false;
  private readonly aborts = new Map<string, () => void>();
  watch(jobId: string, abort: () => void): () => void {
    this.aborts.set(jobId, abort);
    return () => this.aborts.delete(jobId);
  }
  /** aborts every running build, to be handed back */
  request(): number {
    this.requested = true;
    for (const abort of this.aborts.values()) abort();
    return this.aborts.size;
  }
}

/** How long a stopping worker lets its builds run on before it hands them back (GANTRY_SHUTDOWN_GRACE). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 20_000;

export function startBuildWorker(d: BuildWorkerDeps): { worker: Worker<BuildJobData, BuildJobResult>; close(graceMs?: number): Promise<void> } {
  const onError = (err: Error) => d.log.warn({ queue: BUILD_QUEUE, err: err.message }, 'build worker connection error');
  const cancels = new CancelListener(d.redisUrl, d.builds.cancelChannel, onError);
  const handBack = new HandBack();
  const worker = new Worker<BuildJobData, BuildJobResult>(BUILD_QUEUE, (job, token) => runBuildJob(d, cancels, job, { handBack, ...(token ? { token } : {}) }), {
    connection: bullConnection(d.redisUrl),
    prefix: d.prefix,
    concurrency: d.concurrency,
    // a build holds its lock for minutes: a longer default lock rides out a busy event loop
    ...jobLock(60_000),
    maxStalledCount: MAX_BUILD_STALLS + 10,
  });
  worker.on('error', onError);
  return {
    worker,
    /**
     * Stops taking builds and waits for the running ones; those still running after `graceMs` are
     * stopped and handed back to the queue, so a rolling update (SIGTERM, then SIGKILL after the
     * orchestrator's grace period, 30 s in Kubernetes) never leaves a build to the stalled-job check.
     */
    async close(graceMs = DEFAULT_SHUTDOWN_GRACE_MS) {
      const closing = worker.close();
      const timer = setTimeout(() => {
        const n = handBack.request();
        if (n) d.log.info({ builds: n, graceMs }, 'stopping: builds still running are handed back to the queue');
      }, graceMs);
      try {
        await closing;
      } finally {
        clearTimeout(timer);
        await cancels.close();
      }
    },
  };
}

/**
 * The outcome an earlier run of this job decided. It is stored on the job before it is reported,
 * so a worker that dies while (or after) reporting it leaves the next one a report to repeat, not
 * a build to redo: a rebuild would push another digest under the same tags and conclude the check
 * run a second time, differently.
 */
function decidedOutcome(job: Pick<Job, 'progress'>): BuildOutcome | undefined {
  const p = job.progress as { outcome?: BuildOutcome } | number | null | undefined;
  return typeof p === 'object' && p !== null ? p.outcome : undefined;
}

export async function runBuildJob(
  d: BuildWorkerDeps,
  cancels: CancelListener,
  job: Job<BuildJobData, BuildJobResult>,
  o: { handBack?: HandBack; token?: string } = {},
): Promise<BuildJobResult> {
  const data = job.data;
  const jobId = job.id!;
  const stalls = job.stalledCounter ?? 0;
  const log = d.log.child({ job: jobId, delivery: data.delivery, attempt: job.attemptsMade + 1, ...(stalls ? { stalls } : {}) });
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  /** reports the end of the build; resolves with the job's result or throws its final error */
  const jobLog = new JobLog(d.logs, data.buildId, log);
  const settle = async (outcome: BuildOutcome): Promise<BuildJobResult> => {
    // the page says how it ended before the check run links people to it
    await jobLog.end(outcome);
    await d.reporter.finished(data, outcome);
    return endOf(outcome, log);
  };
  const decide = async (outcome: BuildOutcome): Promise<BuildJobResult> => {
    await job.updateProgress({ outcome });
    return settle(outcome);
  };
  const earlier = decidedOutcome(job);
  if (earlier) {
    log.info({ outcome: earlier.kind }, 'build ended before its worker stopped: reporting that again');
    return settle(earlier);
  }
  if (stalls > MAX_BUILD_STALLS) {
    const message = `the worker running this build stopped ${stalls} times before it ended (killed, out of memory, or its machine lost); not tried again`;
    return decide({ kind: 'failure', result: { ok: false, stage: 'infrastructure', message, durationMs: 0, logTail: '' } });
  }
  const ac = new AbortController();
  let timedOut = false;
  // listen before looking at the flag: a cancel in between is then heard either way
  const unwatch = cancels.watch(jobId, () => ac.abort());
  const unwatchStop = o.handBack?.watch(jobId, () => ac.abort());
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, d.timeoutMs + 30_000);
  const cancelled = async (fallback: string): Promise<BuildJobResult> => {
    const flagged = await d.builds.cancelled(jobId);
    // stopped by its worker's shutdown, not by a user or a newer push: back to the queue, untouched
    if (!flagged && o.handBack?.requested && o.token) {
      await d.reporter.handedBack(data);
      await job.moveToWait(o.token);
      log.info('build handed back to the queue: its worker is stopping');
      throw new WaitingError();
    }
    return decide({ kind: 'cancelled', reason: flagged ?? fallback });
  };
  try {
    const flagged = await d.builds.cancelled(jobId);
    if (flagged) return await cancelled(flagged);
    await d.reporter.started(data);
    await jobLog.start(data);
    let source: NodeJS.ReadableStream;
    try {
      source = await d.reporter.source(data, ac.signal);
    } catch (e) {
      if (ac.signal.aborted && !timedOut) return await cancelled('cancelled');
      const status = (e as { status?: number }).status;
      const message = `source tarball of ${data.source.sha}: ${e instanceof Error ? e.message : String(e)}`;
      const failure: BuildFailure = { ok: false, stage: status !== undefined && status >= 400 && status < 500 ? 'context' : 'infrastructure', message, durationMs: 0, logTail: '' };
      if (failure.stage === 'context' || lastAttempt) return await decide({ kind: 'failure', result: failure });
      return await retry(d, data, log, job.attemptsMade + 1, failure);
    }
    const spec = buildSpec(d, data, source);
    const result = await d.buildImage(d.docker, spec, { signal: ac.signal, onProgress: (p) => d.reporter.progress(data, p), onLog: jobLog.write, log });
    if (!result.ok) {
      if (result.stage === 'cancelled' && !timedOut) return await cancelled('cancelled');
      const failure: BuildFailure = timedOut && result.stage === 'cancelled' ? { ...result, stage: 'timeout', message: `build took longer than ${d.timeoutMs} ms` } : result;
      if (RETRYABLE_STAGES.has(failure.stage) && !lastAttempt) return await retry(d, data, log, job.attemptsMade + 1, failure);
      return await decide({ kind: 'failure', result: failure });
    }
    let smoke: SmokeTestResult | undefined;
    if (data.test) {
      d.reporter.progress(data, { phase: 'test', instruction: data.test.command.join(' ') });
      smoke = await d.runSmokeTest(d.docker, { image: `${result.repository}@${result.digest}`, command: data.test.command, timeoutMs: data.test.timeoutMs, env: data.test.env }, ac.signal);
      if (ac.signal.aborted && !timedOut) return await cancelled('cancelled');
    }
    return await decide({ kind: 'success', result, ...(smoke ? { smoke } : {}) });
  } finally {
    await jobLog.close();
    clearTimeout(timer);
    unwatch();
    unwatchStop?.();
  }
}

/** The job's result for an outcome that has been reported; every outcome but a clean success is a final error. */
function endOf(outcome: BuildOutcome, log: Logger): BuildJobResult {
  switch (outcome.kind) {
    case 'cancelled':
      log.info({ reason: outcome.reason }, 'build cancelled');
      throw new UnrecoverableError(`BUILD_CANCELLED: ${outcome.reason}`);
    case 'failure': {
      const f = outcome.result;
      log.info({ stage: f.stage, step: f.failedStep?.step }, 'build failed');
      throw new UnrecoverableError(`BUILD_FAILED: ${f.stage}: ${f.message}`);
    }
    case 'success': {
      const { result, smoke } = outcome;
      log.info({ ref: result.ref, digest: result.digest, ms: result.durationMs, smoke: smoke?.exitCode }, 'build succeeded');
      if (smoke && (smoke.exitCode !== 0 || smoke.timedOut)) {
        throw new UnrecoverableError(`SMOKE_TEST_FAILED: ${smoke.timedOut ? 'timed out' : `exit ${smoke.exitCode}`}`);
      }
      return { ok: true, ref: result.ref, digest: result.digest };
    }
  }
}

/** An infrastructure fault with attempts left: a plain error, which BullMQ retries with backoff. */
async function retry(d: BuildWorkerDeps, data: BuildJobData, log: Logger, attempt: number, failure: BuildFailure): Promise<never> {
  log.warn({ stage: failure.stage, err: failure.message }, 'build attempt failed');
  await d.reporter.retrying(data, `${failure.stage}: ${failure.message}`, attempt);
  throw new Error(`BUILD_INFRASTRUCTURE: ${failure.stage}: ${failure.message}`);
}

/** The engine's spec for a job; credentials and GANTRY_BUILD_ARG_* values are added here, not in the payload. */
export function buildSpec(d: Pick<BuildWorkerDeps, 'auth' | 'forkAuth' | 'argEnv' | 'timeoutMs' | 'memoryBytes' | 'nanoCpus'>, data: BuildJobData, source: NodeJS.ReadableStream): BuildSpec {
  const fork = data.trigger.kind === 'pr' && data.trigger.fork;
  const buildArgs: Record<string, string> = {};
  for (const [name, a] of Object.entries(data.args)) {
    if ('value' in a) buildArgs[name] = a.value;
    else if (!fork && d.argEnv[a.env] !== undefined) buildArgs[name] = d.argEnv[a.env]!;
  }
  const creds = fork ? d.forkAuth : d.auth;
  const serveraddress = data.repository.split('/')[0]!;
  return {
    source,
    dockerfile: data.dockerfile,
    context: data.context,
    ...(data.target ? { target: data.target } : {}),
    buildArgs,
    repository: data.repository,
    tags: data.tags,
    immutableTags: immutableTags(data.tags),
    // no build-time `created` label: a rebuild of the commit (a retry, a build taken over) must give
    // the same image, or its release tag could not be pushed again; the image config has its own time
    labels: data.labels,
    cacheFrom: data.cacheFrom,
    ...(d.memoryBytes ? { memoryBytes: d.memoryBytes } : {}),
    ...(d.nanoCpus ? { nanoCpus: d.nanoCpus } : {}),
    ...(creds ? { auth: { ...creds, serveraddress } } : {}),
    timeoutMs: d.timeoutMs,
  };
}
