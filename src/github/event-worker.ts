import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Core } from '../commands/context.js';
import { isGantryError } from '../domain/errors.js';
import { buildJobId, type BuildJobData, type BuildQueue, type BuildTrigger } from '../images/build-queue.js';
import { bullConnection, type Keys } from '../store/redis.js';
import type { Logger } from '../util/logger.js';
import { newBuildId, type BuildLogStore } from '../images/build-log.js';
import { buildLogMeta } from '../images/build-log-job.js';
import { buildPageUrl } from './build-page-url.js';
import { cancelledOutput, checkName, configErrorOutput, createCheckRun, externalId, parseExternalId, queuedOutput, tagsRefusedOutput, updateCheckRun, type Octokit } from './check-run.js';
import type { EventJob } from './events.js';
import { startInboxPump } from './inbox.js';
import { EVENT_JOB_OPTIONS, EVENT_QUEUE, eventJobId } from './ingest.js';
import { cacheBranches, needsDefaultBranch, planBuilds, pushBuilds, refusedTags, sha7, type TagRefusal } from '../images/plan.js';
import { GhKeys } from './keys.js';
import { defaultRepoConfig, errorLine, REPO_CONFIG_PATH, type RepoConfig } from '../images/repo-config.js';
import { fetchRepoConfig } from './repo-config-fetch.js';
import { jobLock } from '../store/job-lock.js';
import type { GithubPreviews } from './previews.js';

export interface GithubAuth {
  /** an Octokit authenticated as the installation */
  installation(id: number): Promise<Octokit>;
}

export interface EventWorkerDeps {
  core: Core;
  redis: Redis;
  redisUrl: string;
  keys: Keys;
  builds: BuildQueue;
  github: GithubAuth;
  appId: number;
  log: Logger;
  concurrency: number;
  registryOverride?: string;
  /** GANTRY_PUBLIC_URL: check runs link to their build's page there ("Details") */
  publicUrl?: string;
  /** the build pages' store: a queued build's page exists before a worker takes it */
  logs?: BuildLogStore;
  /** preview environments per pull request (src/github/previews.ts); absent: none */
  previews?: Pick<GithubPreviews, 'changed'>;
}

/** the check-run key's value while its check run is being created */
const CREATING = 'creating';

const LIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** The head of a closed pull request: every build of it is cancelled. */
const CLOSED = 'closed';

/**
 * The fast queue: turns queued webhook events into check runs and build jobs, and cancels
 * superseded builds. It never builds, so check runs never wait behind slow builds. The inbox
 * pump feeds it from the webhook inbox (src/github/inbox.ts).
 */
export function startEventWorker(d: EventWorkerDeps): { worker: Worker<EventJob>; queue: Queue<EventJob>; close(): Promise<void> } {
  const h = new EventHandler(d);
  const queue = new Queue<EventJob>(EVENT_QUEUE, { connection: bullConnection(d.redisUrl), prefix: d.keys.prefix });
  const pump = startInboxPump({ redisUrl: d.redisUrl, keys: d.keys, queue, jobOptions: EVENT_JOB_OPTIONS, jobId: eventJobId, log: d.log });
  const worker = new Worker<EventJob>(EVENT_QUEUE, (job) => h.handle(job), {
    connection: bullConnection(d.redisUrl),
    prefix: d.keys.prefix,
    concurrency: d.concurrency,
    ...jobLock(),
    // handling an event again is safe (its check runs are keyed by delivery): survive repeated crashes
    maxStalledCount: 5,
  });
  // BullMQ prints an unhandled connection error raw to stderr: log it as a line like the others
  queue.on('error', (err) => d.log.warn({ err: err.message }, 'event queue connection error'));
  worker.on('error', (err) => d.log.warn({ err: err.message }, 'event worker error'));
  return {
    worker,
    queue,
    async close() {
      await pump.close();
      await worker.close();
      await queue.close();
    },
  };
}

interface Ctx {
  ev: EventJob;
  octokit: Octokit;
  log: Logger;
  where: { owner: string; repo: string };
}

export class EventHandler {
  private readonly k: GhKeys;
  constructor(private readonly d: EventWorkerDeps) {
    this.k = new GhKeys(d.keys);
  }

