import { UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { Previews } from '../config/preview-schema.js';
import { GantryError } from '../domain/errors.js';
import { globMatch } from '../domain/glob.js';
import { tryParseImageRef } from '../domain/image-ref.js';
import { own } from '../domain/own.js';
import type { BuildJobData } from '../images/build-queue.js';
import type { BuildSuccess } from '../images/types.js';
import type { PreviewJob, PreviewQueue } from '../previews/queue.js';
import type { PreviewOutcome, PreviewWriter } from '../previews/writer.js';
import type { Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import type { Octokit } from './check-run.js';
import type { GithubAuth } from './event-worker.js';
import { GhKeys } from './keys.js';
import { previewComment, previewSection } from './preview-text.js';

export interface GithubPreviewsDeps {
  config: Config;
  redis: Redis;
  keys: Keys;
  github: GithubAuth;
  queue: PreviewQueue;
  writer: PreviewWriter;
  /** GANTRY_REGISTRY: images of test and local builds are pushed there instead of the configured registry */
  registryOverride?: string;
  log: Logger;
}

type PullRequest = Awaited<ReturnType<Octokit['rest']['pulls']['get']>>['data'];
type Where = { owner: string; repo: string };
const SHA = /^[0-9a-f]{40}$/;
const VERSION = /^pr-[1-9][0-9]{0,9}-[0-9a-f]{7}$/;
/** errors worth another attempt: the deploy repo or GitHub away, the branch moving, a bug */
const RETRYABLE = new Set(['DEPLOY_REPO_UNREACHABLE', 'DEPLOY_CONFLICT', 'GITHUB_API_FAILED', 'INTERNAL']);

/**
 * Preview environments on the GitHub side: a built pull-request image and pull-request events
 * become preview jobs; the preview worker checks each job against the config and the pull request
 * as GitHub has it now, has the writer commit it, and tells the pull request (one comment, edited)
 * and the build's check run.
 */
export class GithubPreviews {
  private readonly k: GhKeys;
  constructor(private readonly d: GithubPreviewsDeps) {
    this.k = new GhKeys(d.keys);
  }

  private settings(app: string): Previews | undefined {
    return own(this.d.config.apps, app)?.previews;
  }

  /** The image of `app` that previews use (config `image`, default the first). */
  private imageName(app: string): string | undefined {
    const cfg = own(this.d.config.apps, app);
    return cfg?.previews ? (cfg.previews.image ?? Object.keys(cfg.images)[0]) : undefined;
  }

  /** A pull request's image was built and pushed (build reporter): its preview is written from it, by digest. */
  async built(job: BuildJobData, r: BuildSuccess): Promise<void> {
    if (job.trigger.kind !== 'pr' || this.imageName(job.app) !== job.image) return;
    const number = job.trigger.number;
    const image = `${r.repository}@${r.digest}`;
    const { owner, repo } = job.source;
    const data: PreviewJob = {
      kind: 'write',
      app: job.app,
      owner,
      repo,
      installationId: job.source.installationId,
      number,
      sha: job.source.sha,
      image,
      version: job.version,
      checkRunId: job.checkRunId,
      cause: 'built',
    };
    // kept for a label added later: that preview is written from this build, not a new one
    await this.d.redis.set(this.k.previewImage(owner, repo, number, job.app), JSON.stringify(data), 'EX', 30 * 86_400);
    await this.d.queue.add(`preview-build-${owner}-${repo}-${job.checkRunId}`, data);
  }

  /** A pull request was labeled, unlabeled, closed or reopened: its preview follows its state. */
  async changed(ev: { app: string; owner: string; repo: string; installationId: number; number: number; delivery: string; cause: PreviewJob['cause'] }): Promise<boolean> {
    if (!this.settings(ev.app)) return false;
    const { app, owner, repo, installationId, number, cause } = ev;
    await this.d.queue.add(`preview-${ev.delivery}-${app}`, { kind: 'sync', app, owner, repo, installationId, number, cause });
    return true;
  }

  /** The preview worker's processor. */
  async run(job: Job<PreviewJob, string>): Promise<string> {
    const data = this.checked(job.data);
    const p = this.settings(data.app)!;
    const where = { owner: data.owner, repo: data.repo };
    const log = this.d.log.child({ job: job.id, app: data.app, pr: data.number, cause: data.cause });
    const octokit = await this.d.github.installation(data.installationId);
    const { data: pr } = await octokit.rest.pulls.get({ ...where, pull_number: data.number });
    const built = data.kind === 'write' ? data : await this.lastBuilt(data);
    const why = await this.refusal(octokit, where, p, pr, built?.sha);
    const request = job.id!;
    const change = { app: data.app, pr: data.number, requestedBy: `github:${pr.user.login}`, request, maybeDone: job.attemptsStarted > 1 || job.attemptsMade > 0 };
    let out: PreviewOutcome;
    try {
      if (why === undefined && built) {
        out = await this.d.writer.apply({ ...change, kind: 'write', image: built.image!, version: built.version!, reason: data.cause });
      } else if (why === 'superseded') {
        log.info({ sha: built?.sha, head: pr.head.sha }, 'preview not written: the pull request has a newer head');
        return 'superseded';
      } else if (data.kind === 'write') {
        log.info({ why }, 'no preview for this pull request');
        return 'not-asked';
      } else {
        out = await this.d.writer.apply({ ...change, kind: 'remove', reason: why ?? `pull request ${data.cause}` });
      }
    } catch (e) {
      if (!(e instanceof GantryError) || RETRYABLE.has(e.code)) throw e;
      // a refusal (the limit, a bad template) is said where the author looks, and not retried
      log.info({ code: e.code, err: e.message }, 'preview refused');
      if (pr.state === 'open') await this.tell(octokit, where, data, built?.checkRunId, { kind: 'refused', app: data.app, number: data.number, message: e.message });
      throw new UnrecoverableError(`${e.code}: ${e.message}`);
    }
    log.info({ outcome: out.outcome, dir: out.dir, commit: out.commit }, 'preview');
    if (out.outcome === 'unchanged' && data.kind === 'sync' && !built) return out.outcome;
    const said = out.url
      ? {
          kind: 'live' as const,
          app: data.app,
          number: data.number,
          url: out.url,
          dir: out.dir,
          image: built!.image!,
          version: built!.version!,
          ...(out.commit ? { commit: out.commit } : {}),
        }
      : { kind: 'removed' as const, app: data.app, number: data.number, dir: out.dir, reason: why ?? data.cause };
    // a removal edits an existing comment only; a closed pull request gets no new one
    if (said.kind === 'live' || (await this.d.redis.exists(this.k.previewComment(data.owner, data.repo, data.number, data.app)))) {
      await this.tell(octokit, where, data, said.kind === 'live' ? built?.checkRunId : undefined, said);
    }
    return out.outcome;
  }

  /**
   * Why the pull request gets no preview now (undefined: it does). `superseded`: the image is not
   * of its head. Forks never, unless a user with write access allowed that head (`/gantry build`).
   */
  private async refusal(octokit: Octokit, where: Where, p: Previews, pr: PullRequest, sha: string | undefined): Promise<string | undefined> {
    if (pr.state !== 'open') return `pull request ${pr.merged_at ? 'merged' : 'closed'}`;
    if (!sha) return 'no image built for it yet';
    if (sha !== pr.head.sha) return 'superseded';
    const fork = pr.head.repo?.full_name !== pr.base.repo.full_name;
    if (fork && !(await this.d.redis.sismember(this.k.forkAllowed(where.owner, where.repo, pr.number), pr.head.sha))) {
      return 'a fork: a user with write access must comment /gantry build';
    }
    switch (p.on) {
      case 'label':
        return pr.labels.some((l) => l.name === p.label) ? undefined : `no label ${p.label}`;
      case 'branches':
        return p.branches.some((b) => globMatch(b, pr.head.ref)) ? undefined : `branch ${pr.head.ref} matches none of ${p.branches.join(', ')}`;
      case 'every': {
        const { data: perm } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...where, username: pr.user.login });
        return ['admin', 'maintain', 'write'].includes(perm.permission) ? undefined : `opened by ${pr.user.login}, who has no write access`;
      }
    }
  }

  /** The last image built for the pull request's preview (Redis: checked like job data). */
  private async lastBuilt(data: PreviewJob): Promise<PreviewJob | undefined> {
    const raw = await this.d.redis.get(this.k.previewImage(data.owner, data.repo, data.number, data.app));
    if (!raw) return undefined;
    try {
      const stored = this.checked(JSON.parse(raw) as PreviewJob);
      return stored.kind === 'write' && stored.number === data.number && stored.app === data.app ? stored : undefined;
    } catch {
      return undefined;
    }
  }

  /** Job data is anyone's with Redis access: every field is checked against the config before use. */
  private checked(x: PreviewJob): PreviewJob {
    const bad = (what: string) => new UnrecoverableError(`INPUT_INVALID: preview job: ${what}`);
    const app = own(this.d.config.apps, typeof x?.app === 'string' ? x.app : '');
    if (!app?.previews) throw bad(`app ${String(x?.app).slice(0, 60)} has no previews`);
    const sameRepo = typeof x.owner === 'string' && typeof x.repo === 'string' && app.source?.toLowerCase() === `${x.owner}/${x.repo}`.toLowerCase();
    if (!sameRepo) throw bad("repository is not the app's source");
    if (!Number.isSafeInteger(x.number) || x.number < 1 || !Number.isSafeInteger(x.installationId)) throw bad('pull request or installation is no number');
    if (!['built', 'labeled', 'unlabeled', 'closed', 'reopened'].includes(x.cause) || (x.kind !== 'write' && x.kind !== 'sync')) throw bad('unknown kind or cause');
    if (x.kind === 'sync') return { kind: 'sync', app: x.app, owner: x.owner, repo: x.repo, installationId: x.installationId, number: x.number, cause: x.cause };
    const ref = typeof x.image === 'string' ? tryParseImageRef(x.image) : undefined;
    const name = this.imageName(x.app)!;
    const repository = app.images[name]!.repository;
    const allowed = [repository, ...(this.d.registryOverride ? [`${this.d.registryOverride}/${repository.split('/').slice(1).join('/')}`] : [])];
    if (!ref?.digest || ref.tag !== undefined || !allowed.includes(ref.repository)) throw bad(`image is not ${name}'s repository by digest`);
    if (typeof x.sha !== 'string' || !SHA.test(x.sha) || typeof x.version !== 'string' || !VERSION.test(x.version)) throw bad('commit or version malformed');
    if (x.checkRunId !== undefined && !Number.isSafeInteger(x.checkRunId)) throw bad('check run is no number');
    return { ...x };
  }

  /** One comment per pull request and app, edited on every change; the build's check run gets the same section. */
  private async tell(octokit: Octokit, where: Where, data: PreviewJob, checkRunId: number | undefined, said: Parameters<typeof previewComment>[0]): Promise<void> {
    const key = this.k.previewComment(data.owner, data.repo, data.number, data.app);
    const body = previewComment(said);
    const id = Number(await this.d.redis.get(key));
    if (id > 0) {
      await octokit.rest.issues.updateComment({ ...where, comment_id: id, body });
    } else {
      const { data: c } = await octokit.rest.issues.createComment({ ...where, issue_number: data.number, body });
      await this.d.redis.set(key, String(c.id), 'EX', 90 * 86_400);
    }
    if (checkRunId === undefined) return;
    const { data: run } = await octokit.rest.checks.get({ ...where, check_run_id: checkRunId });
    const summary = `${(run.output.summary ?? '').replace(/\n\n### Preview[\s\S]*$/, '')}\n\n${previewSection(said)}`;
    await octokit.rest.checks.update({ ...where, check_run_id: checkRunId, output: { title: run.output.title ?? 'image built', summary, ...(run.output.text ? { text: run.output.text } : {}) } });
  }
}
