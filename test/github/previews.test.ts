import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuildJobData } from '../../src/images/build-queue.js';
import type { BuildSuccess } from '../../src/images/types.js';
import { bullConnection } from '../../src/store/redis.js';
import { redisUrl } from '../support/env.js';
import { DIGEST1, DIGEST2, expectedPreview, IMAGE1, IMAGE2, previewSeed, withPreviews } from '../previews/support.js';
import { commentPayload, prPayload } from './fake-github.js';
import { eventually, startGithubEnv, type GithubEnv } from './github-env.js';

/**
 * Preview environments through the GitHub face: real webhook payloads into gantry's HTTP server,
 * the GitHub API through recorded shapes (unused mocks fail), a real Redis and a real deploy repo.
 * Builds are not run here (test/github/build.test.ts runs them on dockerd): the tests enter at the
 * point the build reporter calls when a pull request's image was pushed, with the build job the
 * webhook queued (or one a hostile Redis user could add), and the image's digest.
 */
const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213';
const SHA2 = 'abcdef0123456789abcdef0123456789abcdef01';
const URL42 = 'https://web-pr-42.preview.example.com/';

const pushed = (digest: string, job: BuildJobData): BuildSuccess => ({
  ok: true,
  ref: `registry.example.com/acme/web:${job.version}@${digest}`,
  repository: 'registry.example.com/acme/web',
  tags: [job.version, `sha-${job.source.sha.slice(0, 7)}`],
  digest,
  sizeBytes: 2_400_000,
  imageId: `sha256:${'9'.repeat(64)}`,
  durationMs: 4100,
  logTail: '',
});

/** A build job of a pull request as the event worker writes it (for jobs no webhook queued here). */
const buildJob = (number: number, sha: string, checkRunId: number, fork = false): BuildJobData =>
  ({
    app: 'web',
    image: 'web',
    images: ['web'],
    source: { owner: 'acme', repo: 'web', installationId: 42, sha },
    trigger: { kind: 'pr', number, headRef: 'feature', baseRef: 'main', fork },
    version: `pr-${number}-${sha.slice(0, 7)}`,
    checkRunId,
    repository: 'registry.example.com/acme/web',
    tags: [`pr-${number}-${sha.slice(0, 7)}`],
    delivery: 'test',
  }) as BuildJobData;