  async handle(job: Job<EventJob>): Promise<string> {
    const ev = job.data;
    // redeliveries were dropped at the inbox; a retry of this job reuses what an earlier attempt created
    const log = this.d.log.child({ delivery: ev.delivery, job: job.id, event: ev.type, repo: `${ev.owner}/${ev.repo}` });
    const ctx: Ctx = { ev, octokit: await this.d.github.installation(ev.installationId), log, where: { owner: ev.owner, repo: ev.repo } };
    switch (ev.type) {
      case 'pr':
        return this.pullRequest(ctx, ev);
      case 'push':
        return this.push(ctx, ev);
      case 'build-command':
        return this.buildCommand(ctx, ev);
      case 'rerun-check':
        return this.rerunCheck(ctx, ev);
      case 'rerun-suite':
        return this.rerunSuite(ctx, ev);
    }
  }

  private async pullRequest(ctx: Ctx, ev: Extract<EventJob, { type: 'pr' }>): Promise<string> {
    if (ev.action === 'close') {
      await this.moveHead(ctx, ev.number, CLOSED);
      await this.previewChanged(ev, 'closed');
      return 'cancelled';
    }
    if (ev.action === 'relabel') return (await this.previewChanged(ev, 'labeled')) ? 'preview' : 'ignored';
    await this.moveHead(ctx, ev.number, ev.sha);
    if (ev.fork && !(await this.d.redis.sismember(this.k.forkAllowed(ev.owner, ev.repo, ev.number), ev.sha))) {
      ctx.log.info({ pr: ev.number, sha: ev.sha }, 'fork pull request not built: a user with write access must comment /gantry build');
      return 'fork-waiting';
    }
    const trigger: BuildTrigger = { kind: 'pr', number: ev.number, headRef: ev.headRef, baseRef: ev.baseRef, fork: ev.fork };
    // a reopened pull request (or a head moved back) builds again even if this commit was built before
    return this.startBuilds(ctx, trigger, ev.sha, { rerun: true });
  }

  /** the preview follows the pull request's state; the worker reads which labels it has now */
  private async previewChanged(ev: Extract<EventJob, { type: 'pr' }>, cause: 'closed' | 'labeled'): Promise<boolean> {
    const { app, owner, repo, installationId, number, delivery } = ev;
    return (await this.d.previews?.changed({ app, owner, repo, installationId, number, delivery, cause })) ?? false;
  }

  private async push(ctx: Ctx, ev: Extract<EventJob, { type: 'push' }>): Promise<string> {
    const trigger: BuildTrigger = { kind: ev.kind, name: ev.name };
    const rc = await this.repoConfig(ctx, ev.sha);
    const builds = pushBuilds(ev.kind, ev.name, rc.ok ? rc.rc : defaultRepoConfig(), this.d.core.config);
    if (!builds) return 'not-built';
    if (!rc.ok) return this.reportConfigError(ctx, trigger, ev.sha, rc.message);
    return this.startBuilds(ctx, trigger, ev.sha, { rc: rc.rc });
  }

  /** `/gantry build` on a pull request: only from users with write access; allows a fork's current head once. */
  private async buildCommand(ctx: Ctx, ev: Extract<EventJob, { type: 'build-command' }>): Promise<string> {
    const { data: perm } = await ctx.octokit.rest.repos.getCollaboratorPermissionLevel({ ...ctx.where, username: ev.login });
    if (perm.permission !== 'admin' && perm.permission !== 'write') {
      ctx.log.info({ user: ev.login, permission: perm.permission, pr: ev.number }, '/gantry build refused: no write permission');
      return 'refused';
    }
    const { data: pr } = await ctx.octokit.rest.pulls.get({ ...ctx.where, pull_number: ev.number });
    if (pr.state !== 'open') return 'closed';
    const fork = pr.head.repo?.full_name !== pr.base.repo.full_name;
    if (fork) {
      const key = this.k.forkAllowed(ev.owner, ev.repo, ev.number);
      await this.d.redis.multi().sadd(key, pr.head.sha).expire(key, 30 * 86_400).exec();
    }
    ctx.log.info({ user: ev.login, pr: ev.number, sha: pr.head.sha, fork }, '/gantry build accepted');
    await this.moveHead(ctx, ev.number, pr.head.sha);
    const trigger: BuildTrigger = { kind: 'pr', number: ev.number, headRef: pr.head.ref, baseRef: pr.base.ref, fork };
    return this.startBuilds(ctx, trigger, pr.head.sha, { rerun: true });
  }

