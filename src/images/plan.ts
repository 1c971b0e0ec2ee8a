import { releaseOwnedReason } from './release-tags.js';
import type { Config } from '../config/schema.js';
import { parseDuration } from '../domain/duration.js';
import { globMatch } from '../domain/glob.js';
import type { Release } from '../domain/release.js';
import type { BuildJobData, BuildTrigger, JobBuildArg } from './build-queue.js';
import type { RepoConfig } from './repo-config.js';

/** Pure: what to build for a trigger, named and tagged. No I/O here. */

export function sha7(sha: string): string {
  return sha.slice(0, 7);
}

/** A branch or tag name as a valid image tag component: `feature/Login_2` → `feature-login_2`. */
export function sanitizeTag(name: string, max = 119): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, max)
    .replace(/[.-]+$/, '');
  return s || 'ref';
}

/** The release version: the git tag, `<branch>-<sha7>`, or `pr-<n>-<sha7>` (never promotable). */
export function versionOf(trigger: BuildTrigger, sha: string): string {
  if (trigger.kind === 'tag') return trigger.name;
  if (trigger.kind === 'branch') return `${sanitizeTag(trigger.name)}-${sha7(sha)}`;
  return `pr-${trigger.number}-${sha7(sha)}`;
}

/**
 * Image tags: `pr-<n>-<sha7>`, `<branch>-<sha7>` or the git tag, then `sha-<sha7>` and the repo's
 * extra tags. Fork pull requests get only their `pr-<n>-<sha7>` tag: a fork can choose a commit
 * whose short SHA collides with another one, so it must not write the shared `sha-*` namespace.
 */
export function imageTags(trigger: BuildTrigger, sha: string, rc: RepoConfig): string[] {
  if (trigger.kind === 'pr') return trigger.fork ? [`pr-${trigger.number}-${sha7(sha)}`] : [`pr-${trigger.number}-${sha7(sha)}`, `sha-${sha7(sha)}`];
  const first = trigger.kind === 'tag' ? sanitizeTag(trigger.name, 128) : `${sanitizeTag(trigger.name)}-${sha7(sha)}`;
  return [...new Set([first, `sha-${sha7(sha)}`, ...extraTagsFor(trigger, rc)])];
}

/** The repo's `extraTags` whose rules match a push (never a pull request). */
export function extraTagsFor(trigger: BuildTrigger, rc: RepoConfig): string[] {
  if (trigger.kind === 'pr') return [];
  return rc.extraTags.filter((r) => (trigger.kind === 'tag' ? r.tags : r.branches).some((p) => globMatch(p, trigger.name))).map((r) => r.tag);
}

/** `latest` moves, but only forward along releases: from tag builds and from the default branch. */
export const LATEST = 'latest';

/** Whether deciding the refusals needs the repo's default branch (one API call, only then). */
export function needsDefaultBranch(trigger: BuildTrigger, rc: RepoConfig): boolean {
  return trigger.kind === 'branch' && extraTagsFor(trigger, rc).includes(LATEST);
}

export interface TagRefusal {
  tag: string;
  /** says why, after the tag: "`v1.2.3` looks like a release version: …" */
  reason: string;
}

/**
 * The tags this build may not write (none: it may build). Release tags never move
 * (src/images/release-tags.ts): an `extraTags` rule must not write a tag that looks like a release
 * version, a commit tag or another build's version tag, whichever ref it matches (a tag build
 * owns only its own tag, which is never an extra); `latest` comes only from tag builds and the
 * default branch; and no tag a built release uses may be written by a build of another commit
 * (a git tag deleted and pushed again on another commit cannot take over its release's image).
 */
export function refusedTags(trigger: BuildTrigger, sha: string, rc: RepoConfig, o: { releases: Release[]; defaultBranch?: string }): TagRefusal[] {
  const out: TagRefusal[] = [];
  const ref = trigger.kind === 'pr' ? `pull request #${trigger.number}` : `${trigger.kind} ${trigger.name}`;
  const own = imageTags(trigger, sha, rc)[0];
  for (const tag of new Set(extraTagsFor(trigger, rc))) {
    const why = tag === own ? undefined : releaseOwnedReason(tag);
    if (why) out.push({ tag, reason: `${why}: such a tag belongs to one release and never moves, so no extraTags rule may write it (${ref})` });
    else if (tag === LATEST && trigger.kind === 'branch' && trigger.name !== o.defaultBranch) {
      out.push({ tag, reason: `moves only with tag builds and the default branch${o.defaultBranch ? ` (${o.defaultBranch})` : ''}, not with ${ref}` });
    }
  }
  const users = new Map<string, Release>();
  for (const r of o.releases) for (const image of Object.values(r.images)) if (r.commit !== sha) users.set(image.tag, r);
  for (const tag of imageTags(trigger, sha, rc)) {
    const r = users.get(tag);
    if (r && !out.some((x) => x.tag === tag)) out.push({ tag, reason: `is the image tag of release ${r.version}${r.commit ? ` (commit ${sha7(r.commit)})` : ''}; a build of ${sha7(sha)} cannot take it over` });
  }
  return out;
}

