import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildFailure, BuildSuccess } from '../../src/images/types.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { isGantryError } from '../../src/domain/errors.js';
import { checkName, configErrorOutput, externalId, failureOutput, logBlock, MAX_OUTPUT, parseExternalId, successOutput, Throttle, trimTail } from '../../src/github/check-run.js';
import { fromIssueComment, fromPullRequest, fromPush } from '../../src/github/events.js';
import { imageTags, jobArgs, planBuilds, pushBuilds, registryRepository, sanitizeTag, versionOf } from '../../src/images/plan.js';
import { defaultRepoConfig, errorLine, parseRepoConfig } from '../../src/images/repo-config.js';
import { defaultConfigData, ROOT } from '../support/harness.js';
import { commentPayload, FakeGithub, prPayload, pushPayload } from './fake-github.js';

const config = ConfigSchema.parse(defaultConfigData());
const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f80910111213';
const gh = new FakeGithub();

function configError(text: string): string {
  try {
    parseRepoConfig(text, config, 'web');
  } catch (e) {
    if (isGantryError(e)) return e.message;
    throw e;
  }
  throw new Error('expected an error');
}

describe('.github/gantry.yml', () => {
  it('reads a full file', () => {
    const rc = parseRepoConfig(
      [
        'images:',
        '  web: { dockerfile: docker/Dockerfile, context: app, target: runtime, args: { A: 1, B: { env: GANTRY_BUILD_ARG_B } } }',
        'builds: { branches: [main, "release/*"], tags: ["v*"] }',
        'extraTags: [{ tag: latest, branches: [main] }]',
        'autoDeploy: { qa: { branches: [dev] }, staging: { tags: ["v*"] } }',
        'test: { command: [/bin/true], timeout: 30s }',
      ].join('\n'),
      config,
      'web',
    );
    expect(rc.images.web).toMatchObject({ dockerfile: 'docker/Dockerfile', context: 'app', target: 'runtime' });
    expect(rc.test).toEqual({ command: ['/bin/true'], timeout: '30s', env: {} });
    expect(parseRepoConfig('', config, 'web')).toEqual(defaultRepoConfig());
  });

  it('the documented example (config/examples/github/gantry.yml) is valid', () => {
    const rc = parseRepoConfig(readFileSync(path.join(ROOT, 'config/examples/github/gantry.yml'), 'utf8'), config, 'web');
    expect(rc.images.web!.args.NPM_TOKEN).toEqual({ env: 'GANTRY_BUILD_ARG_NPM_TOKEN' });
    expect(rc.autoDeploy).toEqual({ qa: { branches: ['dev'], tags: [] }, staging: { branches: [], tags: ['v*'] } });
  });

  it('names the line and key of what is wrong', () => {
    expect(configError('images:\n  api: {}\n')).toBe(".github/gantry.yml line 2: images.api is not an image of app web in gantry's config (known: web)");
    expect(configError('builds:\n  tags: v*\n')).toMatch(/^\.github\/gantry\.yml line 2: builds\.tags expected array/);
    expect(configError('images:\n  web:\n    args:\n      X: { env: HOME }\n')).toContain('line 4: images.web.args.X.env must name a GANTRY_BUILD_ARG_* environment variable');
    expect(configError('images:\n  web:\n    context: ../etc\n')).toContain('line 3: images.web.context must be a relative path');
    expect(configError('autoDeploy:\n  prod: { tags: [v*] }\n')).toContain('line 2: autoDeploy.prod cannot be auto-deployed: prod needs 1 approval(s)');
    expect(configError('autoDeploy:\n  moon: {}\n')).toContain('autoDeploy.moon is not an environment');
    expect(configError('images: [\n')).toMatch(/^\.github\/gantry\.yml line \d+:/);
    expect(configError('unknownKey: 1\n')).toContain('line 1');
    expect(errorLine(configError('\n\nimages:\n  api: {}\n'))).toBe(4);
  });
});