  private async rerunCheck(ctx: Ctx, ev: Extract<EventJob, { type: 'rerun-check' }>): Promise<string> {
    const id = parseExternalId(ev.externalId);
    if (!id) return 'not-ours';
    const trigger = await this.triggerOf(ctx, id, ev.sha);
    if (!trigger) return 'not-allowed';
    return this.startBuilds(ctx, trigger, ev.sha, { rerun: true, images: [id.image] });
  }

  private async rerunSuite(ctx: Ctx, ev: Extract<EventJob, { type: 'rerun-suite' }>): Promise<string> {
    const runs = await ctx.octokit.paginate(ctx.octokit.rest.checks.listForSuite, { ...ctx.where, check_suite_id: ev.suiteId, per_page: 100 });
    const groups = new Map<string, { id: NonNullable<ReturnType<typeof parseExternalId>>; images: string[] }>();
    for (const run of runs) {
      const id = run.app?.id === this.d.appId ? parseExternalId(run.external_id) : undefined;
      if (!id) continue;
      const key = `${id.kind}|${id.name}`;
      const g = groups.get(key) ?? { id, images: [] };
      g.images.push(id.image);
      groups.set(key, g);
    }
    const out: string[] = [];
    for (const g of groups.values()) {
      const trigger = await this.triggerOf(ctx, g.id, ev.sha);
      if (trigger) out.push(await this.startBuilds(ctx, trigger, ev.sha, { rerun: true, images: g.images }));
    }
    return out.join(',') || 'nothing';
  }

  /** The trigger of an earlier build; a fork pull request only while its head was allowed. */
  private async triggerOf(ctx: Ctx, id: NonNullable<ReturnType<typeof parseExternalId>>, sha: string): Promise<BuildTrigger | undefined> {
    if (id.kind !== 'pr') return { kind: id.kind, name: id.name };
    const number = Number(id.name);
    const { data: pr } = await ctx.octokit.rest.pulls.get({ ...ctx.where, pull_number: number });
    const fork = pr.head.repo?.full_name !== pr.base.repo.full_name;
    if (fork && !(await this.d.redis.sismember(this.k.forkAllowed(ctx.ev.owner, ctx.ev.repo, number), sha))) return undefined;
    return { kind: 'pr', number, headRef: pr.head.ref, baseRef: pr.base.ref, fork };
  }

  private async repoConfig(ctx: Ctx, sha: string): Promise<{ ok: true; rc: RepoConfig } | { ok: false; message: string }> {
    try {
      return { ok: true, rc: await fetchRepoConfig(ctx.octokit, { owner: ctx.ev.owner, name: ctx.ev.repo }, sha, this.d.core.config, ctx.ev.app) };
    } catch (e) {
      if (isGantryError(e) && e.code === 'CONFIG_INVALID') return { ok: false, message: e.message };
      throw e;
    }
  }

  /** One failed check run per image, naming the line and key; nothing is built. */
  private async reportConfigError(ctx: Ctx, trigger: BuildTrigger, sha: string, message: string): Promise<string> {
    ctx.log.info({ sha, err: message }, 'invalid repo config: check runs failed');
    await this.failChecks(ctx, trigger, sha, configErrorOutput(message, REPO_CONFIG_PATH, errorLine(message)));
    return 'config-invalid';
  }

  /** The tags this build may not write (release tags never move): refused before anything is built. */
  private async refusals(ctx: Ctx, trigger: BuildTrigger, sha: string, rc: RepoConfig): Promise<TagRefusal[]> {
    const defaultBranch = needsDefaultBranch(trigger, rc) ? (await ctx.octokit.rest.repos.get(ctx.where)).data.default_branch : undefined;
    const releases = await this.d.core.releases.list(ctx.ev.app);
    return refusedTags(trigger, sha, rc, { releases, ...(defaultBranch ? { defaultBranch } : {}) });
  }

