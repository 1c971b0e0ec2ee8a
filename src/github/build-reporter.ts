import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Redis } from 'ioredis';
import type { BuildOutcome, BuildReporter } from '../images/worker.js';
import type { BuildProgress } from '../images/types.js';
import type { Core } from '../commands/context.js';
import { buildJobId, type BuildJobData } from '../images/build-queue.js';
import type { Keys } from '../store/redis.js';
import type { BuildReport } from '../notify/events.js';
import type { Logger } from '../util/logger.js';
import { cancelledOutput, failureOutput, progressOutput, successOutput, Throttle, updateCheckRun, type CheckSubject } from './check-run.js';
import type { GithubAuth } from './event-worker.js';
import { GhKeys } from './keys.js';
import { cacheBranches } from '../images/plan.js';
import { recordRelease } from './release.js';
import { buildPageUrl } from './build-page-url.js';
import { triggerText } from '../images/build-log-job.js';
import type { GithubPreviews } from './previews.js';

export interface ReporterDeps {
  core: Core;
  redis: Redis;
  keys: Keys;
  github: GithubAuth;
  log: Logger;
  /** minimum gap between progress updates of one check run */
  progressIntervalMs?: number;
  /** GANTRY_PUBLIC_URL: check runs and chat reports link to the build's page */
  publicUrl?: string;
  /** preview environments per pull request: a built pull-request image may write one */
  previews?: Pick<GithubPreviews, 'built'>;
}

/**
 * The GitHub side of a build: the source tarball of the exact commit, and the check run that
 * follows the build (queued → in_progress with throttled progress → completed).
 */
export class GithubBuildReporter implements BuildReporter {
  private readonly k: GhKeys;
  private readonly throttles = new Map<number, Throttle<BuildProgress>>();

  constructor(private readonly d: ReporterDeps) {
    this.k = new GhKeys(d.keys);
  }

  private where(job: BuildJobData) {
    return { owner: job.source.owner, repo: job.source.repo };
  }