describe('build planning', () => {
  it('tags and versions per trigger', () => {
    const rc = parseRepoConfig('extraTags: [{ tag: latest, branches: [main] }, { tag: stable, tags: ["v*"] }]', config, 'web');
    expect(imageTags({ kind: 'pr', number: 42, headRef: 'x', baseRef: 'main', fork: false }, SHA, rc)).toEqual(['pr-42-1a2b3c4', 'sha-1a2b3c4']);
    expect(imageTags({ kind: 'pr', number: 42, headRef: 'x', baseRef: 'main', fork: true }, SHA, rc)).toEqual(['pr-42-1a2b3c4']);
    expect(imageTags({ kind: 'branch', name: 'main' }, SHA, rc)).toEqual(['main-1a2b3c4', 'sha-1a2b3c4', 'latest']);
    expect(imageTags({ kind: 'branch', name: 'Feature/Login_2' }, SHA, rc)).toEqual(['feature-login_2-1a2b3c4', 'sha-1a2b3c4']);
    expect(imageTags({ kind: 'tag', name: 'v1.2.3' }, SHA, rc)).toEqual(['v1.2.3', 'sha-1a2b3c4', 'stable']);
    expect(versionOf({ kind: 'branch', name: 'release/2.x' }, SHA)).toBe('release-2.x-1a2b3c4');
    expect(sanitizeTag('..--weird//name--')).toBe('weird-name');
    expect(sanitizeTag('x'.repeat(300)).length).toBe(119);
  });

  it('pushes build by the repo rules, else v* tags and auto-deployed branches', () => {
    const dflt = defaultRepoConfig();
    expect(pushBuilds('tag', 'v1.0.0', dflt, config)).toBe(true);
    expect(pushBuilds('tag', 'nightly', dflt, config)).toBe(false);
    expect(pushBuilds('branch', 'dev', dflt, config)).toBe(true); // qa auto-deploys dev
    expect(pushBuilds('branch', 'main', dflt, config)).toBe(false);
    expect(pushBuilds('branch', 'main', parseRepoConfig('builds: { branches: [main] }', config, 'web'), config)).toBe(true);
  });

  it('fork builds never get secret or environment build args', () => {
    const args = parseRepoConfig('images: { web: { args: { A: x, N: 3, S: { value: s, secret: true }, E: { env: GANTRY_BUILD_ARG_E } } } }', config, 'web').images.web!.args;
    expect(jobArgs(args, false)).toEqual({ A: { value: 'x' }, N: { value: '3' }, S: { value: 's' }, E: { env: 'GANTRY_BUILD_ARG_E' } });
    expect(jobArgs(args, true)).toEqual({ A: { value: 'x' }, N: { value: '3' } });
  });

  it('plans one job per central image, in the registry GANTRY_REGISTRY names', () => {
    const [job] = planBuilds({
      config,
      app: 'web',
      rc: defaultRepoConfig(),
      source: { owner: 'acme', repo: 'web', installationId: 1, sha: SHA },
      trigger: { kind: 'tag', name: 'v1.2.3' },
      delivery: 'd',
      registryOverride: '127.0.0.1:5000',
    });
    expect(job).toMatchObject({ image: 'web', images: ['web'], repository: '127.0.0.1:5000/acme/web', version: 'v1.2.3', dockerfile: 'Dockerfile', context: '.' });
    expect(registryRepository('acme/web', '127.0.0.1:5000')).toBe('127.0.0.1:5000/acme/web');
    expect(registryRepository('localhost/acme/web', 'r:1')).toBe('r:1/acme/web');
  });
});

