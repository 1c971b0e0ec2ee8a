import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Previews } from '../config/preview-schema.js';
import { parseDuration } from '../domain/duration.js';
import { GantryError } from '../domain/errors.js';
import type { GitRepo } from '../gitops/git.js';
import type { BranchLock, HeadHint } from '../store/branch-lock.js';
import type { Logger } from '../util/logger.js';
import { previewMessage } from './commit-message.js';
import { listPreviews, previewsOf, previewUrl, type PreviewEntry } from './list.js';
import { previewPlace } from './paths.js';
import { previewValues, renderTemplate } from './template.js';

/** One change to one preview: written from the template with an image, or removed. */
export type PreviewChange = {
  app: string;
  pr: number;
  requestedBy: string;
  /** the request id: its commit carries it, so a job run twice writes once */
  request: string;
  reason?: string;
  /** the job may have run before (a retry, or its process died): look for its commit first */
  maybeDone?: boolean;
} & ({ kind: 'write'; image: string; version: string } | { kind: 'remove' });

export type { PreviewEntry } from './list.js';

export type PreviewOutcome = { outcome: 'written' | 'removed' | 'unchanged' | 'replayed'; dir: string; url?: string; commit?: string };

export interface PreviewWriterDeps {
  config: Config;
  repo: GitRepo;
  lock: BranchLock;
  headHint?: HeadHint;
  log: Logger;
  now?: () => Date;
}

/**
 * Writes previews into the deploy repo, one commit per change, under the same branch lock and with
 * the same push, rebase and retry as every deployment (src/gitops/deployer.ts): the whole change is
 * computed again against the branch after each rejected push.
 */
export class PreviewWriter {
  constructor(private readonly d: PreviewWriterDeps) {}

  /** The app's previews config; an app without one (or unknown) gets no preview. */
  settings(app: string): Previews {
    return previewsOf(this.d.config, app);
  }

  urlOf(app: string, pr: number): string {
    return previewUrl(this.settings(app), app, pr);
  }

  async apply(c: PreviewChange): Promise<PreviewOutcome> {
    const p = this.settings(c.app);
    const dir = previewPlace(c.app, p).dirOf(c.pr);
    return this.d.lock.with(async () => {
      const { repo } = this.d;
      await repo.ensure();
      if (c.maybeDone) {
        await repo.refresh();
        const done = await this.findRequest(c.request);
        if (done) return { outcome: 'replayed', dir, commit: done, ...(c.kind === 'write' ? { url: this.urlOf(c.app, c.pr) } : {}) };
      } else {
        const hint = await this.d.headHint?.get();
        if (hint && hint !== (await repo.knownHead())) await repo.refresh();
      }
      const message = previewMessage({
        action: c.kind === 'write' ? 'preview' : 'preview-remove',
        app: c.app,
        pr: c.pr,
        ...(c.kind === 'write' ? { version: c.version, image: c.image } : {}),
        requestedBy: c.requestedBy,
        ...(c.reason ? { reason: c.reason } : {}),
        request: c.request,
      });
      for (let attempt = 0; ; attempt++) {
        const files = c.kind === 'write' ? await this.render(c, p, dir) : undefined;
        const pushed = await repo.replaceDirAndPush(dir, files, message);
        const url = c.kind === 'write' ? { url: this.urlOf(c.app, c.pr) } : {};
        if (pushed === 'unchanged') return { outcome: 'unchanged', dir, ...url };
        if (pushed !== 'rejected') {
          await this.d.headHint?.set(pushed.sha);
          return { outcome: c.kind === 'write' ? 'written' : 'removed', dir, commit: pushed.sha, ...url };
        }
        if (attempt >= this.d.config.deployRepo.pushRetries) {
          throw new GantryError('DEPLOY_CONFLICT', `the deploy repo kept moving: ${attempt + 1} pushes of preview ${dir} were rejected`);
        }
        this.d.log.info({ request: c.request, attempt }, 'deploy repo moved; writing the preview again');
        await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random())));
        await repo.refresh();
      }
    });
  }

  /** The preview's files from the template as the branch has it now; refuses a new one past the app's limit. */
  private async render(c: Extract<PreviewChange, { kind: 'write' }>, p: Previews, dir: string): Promise<{ path: string; content: string }[]> {
    const open = await this.list(c.app, 'HEAD');
    if (!open.some((e) => e.pr === c.pr) && open.length >= p.limit) {
      const prs = open.map((e) => `#${e.pr}`).join(', ');
      const why = `app ${c.app} already has ${open.length} previews (limit ${p.limit}: ${prs})`;
      throw new GantryError('DEPLOY_REFUSED', `${why}; close one of them or raise apps.${c.app}.previews.limit`);
    }
    const template = (await this.d.repo.filesUnder(p.template)).map((f) => ({ ...f, path: path.posix.relative(p.template, f.path) }));
    if (template.length === 0) throw new GantryError('MANIFEST_INVALID', `${p.template}: the preview template of ${c.app} has no files on the deploy branch`);
    const values = previewValues({ app: c.app, pr: c.pr, hostPattern: p.host, image: c.image });
    return renderTemplate(template, values).map((f) => ({ path: `${dir}/${f.path}`, content: f.content }));
  }

  /** The app's previews on the deploy branch at `rev` (src/previews/list.ts). */
  list(app: string, rev: string): Promise<PreviewEntry[]> {
    return listPreviews(this.d, app, rev);
  }

  /** Previews of every app not updated within their app's ttl, as the branch has them. */
  async expired(): Promise<PreviewEntry[]> {
    // the tracking ref only: the working clone may be in the middle of a deploy of this process
    await this.d.repo.fetchIfOlder(0);
    const now = (this.d.now?.() ?? new Date()).getTime();
    const out: PreviewEntry[] = [];
    for (const [app, cfg] of Object.entries(this.d.config.apps)) {
      if (!cfg.previews) continue;
      const ttl = parseDuration(cfg.previews.ttl);
      for (const e of await this.list(app, this.d.repo.tracking)) if (now - Date.parse(e.updatedAt) > ttl) out.push(e);
    }
    return out;
  }

  /** Removes every preview past its ttl, one commit each; a commit names the update it expired after (replay-safe). */
  async sweep(): Promise<PreviewOutcome[]> {
    const done: PreviewOutcome[] = [];
    for (const e of await this.expired()) {
      const request = `preview-ttl-${e.app}-${e.pr}-${Date.parse(e.updatedAt)}`;
      const reason = `not updated since ${e.updatedAt} (ttl ${this.settings(e.app).ttl})`;
      done.push(await this.apply({ kind: 'remove', app: e.app, pr: e.pr, requestedBy: 'gantry:ttl', request, reason, maybeDone: true }));
      this.d.log.info({ app: e.app, pr: e.pr, dir: e.dir }, 'expired preview removed');
    }
    return done;
  }

  private async findRequest(id: string): Promise<string | undefined> {
    const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const [e] = await this.d.repo.log({ grep: [`^Gantry-Request: ${escaped}$`], max: 1 });
    return e?.sha;
  }
}