  /** Concludes one new check run per image at once, as failed; once per event delivery. */
  private async failChecks(ctx: Ctx, trigger: BuildTrigger, sha: string, { conclusion, output }: ReturnType<typeof configErrorOutput>): Promise<void> {
    for (const image of Object.keys(this.d.core.config.apps[ctx.ev.app]!.images)) {
      const key = this.k.check(`${buildJobId({ source: this.source(ctx, sha), image, trigger })}#config`, ctx.ev.delivery);
      if (await this.d.redis.exists(key)) continue;
      const run = await createCheckRun(ctx.octokit, ctx.where, { sha, name: checkName(image), externalId: externalId(image, trigger), output, completed: { conclusion } });
      await this.d.redis.set(key, `${run.id} ${run.url}`, 'EX', 86_400);
    }
  }

  private source(ctx: Ctx, sha: string): BuildJobData['source'] {
    const source: BuildJobData['source'] = { owner: ctx.ev.owner, repo: ctx.ev.repo, installationId: ctx.ev.installationId, sha };
    // only a push says when its commit was made; a re-run's release falls back to its build time
    if (ctx.ev.type === 'push' && ctx.ev.sha === sha && ctx.ev.changedAt) source.changedAt = ctx.ev.changedAt;
    return source;
  }

  /** Check runs first (queued, at once), then the build jobs. Idempotent per job id. */
  private async startBuilds(ctx: Ctx, trigger: BuildTrigger, sha: string, o: { rerun?: boolean; rc?: RepoConfig; images?: string[] }): Promise<string> {
    let rc = o.rc;
    if (!rc) {
      const r = await this.repoConfig(ctx, sha);
      if (!r.ok) return this.reportConfigError(ctx, trigger, sha, r.message);
      rc = r.rc;
    }
    if (trigger.kind === 'pr' && !rc.builds.pullRequests) return 'pr-builds-off';
    const refused = await this.refusals(ctx, trigger, sha, rc);
    if (refused.length) {
      ctx.log.info({ sha, tags: refused.map((r) => r.tag) }, 'image tags refused: check runs failed');
      await this.failChecks(ctx, trigger, sha, tagsRefusedOutput(refused, REPO_CONFIG_PATH));
      return 'tags-refused';
    }
    const cacheFrom: Record<string, string[]> = {};
    for (const image of Object.keys(this.d.core.config.apps[ctx.ev.app]!.images)) {
      const refs = await Promise.all(cacheBranches(trigger).map((b) => this.d.redis.get(this.k.lastImage(ctx.ev.app, image, b))));
      cacheFrom[image] = [...new Set(refs.filter((r): r is string => !!r))];
    }
    const plans = planBuilds({
      config: this.d.core.config,
      app: ctx.ev.app,
      rc,
      source: this.source(ctx, sha),
      trigger,
      delivery: ctx.ev.delivery,
      cacheFrom,
      ...(this.d.registryOverride ? { registryOverride: this.d.registryOverride } : {}),
    }).filter((p) => !o.images || o.images.includes(p.image));
    let queued = 0;
    for (const plan of plans) {
      const jobId = buildJobId(plan);
      const existing = await this.d.builds.getJob(jobId);
      if (existing && (LIVE.has(await existing.getState()) || !o.rerun)) continue;
      // per delivery: a retry of this event reuses its check run, a new request gets a new one
      const checkKey = this.k.check(jobId, ctx.ev.delivery);
      let check = await this.d.redis.get(checkKey);
      if (!check || check === CREATING) {
        // marked before it is created: an attempt that died in between left a queued run nothing
        // would ever conclude, which the retry takes over instead of adding a second one
        const name = checkName(plan.image);
        const ext = externalId(plan.image, trigger);
        const orphan = check === CREATING ? await this.queuedRun(ctx, sha, name, ext) : undefined;
        if (!check) await this.d.redis.set(checkKey, CREATING, 'EX', 86_400);
        const buildId = newBuildId();
        const detailsUrl = buildPageUrl(this.d.publicUrl, buildId);
        const run = orphan ?? (await createCheckRun(ctx.octokit, ctx.where, { sha, name, externalId: ext, output: queuedOutput(plan), ...(detailsUrl ? { detailsUrl } : {}) }));
        // the build id goes with the check run: a retry of this event links the same page
        check = `${run.id} ${run.url} ${buildId}`;
        await this.d.redis.set(checkKey, check, 'EX', 86_400);
      }
      const [id, url, buildId] = check.split(' ');
      const job = { ...plan, checkRunId: Number(id), ...(url ? { checkRunUrl: url } : {}), ...(buildId ? { buildId } : {}) };
      if (buildId && this.d.logs) await this.d.logs.queued(buildId, buildLogMeta(job)).catch((err: unknown) => ctx.log.warn({ err: String(err), build: buildId }, 'build page not created'));
      await this.d.builds.add(job, { rerun: !!o.rerun });
      // recorded only once it is queued: a newer head's event that read the record earlier would
      // have found no job, dropped the record, and left this build to run (the supersede test
      // caught that under load); read after the add, the head check below sees the newer head
      if (trigger.kind === 'pr') {
        const prKey = this.k.prBuilds(ctx.ev.owner, ctx.ev.repo, trigger.number);
        await this.d.redis.multi().sadd(prKey, jobId).expire(prKey, 30 * 86_400).exec();
      }
      queued++;
      ctx.log.info({ build: jobId, checkRun: Number(id) }, 'build queued');
    }
    // an event for a newer head may have run while these were queued, missing them: cancel them now
    // (an explicit re-run of an older head's check is left alone)
    if (trigger.kind === 'pr' && queued > 0 && (ctx.ev.type === 'pr' || ctx.ev.type === 'build-command')) {
      const head = await this.d.redis.get(this.k.prHead(ctx.ev.owner, ctx.ev.repo, trigger.number));
      if (head !== null && head !== sha) await this.cancelForHead(ctx, trigger.number, head);
    }
    return `queued ${queued}`;
  }