describe('check run rendering', () => {
  const subject = { image: 'web', repository: 'r/acme/web', tags: ['pr-1-1a2b3c4'], version: 'pr-1-1a2b3c4', dockerfile: 'Dockerfile', context: 'services/api' };

  it('keeps the tail of long logs within GitHub limits', () => {
    const log = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n');
    const t = trimTail(log, 1000);
    expect(t.length).toBe(1000);
    expect(t.endsWith('line 19999')).toBe(true);
    expect(t.startsWith('… (')).toBe(true);
    const block = logBlock('### log', log);
    expect(block.length).toBeLessThanOrEqual(MAX_OUTPUT);
    expect(block).toContain('line 19999\n```');
    const ok: BuildSuccess = { ok: true, ref: 'r/acme/web:pr-1-1a2b3c4@sha256:' + 'a'.repeat(64), repository: 'r/acme/web', tags: ['pr-1-1a2b3c4'], digest: 'sha256:' + 'a'.repeat(64), sizeBytes: 3_984_588, imageId: 'sha256:x', durationMs: 4321, logTail: log };
    const s = successOutput(subject, ok, { exitCode: 0, timedOut: false, outputTail: log, durationMs: 12 });
    expect(s.conclusion).toBe('success');
    expect(s.output.summary).toContain('| size | 3.8 MiB |');
    expect(s.output.text!.length).toBeLessThanOrEqual(MAX_OUTPUT);
    expect(successOutput(subject, ok, { exitCode: 2, timedOut: false, outputTail: 'boom', durationMs: 12 }).conclusion).toBe('failure');
  });

  it('annotates the failing step on its Dockerfile line, in the context directory', () => {
    const f: BuildFailure = { ok: false, stage: 'build', message: 'exit code 3', failedStep: { step: 5, instruction: 'RUN make', dockerfileLine: 10, output: 'make: *** [all] Error 3' }, durationMs: 900, logTail: 'x' };
    const r = failureOutput(subject, f);
    expect(r.conclusion).toBe('failure');
    expect(r.output.annotations).toEqual([expect.objectContaining({ path: 'services/api/Dockerfile', start_line: 10, end_line: 10, message: 'make: *** [all] Error 3' })]);
    expect(failureOutput(subject, { ...f, stage: 'timeout', failedStep: undefined }).conclusion).toBe('timed_out');
    const cfg = configErrorOutput('.github/gantry.yml line 3: images.x bad', '.github/gantry.yml', 3);
    expect(cfg.output.annotations?.[0]).toMatchObject({ path: '.github/gantry.yml', start_line: 3 });
  });

  it('names and external ids round-trip', () => {
    expect(checkName('web')).toBe('gantry / build (web)');
    expect(parseExternalId(externalId('web', { kind: 'tag', name: 'v1.2.3' }))).toEqual({ image: 'web', kind: 'tag', name: 'v1.2.3' });
    expect(parseExternalId(externalId('web', { kind: 'pr', number: 4, headRef: 'a', baseRef: 'b', fork: true }))).toEqual({ image: 'web', kind: 'pr', name: '4' });
    expect(parseExternalId('something else')).toBeUndefined();
  });

  it('throttles progress: at most one update per interval, the newest value, none after drain', async () => {
    const sent: number[] = [];
    const t = new Throttle<number>(async (v) => void sent.push(v), 100);
    for (let i = 1; i <= 50; i++) {
      t.push(i);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 150));
    t.push(99);
    await t.drain();
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.length).toBeLessThanOrEqual(5);
    expect(sent).toContain(50);
    expect(sent).not.toContain(99);
  });
});

describe('webhook payloads (from @octokit/webhooks-examples)', () => {
  it('normalizes pull requests, pushes and comments', () => {
    expect(fromPullRequest(prPayload(gh, { action: 'opened', number: 3, sha: SHA, fork: true }))).toMatchObject({ type: 'pr', action: 'build', number: 3, sha: SHA, fork: true, installationId: 42, owner: 'acme', repo: 'web' });
    // labels only move previews (issue 15): queued as `relabel`, which builds nothing
    expect(fromPullRequest(prPayload(gh, { action: 'labeled', number: 3, sha: SHA, label: 'preview' }))).toMatchObject({ type: 'pr', action: 'relabel', number: 3, sha: SHA });
    expect(fromPullRequest(prPayload(gh, { action: 'unlabeled', number: 3, sha: SHA, label: 'preview' }))).toMatchObject({ type: 'pr', action: 'relabel', number: 3 });
    expect(fromPullRequest({ ...prPayload(gh, { action: 'opened', number: 3, sha: SHA }), action: 'assigned' })).toBeUndefined();
    // an annotated tag: `after` is the tag object, head_commit the commit
    const tag = pushPayload(gh, { ref: 'refs/tags/v1.0.0', sha: SHA });
    tag.after = 'f'.repeat(40);
    expect(fromPush(tag)).toMatchObject({ type: 'push', kind: 'tag', name: 'v1.0.0', sha: SHA });
    // the commit's own time, normalized; a payload without a readable one gives none
    tag.head_commit.timestamp = '2026-11-30T16:00:00+08:00';
    expect(fromPush(tag)).toMatchObject({ changedAt: '2026-11-30T08:00:00.000Z' });
    expect(fromPush({ ...tag, head_commit: { ...tag.head_commit, timestamp: 'yesterday' } })).not.toHaveProperty('changedAt');
    expect(fromPush({ ...tag, deleted: true })).toBeUndefined();
    expect(fromIssueComment(commentPayload(gh, { number: 3, login: 'hubot', body: '/gantry build' }))).toMatchObject({ type: 'build-command', number: 3, login: 'hubot' });
    expect(fromIssueComment(commentPayload(gh, { number: 3, login: 'hubot', body: 'please /gantry build it' }))).toBeUndefined();
  });
});
