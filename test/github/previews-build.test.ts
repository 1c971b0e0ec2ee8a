import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { busyboxContext, dockerClient, dockerServices, type TestDockerServices } from '../support/docker.js';
import { expectedPreview, IMAGE1, previewSeed, withPreviews } from '../previews/support.js';
import { prPayload } from './fake-github.js';
import { eventually, startGithubEnv, type GithubEnv } from './github-env.js';

/**
 * The whole way on the real parts: pull_request.opened (recorded payload, signed) → check run →
 * real dockerd build → real registry push → the build reporter hands the pushed digest to the
 * preview worker → previews/web-pr-42 in the real deploy repo, the comment and the check run.
 */
// a commit of its own each run: the registry is shared, and release tags (sha-<sha7>) never move
const SHA = randomBytes(20).toString('hex');
const NAME = 'gantry / build (web)';

let services: TestDockerServices;
let docker: Docker;
beforeAll(async () => {
  services = await dockerServices();
  docker = dockerClient(services.dockerHost);
}, 120_000);
afterAll(async () => services?.stop());

describe('a built pull request gets its preview', () => {
  let env: GithubEnv;
  let seed: ReturnType<typeof previewSeed>;
  afterEach(async () => {
    await env?.close();
    seed?.remove();
  });

  it('opened with the label → image built and pushed → preview written by the pushed digest, said on the PR and the check run', async () => {
    seed = previewSeed('gh-preview-build');
    env = await startGithubEnv({ name: 'gh-preview-build', github: 'all', docker, seed: seed.dir, edit: withPreviews(), env: { GANTRY_REGISTRY: services.registry } });
    env.gh
      .installationToken()
      .repoConfig(SHA, undefined)
      .checks()
      .checkRunReads()
      .tarball(SHA, await busyboxContext('hello', { top: `acme-web-${SHA.slice(0, 7)}` }))
      .pull(42, { sha: SHA, headRef: 'feature', fork: false, labels: ['preview'] })
      .commentCreate(42);
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 42, sha: SHA }));
    const done = await eventually(() => (env.gh.run(NAME, SHA)?.status === 'completed' ? env.gh.run(NAME, SHA) : undefined), 90_000, 'build to complete');
    expect(done.conclusion, done.output.summary).toBe('success');
    const digest = /`(sha256:[0-9a-f]{64})`/.exec(done.output.summary!)![1]!;
    const image = `${services.registry}/acme/web@${digest}`;

    await eventually(async () => (await env.h.git('ls-tree', '--name-only', 'main', 'previews/')).includes('web-pr-42'), 20_000, 'the preview commit');
    for (const [file, text] of expectedPreview()) expect(await env.h.file(`previews/web-pr-42/${file}`)).toBe(text.replaceAll(IMAGE1, image));
    const message = await env.h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain(`Gantry-Version: pr-42-${SHA.slice(0, 7)}\nGantry-Action: preview\nGantry-Image: ${image}\n`);
    expect(message).toContain('Gantry-Reason: built\n');
    await eventually(() => env.gh.run(NAME, SHA)!.output.summary!.includes('### Preview'), 10_000, 'the check run section');
    expect(env.gh.run(NAME, SHA)!.output.summary).toContain(`### Preview\n**web** of this pull request: https://web-pr-42.preview.example.com/\n\nImage \`${image}\``);
    expect([...env.gh.comments.values()][0]![0]).toContain('https://web-pr-42.preview.example.com/');
    env.gh.assertDone();
  });
});
