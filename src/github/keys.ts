import type { Keys } from '../store/redis.js';

/** The Redis keys of the GitHub face, in one place. */
export class GhKeys {
  constructor(private readonly keys: Keys) {}

  /** the check run (`<id> <url>`) created for a build job by one delivery */
  check(jobId: string, delivery: string): string {
    return this.keys.k('gh', 'check', jobId, delivery);
  }

  /** build jobs of one pull request, to cancel on a new head or on close */
  prBuilds(owner: string, repo: string, number: number): string {
    return this.keys.k('gh', 'pr-builds', `${owner}/${repo}`, String(number));
  }

  /** the head a pull request was last seen at (`closed` once closed): builds of other heads are superseded */
  prHead(owner: string, repo: string, number: number): string {
    return this.keys.k('gh', 'pr-head', `${owner}/${repo}`, String(number));
  }

  /** head SHAs of a fork pull request that a user with write access allowed to build */
  forkAllowed(owner: string, repo: string, number: number): string {
    return this.keys.k('gh', 'fork-allowed', `${owner}/${repo}`, String(number));
  }

  /** the last image built for an app image on a branch (`@tags` for tags): the next build's cache */
  lastImage(app: string, image: string, branch: string): string {
    return this.keys.k('gh', 'last-image', app, image, branch);
  }

  /** images of a release built so far (a release needs every image of the app) */
  releaseParts(app: string, version: string, sha: string): string {
    return this.keys.k('gh', 'release-parts', app, version, sha);
  }

  /** set once the build-succeeded or build-failed event of a check run went out */
  buildAnnounced(owner: string, repo: string, checkRunId: number): string {
    return this.keys.k('gh', 'build-announced', `${owner}/${repo}`, String(checkRunId));
  }

  /** set once the release-built event of a release went out */
  releaseAnnounced(app: string, version: string, sha: string): string {
    return this.keys.k('gh', 'release-announced', app, version, sha);
  }

  /** the newest image built for an app's preview of a pull request (JSON: sha, image, version, checkRunId) */
  previewImage(owner: string, repo: string, number: number, app: string): string {
    return this.keys.k('gh', 'preview-image', `${owner}/${repo}`, String(number), app);
  }

  /** the id of the pull-request comment that tells an app's preview (one comment, edited) */
  previewComment(owner: string, repo: string, number: number, app: string): string {
    return this.keys.k('gh', 'preview-comment', `${owner}/${repo}`, String(number), app);
  }
}
