import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_QUEUE } from '../../src/queue/deploy-queue.js';
import { createGantry, type Gantry } from '../../src/runtime/gantry.js';
import { silentLogger } from '../../src/util/logger.js';
import { privateKey } from '../github/github-env.js';
import { redisUrl } from '../support/env.js';
import { deploymentsResponder } from '../support/github-deployments.js';
import { makeWorld, spawnGantry, until, type Spawned, type World } from '../support/processes.js';
import { startRecorder, type Recorded } from '../support/recorder.js';

type Recorder = Awaited<ReturnType<typeof startRecorder>>;

/**
 * Issue 10: a shell and a `gantry worker` on one Redis. Whichever process takes a deploy or
 * notification job must finish it completely: the GitHub Deployment of every promotion and every
 * Slack message, whether the shell's own workers took the job or the worker did.
 */
describe('gantry shell next to gantry worker', () => {
  let world: World;
  let asker: Gantry;
  let github: Recorder;
  let slack: Recorder;
  const spawned: Spawned[] = [];
  const sha = (n: number) => n.toString(16).padStart(40, 'c');

  beforeAll(async () => {
    world = await makeWorld('shell-workers', (d) => {
      d.notify = [{ events: ['deployed'], environments: ['qa'], to: ['slack:#deploys'] }];
    });
    asker = createGantry({ config: world.config, redisUrl: redisUrl(), prefix: world.prefix, workdir: path.join(world.dir, 'asker'), log: silentLogger });
    // GitHub's REST API as the Deployment hook uses it, shapes as GitHub answers them
    github = await startRecorder(deploymentsResponder());
    slack = await startRecorder((r) => (r.path === '/api/chat.postMessage' ? { body: { ok: true, channel: 'C0DEPLOYS', ts: `${Date.now()}.000100` } } : undefined));
    for (let n = 1; n <= 13; n++) {
      const version = `v1.0.${n}`;
      await asker.core.releases.add({ app: 'web', version, builtAt: new Date().toISOString(), commit: sha(n), images: { web: { repository: 'registry.example.com/acme/web', tag: version } } });
    }
  });

  afterAll(async () => {
    await Promise.all(spawned.map((s) => s.kill9()));
    await asker?.close();
    await github?.close();
    await slack?.close();
    await world?.close();
  });

  /** the same environment for every process, as one deployment would give them */
  const env = () =>
    world.env({
      GITHUB_APP_ID: '1',
      GITHUB_PRIVATE_KEY: privateKey(),
      GITHUB_WEBHOOK_SECRET: 'shell-workers-secret',
      GITHUB_API_URL: github.url,
      GANTRY_REDELIVER_EVERY: 'off',
      SLACK_BOT_TOKEN: 'xoxb-shell-workers',
      SLACK_SIGNING_SECRET: 'shell-workers-signing-secret',
      SLACK_API_URL: `${slack.url}/api/`,
    });
  const shell = (name: string, as: string) => {
    const s = spawnGantry(['shell', '--as', as], { cwd: path.join(world.dir, name), env: env(), stdin: 'pipe' });
    spawned.push(s);
    return s;
  };
  const promote = async (s: Spawned, n: number) => {
    s.child.stdin!.write(`/promote v1.0.${n} qa\n`);
    await until(() => new RegExp(`^(promoted web v1\\.0\\.${n} to qa .*|error .*)$`, 'm').exec(s.stdout())?.[0], () => `the reply to /promote v1.0.${n} qa:\n${s.output()}`, 30_000);
  };
  const deployWorkers = async () => (await asker.queueHandle(DEPLOY_QUEUE).getWorkers()).length;
  const deployments = () => github.calls.filter((c) => c.method === 'POST' && c.path === '/repos/acme/web/deployments');
  const versionsOf = (calls: Recorded[], of: (c: Recorded) => string) => calls.map(of).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const all = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `v1.0.${from + i}`);

  it('every promotion typed into a shell gets its GitHub Deployment and its Slack message, whoever runs the job', async () => {
    // alone on this Redis, the shell runs the workers itself, wired as gantry worker wires them
    const first = shell('first', 'alice');
    for (const n of [1, 2, 3]) await promote(first, n);
    expect(first.stdout()).not.toMatch(/^error/m);
    await until(() => deployments().length >= 3 && slack.calls.length >= 3, () => `3 deployments and 3 slack messages; github: ${github.calls.map((c) => `${c.method} ${c.path}`).join(', ')}; slack: ${slack.calls.length}\n${first.output()}`, 20_000);

    // a worker joins; a second shell then finds the deploys served and runs no workers of its own
    const before = await deployWorkers();
    const worker = spawnGantry(['worker'], { cwd: path.join(world.dir, 'worker'), env: env() });
    spawned.push(worker);
    await until(async () => (await deployWorkers()) > before, () => `gantry worker's deploy workers:\n${worker.output()}`, 20_000);
    const second = shell('second', 'carol');
    await until(() => /this shell runs no workers of its own/.test(second.output()), () => `the second shell's notice:\n${second.output()}`, 20_000);
    for (let n = 4; n <= 13; n++) await promote(second, n);
    expect(second.stdout()).not.toMatch(/^error/m);
    expect(second.stdout().match(/^promoted web /gm)).toHaveLength(10);
    expect(second.stdout()).not.toMatch(/^\{/m); // replies only: no log lines in the conversation

    const expected = all(1, 13);
    // the Deployment and its status are recorded after the reply (GitHub never holds the reply)
    const statuses = () => github.calls.filter((c) => c.path.endsWith('/statuses'));
    await until(
      () => deployments().length >= 13 && statuses().length >= 13 && slack.calls.length >= 13,
      () => `13 deployments, 13 statuses and 13 slack messages; got ${deployments().length}, ${statuses().length} and ${slack.calls.length}`,
      20_000,
    );
    expect(versionsOf(deployments(), (c) => c.body.payload.version)).toEqual(expected);
    for (const d of deployments()) expect(d.body).toMatchObject({ ref: sha(Number(d.body.payload.version.split('.')[2])), environment: 'qa', task: 'deploy' });
    expect(statuses().map((c) => c.body.state)).toEqual(Array(13).fill('success'));
    expect(versionsOf(slack.calls, (c) => /v1\.0\.\d+/.exec(c.raw)?.[0] ?? c.raw)).toEqual(expected);
    expect(slack.calls.every((c) => c.path === '/api/chat.postMessage' && c.body.channel === '#deploys')).toBe(true);
    // nothing asked GitHub for what the fake does not serve
    expect(github.calls.filter((c) => !/installation|deployments/.test(c.path))).toEqual([]);

    for (const s of [first, second]) s.child.stdin!.end();
    expect(await first.exited).toBe(0);
    expect(await second.exited).toBe(0);
    expect(await worker.stop()).toBe(0);
    const log = (await world.git('log', '--format=%s', 'main')).trim().split('\n');
    expect(log.slice(0, 13).reverse()).toEqual(expected.map((v) => `promote web ${v} to qa`));
  }, 180_000);
});