  /** Our newest queued check run of that name and external id on the commit, if any. */
  private async queuedRun(ctx: Ctx, sha: string, name: string, ext: string): Promise<{ id: number; url: string } | undefined> {
    const { data } = await ctx.octokit.rest.checks.listForRef({ ...ctx.where, ref: sha, check_name: name, app_id: this.d.appId, filter: 'all', per_page: 100 });
    const run = data.check_runs.filter((r) => r.external_id === ext && r.status === 'queued').sort((a, b) => b.id - a.id)[0];
    return run ? { id: run.id, url: run.html_url ?? run.url } : undefined;
  }

  /**
   * Records the pull request's head (or that it closed), then cancels builds of other heads.
   * Events of one pull request may run at once: the head is written before the builds are looked
   * up, and startBuilds reads it after adding its own, so one side always sees the other.
   */
  private async moveHead(ctx: Ctx, number: number, head: string): Promise<void> {
    await this.d.redis.set(this.k.prHead(ctx.ev.owner, ctx.ev.repo, number), head, 'EX', 30 * 86_400);
    await this.cancelForHead(ctx, number, head);
  }

  private cancelForHead(ctx: Ctx, number: number, head: string): Promise<void> {
    return head === CLOSED ? this.cancelPr(ctx, number, 'the pull request was closed') : this.cancelPr(ctx, number, `superseded by ${sha7(head)}`, head);
  }

  /** Cancels the pull request's builds of other commits (all of them when `keepSha` is absent). */
  private async cancelPr(ctx: Ctx, number: number, reason: string, keepSha?: string): Promise<void> {
    const prKey = this.k.prBuilds(ctx.ev.owner, ctx.ev.repo, number);
    for (const jobId of await this.d.redis.smembers(prKey)) {
      if (keepSha && jobId.includes(`@${keepSha}/`)) continue;
      const r = await this.d.builds.cancel(jobId, reason);
      // a build that had not started is reported here; a running one by the worker that stops it
      if (r.outcome === 'removed' && r.data) {
        await updateCheckRun(ctx.octokit, ctx.where, r.data.checkRunId, cancelledOutput(reason));
      }
      await this.d.redis.srem(prKey, jobId);
      ctx.log.info({ build: jobId, outcome: r.outcome, reason }, 'build cancelled');
    }
  }
}