  /** GET /repos/{owner}/{repo}/tarball/{sha}: a redirect to codeload, streamed, never buffered whole. */
  async source(job: BuildJobData, signal: AbortSignal): Promise<NodeJS.ReadableStream> {
    const octokit = await this.d.github.installation(job.source.installationId);
    const res = await octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', {
      ...this.where(job),
      ref: job.source.sha,
      request: { parseSuccessResponseBody: false, signal },
    });
    const body = res.data as unknown;
    if (body instanceof Readable) return body;
    if (body && typeof (body as WebReadableStream).getReader === 'function') return Readable.fromWeb(body as WebReadableStream);
    if (body instanceof ArrayBuffer || Buffer.isBuffer(body)) return Readable.from([Buffer.from(body as ArrayBuffer)]);
    throw Object.assign(new Error('the tarball response had no body'), { status: 502 });
  }

  async started(job: BuildJobData): Promise<void> {
    const octokit = await this.d.github.installation(job.source.installationId);
    // set again here: a check run taken over from an attempt that died may link an older id
    const detailsUrl = buildPageUrl(this.d.publicUrl, job.buildId);
    await updateCheckRun(octokit, this.where(job), job.checkRunId, { status: 'in_progress', output: progressOutput(job, { phase: 'context' }), ...(detailsUrl ? { detailsUrl } : {}) });
  }

  progress(job: BuildJobData, p: BuildProgress): void {
    let t = this.throttles.get(job.checkRunId);
    if (!t) {
      t = new Throttle<BuildProgress>(
        async (v) => {
          const octokit = await this.d.github.installation(job.source.installationId);
          await updateCheckRun(octokit, this.where(job), job.checkRunId, { status: 'in_progress', output: progressOutput(job, v) });
        },
        this.d.progressIntervalMs ?? 3000,
        // progress is a courtesy: a failed update is logged, the build goes on
        (err) => this.d.log.warn({ checkRun: job.checkRunId, err: String(err) }, 'progress update failed'),
      );
      this.throttles.set(job.checkRunId, t);
    }
    t.push(p);
  }

  async retrying(job: BuildJobData, message: string, attempt: number): Promise<void> {
    await this.drain(job);
    const octokit = await this.d.github.installation(job.source.installationId);
    await updateCheckRun(octokit, this.where(job), job.checkRunId, {
      status: 'queued',
      output: { title: `attempt ${attempt} failed, retrying`, summary: `Attempt ${attempt} failed (${message.slice(0, 500)}); the build will be retried.` },
    });
  }

  async handedBack(job: BuildJobData): Promise<void> {
    await this.drain(job);
    const octokit = await this.d.github.installation(job.source.installationId);
    await updateCheckRun(octokit, this.where(job), job.checkRunId, {
      status: 'queued',
      output: { title: 'requeued: its worker is stopping', summary: 'The worker running this build was stopped (a deploy or scale-down of gantry); the build starts again on another worker.' },
    });
  }

  async finished(job: BuildJobData, outcome: BuildOutcome): Promise<void> {
    await this.drain(job);
    const octokit = await this.d.github.installation(job.source.installationId);
    const subject: CheckSubject = job;
    const final =
      outcome.kind === 'success' ? successOutput(subject, outcome.result, outcome.smoke) : outcome.kind === 'failure' ? failureOutput(subject, outcome.result) : cancelledOutput(outcome.reason);
    await updateCheckRun(octokit, this.where(job), job.checkRunId, final);
    const jobId = buildJobId(job);
    if (job.trigger.kind === 'pr') await this.d.redis.srem(this.k.prBuilds(job.source.owner, job.source.repo, job.trigger.number), jobId);
    // chat links the build's page when there is one: the whole log, not the check run's tail
    const url = buildPageUrl(this.d.publicUrl, job.buildId) ?? job.checkRunUrl;
    const report: BuildReport = {
      app: job.app,
      image: job.image,
      repo: `${job.source.owner}/${job.source.repo}`,
      sha: job.source.sha,
      trigger: triggerText(job.trigger),
      version: job.version,
      ...(url ? { url } : {}),
    };
    if (outcome.kind === 'cancelled') return;
    // a worker that died after this point leaves the next one to report the same outcome again:
    // the check run update above repeats harmlessly, the chat report must not
    const announce = (await this.d.redis.set(this.k.buildAnnounced(job.source.owner, job.source.repo, job.checkRunId), '1', 'EX', 7 * 86_400, 'NX')) === 'OK';
    if (outcome.kind === 'failure' || final.conclusion !== 'success') {
      const message = outcome.kind === 'failure' ? outcome.result.message : final.output.title;
      if (announce) await this.d.core.bus.publish({ type: 'build-failed', build: report, stage: outcome.kind === 'failure' ? outcome.result.stage : 'test', message });
      return;
    }
    const r = outcome.result;
    if (announce) await this.d.core.bus.publish({ type: 'build-succeeded', build: { ...report, ref: r.ref, digest: r.digest } });
    // the next build of this branch starts from this image (never a fork's: it would poison the base branch's cache)
    const branch = cacheBranches(job.trigger)[0];
    if (branch && !(job.trigger.kind === 'pr' && job.trigger.fork)) {
      await this.d.redis.set(this.k.lastImage(job.app, job.image, branch), `${r.repository}:${r.tags[0]}`, 'EX', 30 * 86_400);
    }
    if (job.trigger.kind !== 'pr') await recordRelease(this.d, job, r, this.d.log.child({ job: jobId, delivery: job.delivery }));
    else await this.d.previews?.built(job, r);
  }

  private async drain(job: BuildJobData): Promise<void> {
    const t = this.throttles.get(job.checkRunId);
    this.throttles.delete(job.checkRunId);
    await t?.drain();
  }
}