/** Whether a push builds: the repo's patterns, or by default `v*` tags and the branches some environment auto-deploys. */
export function pushBuilds(kind: 'branch' | 'tag', name: string, rc: RepoConfig, config: Config): boolean {
  if (kind === 'tag') return rc.builds.tags.some((p) => globMatch(p, name));
  const patterns =
    rc.builds.branches ??
    [...Object.values(config.environments).map((e) => e.autoDeploy?.branches ?? []), ...Object.values(rc.autoDeploy).map((r) => r.branches)].flat();
  return patterns.some((p) => globMatch(p, name));
}

/** Build args as the job carries them: fork builds drop every secret and environment-sourced arg. */
export function jobArgs(args: RepoConfig['images'][string]['args'], fork: boolean): Record<string, JobBuildArg> {
  const out: Record<string, JobBuildArg> = {};
  for (const [name, a] of Object.entries(args)) {
    if (typeof a !== 'object') {
      out[name] = { value: String(a) };
      continue;
    }
    const secret = a.secret ?? a.env !== undefined;
    if (fork && secret) continue;
    out[name] = a.env !== undefined ? { env: a.env } : { value: String(a.value) };
  }
  return out;
}

export interface BuildPlanInput {
  config: Config;
  app: string;
  rc: RepoConfig;
  source: BuildJobData['source'];
  trigger: BuildTrigger;
  delivery: string;
  registryOverride?: string;
  /** previous images per image name, used as build cache */
  cacheFrom?: Record<string, string[]>;
}

/** One job (without its check run) per image of the app. */
export function planBuilds(p: BuildPlanInput): Omit<BuildJobData, 'checkRunId' | 'checkRunUrl'>[] {
  const appCfg = p.config.apps[p.app]!;
  const images = Object.keys(appCfg.images);
  const { sha } = p.source;
  const version = versionOf(p.trigger, sha);
  const tags = imageTags(p.trigger, sha, p.rc);
  const fork = p.trigger.kind === 'pr' && p.trigger.fork;
  return images.map((image) => {
    const central = appCfg.images[image]!;
    const own = p.rc.images[image];
    const test = p.rc.test;
    return {
      app: p.app,
      image,
      images,
      source: p.source,
      trigger: p.trigger,
      version,
      repository: registryRepository(central.repository, p.registryOverride),
      tags,
      dockerfile: own?.dockerfile ?? central.dockerfile ?? 'Dockerfile',
      context: own?.context ?? central.context ?? '.',
      ...(own?.target ? { target: own.target } : {}),
      args: jobArgs(own?.args ?? {}, fork),
      labels: {
        'org.opencontainers.image.source': `https://github.com/${p.source.owner}/${p.source.repo}`,
        'org.opencontainers.image.revision': sha,
        'org.opencontainers.image.version': version,
      },
      cacheFrom: p.cacheFrom?.[image] ?? [],
      ...(test ? { test: { command: test.command, timeoutMs: parseDuration(test.timeout), env: test.env } } : {}),
      autoDeploy: p.trigger.kind === 'pr' ? {} : p.rc.autoDeploy,
      delivery: p.delivery,
    };
  });
}

/** `registry.example.com/acme/web` with GANTRY_REGISTRY=127.0.0.1:5000 → `127.0.0.1:5000/acme/web`. */
export function registryRepository(configured: string, override?: string): string {
  if (!override) return configured;
  const parts = configured.split('/');
  const first = parts[0]!;
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  return [override, ...(hasHost ? parts.slice(1) : parts)].join('/');
}

/** The branch whose last image seeds the build cache. */
export function cacheBranches(trigger: BuildTrigger): string[] {
  if (trigger.kind === 'branch') return [trigger.name];
  if (trigger.kind === 'pr') return trigger.fork ? [trigger.baseRef] : [trigger.headRef, trigger.baseRef];
  return ['@tags'];
}
