import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../src/images/builder.js';
import { busyboxContext, dockerClient, dockerServices, fetchManifest, type TestDockerServices } from '../support/docker.js';
import { API, pushPayload } from './fake-github.js';
import { eventually, startGithubEnv, type GithubEnv } from './github-env.js';

/**
 * Release tags never move, end to end: webhook → planning → real dockerd → real registry. A
 * refusal fails the check run with the reason and leaves the registry as it was.
 */
const NAME = 'gantry / build (web)';
const FEATURE_SHA = '4444444444444444444444444444444444444444';
const TAG_SHA = '7777777777777777777777777777777777777777';

let services: TestDockerServices;
let docker: Docker;
beforeAll(async () => {
  services = await dockerServices();
  docker = dockerClient(services.dockerHost);
}, 120_000);
afterAll(async () => services?.stop());

const tagsOf = async (registry: string) => {
  const res = await fetch(`http://${registry}/v2/acme/web/tags/list`);
  return res.status === 200 ? (((await res.json()) as { tags: string[] | null }).tags ?? []) : [];
};

describe('release tags in a real registry', () => {
  let env: GithubEnv;
  afterEach(async () => env?.close());
  const start = (name: string) => startGithubEnv({ name, github: 'all', docker, env: { GANTRY_REGISTRY: services.registry } });
  const completed = () => eventually(() => (env.gh.run(NAME)?.status === 'completed' ? env.gh.run(NAME) : undefined), 90_000, 'the check run to complete');

  it('a feature branch whose .github/gantry.yml sets extraTags v1.2.3 and latest is refused at planning: failed check run, nothing built or pushed', async () => {
    env = await start('gh-tags-refused');
    const cfg = ['builds: { branches: ["*"] }', 'extraTags:', '  - { tag: v1.2.3, branches: ["*"] }', '  - { tag: latest, branches: ["*"] }', ''].join('\n');
    // the default branch is asked for only because a branch build wants `latest`
    nock(API).get('/repos/acme/web').reply(200, { id: 1296269, name: 'web', full_name: 'acme/web', private: false, default_branch: 'main' });
    env.gh.installationToken().repoConfig(FEATURE_SHA, cfg).checks({ updates: false });
    const before = await tagsOf(services.registry);
    await env.send('push', pushPayload(env.gh, { ref: 'refs/heads/feature-login', sha: FEATURE_SHA }));
    const run = await completed();
    expect(run.conclusion).toBe('failure');
    expect(run.history).toHaveLength(1); // concluded as it was created: never queued for a build
    expect(run.output.title).toBe('image tag v1.2.3 refused');
    expect(run.output.summary).toContain('- `v1.2.3` looks like a release version: such a tag belongs to one release and never moves, so no extraTags rule may write it (branch feature-login)');
    expect(run.output.summary).toContain('- `latest` moves only with tag builds and the default branch (main), not with branch feature-login');
    expect(run.output.summary).toContain('Nothing was built or pushed');
    expect(await env.builds!.queue.getJobCounts('waiting', 'active', 'completed', 'failed')).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0 });
    expect(await tagsOf(services.registry)).toEqual(before);
    env.gh.assertDone();
  });

  it('a tag build whose tag already names another image in the registry fails with both digests; the registry still serves the old one', async () => {
    env = await start('gh-tags-immutable');
    // an earlier v7.7.7, pushed by something else: other content (a random greeting)
    const repository = `${services.registry}/acme/web`;
    const source = await busyboxContext('hello');
    const old = await buildImage(docker, { source: () => Promise.resolve(Readable.from([source])), repository, tags: ['v7.7.7'], buildArgs: { GREETING: randomBytes(4).toString('hex') }, timeoutMs: 120_000 });
    if (!old.ok) throw new Error(old.message);
    const before = await tagsOf(services.registry);
    env.gh.installationToken().repoConfig(TAG_SHA, undefined).checks().tarball(TAG_SHA, await busyboxContext('hello'));
    await env.send('push', pushPayload(env.gh, { ref: 'refs/tags/v7.7.7', sha: TAG_SHA }));
    const run = await completed();
    expect(run.conclusion).toBe('failure');
    expect(run.output.title).toMatch(/^push refused: release tag .*acme\/web:v7\.7\.7 already exists/);
    expect(run.output.summary).toContain('### Push refused: release tags never move');
    expect(run.output.summary).toContain(`release tag ${repository}:v7.7.7 already exists with digest ${old.digest} (image ${old.imageId}); this build made image sha256:`);
    expect((await fetchManifest(services.registry, 'acme/web', 'v7.7.7')).digestHeader).toBe(old.digest);
    // nothing of this build was pushed: not its commit tag either
    expect(await tagsOf(services.registry)).toEqual(before);
    expect(before).not.toContain('sha-7777777');
    expect(await env.h.gantry.core.releases.get('web', 'v7.7.7')).toBeUndefined();
    env.gh.assertDone();
  });
});
