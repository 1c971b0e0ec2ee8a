import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuildImageFn } from '../../src/images/worker.js';
import type { BuildResult, BuildSpec } from '../../src/images/types.js';
import { prPayload } from './fake-github.js';
import { eventually, startGithubEnv, type GithubEnv } from './github-env.js';

/**
 * Retry policy of the build worker, with a scripted engine (the real one cannot be made to fail
 * on cue): infrastructure faults are retried with backoff, build failures never are.
 */
const SHA = '2222222222222222222222222222222222222222';
const DIGEST = `sha256:${'c'.repeat(64)}`;
const TARBALL = Buffer.from('not really a tarball: the scripted engine only reads it');

function scripted(results: BuildResult[]): { fn: BuildImageFn; specs: BuildSpec[]; sources: Buffer[] } {
  const specs: BuildSpec[] = [];
  const sources: Buffer[] = [];
  const fn: BuildImageFn = async (_docker, spec) => {
    specs.push(spec);
    sources.push(await buffer(spec.source as Readable));
    return results[specs.length - 1]!;
  };
  return { fn, specs, sources };
}

const infra: BuildResult = { ok: false, stage: 'infrastructure', message: 'connect ECONNREFUSED /run/docker.sock', durationMs: 3, logTail: '' };
const broken: BuildResult = { ok: false, stage: 'build', message: 'exit code 2', failedStep: { step: 2, instruction: 'RUN make', dockerfileLine: 3, output: 'make: no rule' }, durationMs: 3, logTail: 'make: no rule' };
const fine: BuildResult = { ok: true, ref: `r/acme/web:pr-5-2222222@${DIGEST}`, repository: 'r/acme/web', tags: ['pr-5-2222222', 'sha-2222222'], digest: DIGEST, sizeBytes: 10, imageId: 'sha256:i', durationMs: 5, logTail: 'done' };

describe('build retries', () => {
  let env: GithubEnv;
  afterEach(async () => env?.close());

  const start = (name: string, fn: BuildImageFn) =>
    startGithubEnv({ name, github: 'all', docker: {} as Docker, env: { GANTRY_BUILD_ARG_NPM_TOKEN: 'npm_s3cr3t' }, worker: { buildImage: fn } });

  it('retries an infrastructure fault with backoff, then reports the build', async () => {
    const engine = scripted([infra, fine]);
    env = await start('gh-retry', engine.fn);
    env.gh
      .installationToken()
      .repoConfig(SHA, 'images:\n  web:\n    args: { TOKEN: { env: GANTRY_BUILD_ARG_NPM_TOKEN }, MODE: fast }\n')
      .checks()
      .tarball(SHA, TARBALL)
      .tarball(SHA, TARBALL);
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 5, sha: SHA }));
    const run = await eventually(() => (env.gh.run('gantry / build (web)')?.status === 'completed' ? env.gh.run('gantry / build (web)') : undefined), 20_000, 'build');
    expect(run.conclusion).toBe('success');
    expect(run.history.map((b) => b.output?.title)).toContain('attempt 1 failed, retrying');
    expect(engine.specs).toHaveLength(2);
    expect(engine.sources.every((s) => s.equals(TARBALL))).toBe(true);
    // the secret reaches the engine but never the job payload
    expect(engine.specs[1]!.buildArgs).toEqual({ TOKEN: 'npm_s3cr3t', MODE: 'fast' });
    // the check run completes just before the job does
    await eventually(async () => (await (await env.builds!.getJob(`acme/web@${SHA}/web/pr-5`))?.getState()) === 'completed', 5000, 'job completed');
    const job = (await env.builds!.getJob(`acme/web@${SHA}/web/pr-5`))!;
    expect(JSON.stringify(job.data)).not.toContain('npm_s3cr3t');
    expect(job.attemptsMade).toBe(2);
    env.gh.assertDone();
  });

  it('never retries a failed Dockerfile step', async () => {
    const engine = scripted([broken, fine]);
    env = await start('gh-noretry', engine.fn);
    env.gh.installationToken().repoConfig(SHA, undefined).checks().tarball(SHA, TARBALL);
    await env.send('pull_request', prPayload(env.gh, { action: 'opened', number: 5, sha: SHA }));
    const run = await eventually(() => (env.gh.run('gantry / build (web)')?.status === 'completed' ? env.gh.run('gantry / build (web)') : undefined), 20_000, 'build');
    expect(run.conclusion).toBe('failure');
    await eventually(async () => (await (await env.builds!.getJob(`acme/web@${SHA}/web/pr-5`))?.getState()) === 'failed', 5000, 'job failed');
    const job = (await env.builds!.getJob(`acme/web@${SHA}/web/pr-5`))!;
    expect(job.failedReason).toBe('BUILD_FAILED: build: exit code 2');
    expect(engine.specs).toHaveLength(1);
    env.gh.assertDone();
  });
});