describe('preview environments per pull request', () => {
  let env: GithubEnv;
  let seed: ReturnType<typeof previewSeed>;
  let previewQueue: Queue;
  afterEach(async () => {
    await previewQueue?.close();
    await env?.close();
    seed?.remove();
  });

  const start = async (name: string, more: Record<string, unknown> = {}) => {
    seed = previewSeed(name);
    env = await startGithubEnv({ name, github: 'events', seed: seed.dir, edit: withPreviews(more) });
    previewQueue = new Queue('preview', { connection: bullConnection(redisUrl()), prefix: env.h.prefix });
  };
  /** the preview job's end: its state and what it returned or why it failed */
  const settled = (id: string) =>
    eventually(
      async () => {
        // the state first, then the job: a job read before it ended has no return value yet
        const state = await previewQueue.getJobState(id);
        if (state !== 'completed' && state !== 'failed') return undefined;
        const job = (await previewQueue.getJob(id))!;
        return { state, value: job.returnvalue as string, failed: job.failedReason };
      },
      20_000,
      `preview job ${id}`,
    );
  const buildQueued = (sha: string) => eventually(async () => (await env.builds!.getJob(`acme/web@${sha}/web/pr-42`))?.data, 10_000, `build of ${sha}`);
  const previewFiles = async () => (await env.h.git('ls-tree', '-r', '--name-only', 'main', '--', 'previews')).split('\n').filter(Boolean);

  it('opened → built → labeled writes previews/web-pr-42 by digest and says so on the PR and the check run; synchronize updates the digest only; closed removes it', async () => {
    await start('gh-preview');
    env.gh.installationToken().repoConfig(SHA, undefined).checks().checkRunReads();
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 42, sha: SHA }));
    const job1 = await buildQueued(SHA);

    // built, but nobody asked for a preview yet (no label): nothing is written
    const start0 = await env.h.head();
    env.gh.pull(42, { sha: SHA, headRef: 'feature', fork: false, labels: [] });
    await env.previews!.built(job1, pushed(DIGEST1, job1));
    expect(await settled(`preview-build-acme-web-${job1.checkRunId}`)).toMatchObject({ state: 'completed', value: 'not-asked' });
    expect(await env.h.head()).toBe(start0);

    // the label asks for it: written from the image already built, by digest
    env.gh.pull(42, { sha: SHA, headRef: 'feature', fork: false, labels: ['bug', 'preview'] }).commentCreate(42);
    const labeled = await env.send('pull_request', prPayload(env.gh, { action: 'labeled', number: 42, sha: SHA, label: 'preview' }));
    expect(await settled(`preview-${labeled.delivery}-web`)).toMatchObject({ state: 'completed', value: 'written' });
    for (const [file, text] of expectedPreview()) expect(await env.h.file(`previews/web-pr-42/${file}`)).toBe(text);
    const written = await env.h.git('log', '-1', '--format=%B', 'main');
    expect(written).toContain(`Gantry-Action: preview\nGantry-Image: ${IMAGE1}\nGantry-Requested-By: github:octocat\nGantry-Reason: labeled\nGantry-Request: preview-${labeled.delivery}-web\n`);
    expect(written).toMatch(/^preview web pr-42-1a2b3c4 as pr-42\n\nGantry-App: web\nGantry-Environment: pr-42\nGantry-Version: pr-42-1a2b3c4\n/);
    const [commentId, bodies] = [...env.gh.comments][0]!;
    expect(bodies).toHaveLength(1);
    expect(bodies![0]).toContain(`**web** of this pull request: ${URL42}`);
    expect(bodies![0]).toContain(`Image \`${IMAGE1}\` (pr-42-1a2b3c4), written to \`previews/web-pr-42/\``);
    const run1 = env.gh.checkRuns.get(job1.checkRunId)!;
    expect(run1.output.summary).toMatch(new RegExp(`\\n\\n### Preview\\n\\*\\*web\\*\\* of this pull request: ${URL42.replaceAll('.', '\\.')}\\n`));

    // a new push: its build replaces the digest, nothing else changes, the same comment is edited
    env.gh.repoConfig(SHA2, undefined).pull(42, { sha: SHA2, headRef: 'feature', fork: false, labels: ['preview'] }).commentEdit();
    await env.send('pull_request', prPayload(env.gh, { action: 'synchronize', number: 42, sha: SHA2 }));
    const job2 = await buildQueued(SHA2);
    const before = await env.h.head();
    await env.previews!.built(job2, pushed(DIGEST2, job2));
    expect(await settled(`preview-build-acme-web-${job2.checkRunId}`)).toMatchObject({ state: 'completed', value: 'written' });
    const diff = await env.h.git('diff', '--unified=0', before, 'main');
    expect(diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual([`-        value: ${IMAGE1}`, `+        value: ${IMAGE2}`]);
    expect(await env.h.git('log', '-1', '--format=%B', 'main')).toContain('Gantry-Version: pr-42-abcdef0\nGantry-Action: preview\n');
    expect(env.gh.comments.size).toBe(1);
    expect(env.gh.comments.get(commentId)!.at(-1)).toContain(`Image \`${IMAGE2}\` (pr-42-abcdef0)`);
    expect(env.gh.checkRuns.get(job2.checkRunId)!.output.summary).toContain(`### Preview\n**web** of this pull request: ${URL42}`);

    // merged: the directory goes in one commit, the comment says so
    env.gh.pull(42, { sha: SHA2, headRef: 'feature', fork: false, labels: ['preview'], state: 'closed', merged: true }).commentEdit();
    const closed = await env.send('pull_request', prPayload(env.gh, { action: 'closed', number: 42, sha: SHA2 }));
    expect(await settled(`preview-${closed.delivery}-web`)).toMatchObject({ state: 'completed', value: 'removed' });
    expect(await previewFiles()).toEqual([]);
    expect(await env.h.git('log', '-1', '--format=%B', 'main')).toMatch(/^remove preview web pr-42 \(pull request merged\)\n\n[\s\S]*Gantry-Action: preview-remove\n/);
    expect(env.gh.comments.get(commentId)!.at(-1)).toContain('The preview of **web** was removed (pull request merged)');
    env.gh.assertDone();
  });

  it('unlabeled removes the preview; nothing is written for a fork until a writer says /gantry build', async () => {
    await start('gh-preview-fork');
    const run = env.gh.seedCheckRun(SHA, 'image built');
    env.gh.installationToken().checks({ creates: false }).checkRunReads();
    // a build job of a fork's head nobody allowed (as anyone with Redis access could add one)
    env.gh.pull(42, { sha: SHA, headRef: 'feature', fork: true, labels: ['preview'] });
    const start0 = await env.h.head();
    await env.previews!.built(buildJob(42, SHA, run, true), pushed(DIGEST1, buildJob(42, SHA, run, true)));
    expect(await settled(`preview-build-acme-web-${run}`)).toMatchObject({ state: 'completed', value: 'not-asked' });
    expect(await env.h.head()).toBe(start0);

    // a writer allows this head: the event worker builds it (queued here), and its image gets a preview
    env.gh.permission('maintainer', 'write').pull(42, { sha: SHA, headRef: 'feature', fork: true }).repoConfig(SHA, undefined).checks({ updates: false });
    await env.send('issue_comment', commentPayload(env.gh, { number: 42, login: 'maintainer', body: '/gantry build' }));
    const job = await buildQueued(SHA);
    env.gh.pull(42, { sha: SHA, headRef: 'feature', fork: true, labels: ['preview'] }).commentCreate(42);
    await env.previews!.built(job, pushed(DIGEST1, job));
    expect(await settled(`preview-build-acme-web-${job.checkRunId}`)).toMatchObject({ state: 'completed', value: 'written' });
    expect(await previewFiles()).toHaveLength(3);

    // the label comes off: the preview goes
    env.gh.pull(42, { sha: SHA, headRef: 'feature', fork: true, labels: [] }).commentEdit();
    const unlabeled = await env.send('pull_request', prPayload(env.gh, { action: 'unlabeled', number: 42, sha: SHA, fork: true, label: 'preview' }));
    expect(await settled(`preview-${unlabeled.delivery}-web`)).toMatchObject({ state: 'completed', value: 'removed' });
    expect(await previewFiles()).toEqual([]);
    expect(await env.h.git('log', '-1', '--format=%B', 'main')).toContain('Gantry-Reason: no label preview\n');
    env.gh.assertDone();
  });

  it('a preview job is hostile input: one naming another repository, image or app is refused before GitHub is asked', async () => {
    await start('gh-preview-forged');
    const head = await env.h.head();
    const good = { kind: 'write', app: 'web', owner: 'acme', repo: 'web', installationId: 42, number: 42, sha: SHA, image: IMAGE1, version: 'pr-42-1a2b3c4', cause: 'built' };
    const forged: [string, Record<string, unknown>, string][] = [
      ['other-image', { ...good, image: `registry.example.com/evil/web@${DIGEST1}` }, "image is not web's repository by digest"],
      ['by-tag', { ...good, image: 'registry.example.com/acme/web:pr-42-1a2b3c4' }, "image is not web's repository by digest"],
      ['other-repo', { ...good, owner: 'evil' }, "repository is not the app's source"],
      ['proto-app', { ...good, app: '__proto__' }, 'app __proto__ has no previews'],
      ['yaml-version', { ...good, version: 'pr-42-1a2b3c4\nkind: Secret' }, 'commit or version malformed'],
    ];
    for (const [id, data] of forged) await previewQueue.add('write', data, { jobId: id });
    for (const [id, , why] of forged) expect(await settled(id)).toMatchObject({ state: 'failed', failed: `INPUT_INVALID: preview job: ${why}` });
    expect(await env.h.head()).toBe(head);
    env.gh.assertDone();
  });

  it('on: every writes previews for pull requests of users with write access only', async () => {
    await start('gh-preview-every', { on: 'every' });
    env.gh.installationToken().checks({ creates: false }).checkRunReads();
    const run = env.gh.seedCheckRun(SHA, 'image built');
    env.gh.pull(42, { sha: SHA, headRef: 'feature', fork: false, user: 'drive-by' }).permission('drive-by', 'read');
    const head = await env.h.head();
    await env.previews!.built(buildJob(42, SHA, run), pushed(DIGEST1, buildJob(42, SHA, run)));
    expect(await settled(`preview-build-acme-web-${run}`)).toMatchObject({ value: 'not-asked' });
    expect(await env.h.head()).toBe(head);
    const run2 = env.gh.seedCheckRun(SHA, 'image built');
    env.gh.pull(42, { sha: SHA, headRef: 'feature', fork: false, user: 'alice' }).permission('alice', 'write').commentCreate(42);
    await env.previews!.built(buildJob(42, SHA, run2), pushed(DIGEST1, buildJob(42, SHA, run2)));
    expect(await settled(`preview-build-acme-web-${run2}`)).toMatchObject({ value: 'written' });
    expect(await env.h.git('log', '-1', '--format=%B', 'main')).toContain('Gantry-Requested-By: github:alice\n');
    env.gh.assertDone();
  });

  it('past the limit a new preview is refused on the pull request and its check run; nothing is written', async () => {
    await start('gh-preview-limit', { limit: 1, on: 'branches', branches: ['feature/*', 'feature'] });
    env.gh.installationToken().checks({ creates: false }).checkRunReads();
    const run42 = env.gh.seedCheckRun(SHA, 'image built');
    const run43 = env.gh.seedCheckRun(SHA2, 'image built');
    env.gh.pull(42, { sha: SHA, headRef: 'feature', fork: false }).commentCreate(42);
    await env.previews!.built(buildJob(42, SHA, run42), pushed(DIGEST1, buildJob(42, SHA, run42)));
    expect(await settled(`preview-build-acme-web-${run42}`)).toMatchObject({ value: 'written' });
    const head = await env.h.head();

    env.gh.pull(43, { sha: SHA2, headRef: 'feature/login', fork: false }).commentCreate(43);
    await env.previews!.built(buildJob(43, SHA2, run43), pushed(DIGEST2, buildJob(43, SHA2, run43)));
    const refused = await settled(`preview-build-acme-web-${run43}`);
    expect(refused).toMatchObject({ state: 'failed', failed: 'DEPLOY_REFUSED: app web already has 1 previews (limit 1: #42); close one of them or raise apps.web.previews.limit' });
    expect(await env.h.head()).toBe(head);
    const said = [...env.gh.comments.values()].map((b) => b.at(-1)!);
    expect(said[1]).toContain('No preview of **web** was written: app web already has 1 previews (limit 1: #42)');
    expect(env.gh.checkRuns.get(run43)!.output.summary).toBe('image built\n\n### Preview\nNo preview of **web** was written: app web already has 1 previews (limit 1: #42); close one of them or raise apps.web.previews.limit');
    env.gh.assertDone();
  });
});
