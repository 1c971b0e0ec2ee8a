import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../support/env.js';
import { MAIN } from '../support/cli.js';
import { ROOT } from '../support/harness.js';

/**
 * The README's quick-start tour, read from the README itself and run as a newcomer runs it: `npm
 * start` (local mode, a shell on standard input), the release-add lines from "a second terminal"
 * while it runs, then the shell lines in order. If the README changes, this test runs the new tour.
 *
 * The demo config (config/demo) freezes prod on weekends (Asia/Shanghai); the tour promotes to prod, so the
 * processes run on a Wednesday morning through libfaketime (Debian's faketime), with the clock
 * moving from there.
 */
const FAKETIME = '/usr/bin/faketime';
const WEDNESDAY = '@2026-12-02 02:00:00'; // 10:00 in Asia/Shanghai, TZ=UTC below

interface Tour {
  /** `npm run gantry -- <args>` lines, as argument lists */
  adds: string[][];
  /** what is typed into the shell, comments removed */
  shell: string[];
}

function readTour(): Tour {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf('Try it:');
  expect(from, 'the README has a "Try it:" tour').toBeGreaterThan(0);
  const blocks = [...readme.slice(from).matchAll(/```[a-z]*\n([\s\S]*?)```/g)].slice(0, 2).map((m) => m[1]!);
  const [adds = '', shell = ''] = blocks;
  return {
    adds: adds
      .split('\n')
      .filter((l) => l.startsWith('npm run gantry -- '))
      .map((l) => l.slice('npm run gantry -- '.length).trim().split(/\s+/)),
    shell: shell
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l.length > 0),
  };
}

describe('the README tour, verbatim', () => {
  let tmp: ReturnType<typeof tempDir>;
  let shim = '';
  const env = (): NodeJS.ProcessEnv => {
    // redis-server crashes under libfaketime: a redis-server first on PATH runs the real one
    // without it (Redis keeps the real clock; gantry's clock is the one freezes are read on)
    const e: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC', PATH: `${shim}:${process.env.PATH ?? ''}` };
    for (const k of ['REDIS_URL', 'GANTRY_CONFIG', 'GANTRY_STATE_DIR', 'LOG_LEVEL', 'GANTRY_AS']) delete e[k];
    return e;
  };
  const faked = (args: string[]) => ['-f', WEDNESDAY, 'node', MAIN, ...args];

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
    if (!existsSync(FAKETIME)) throw new Error(`${FAKETIME} is missing: apt-get install faketime (.ci/run does)`);
    tmp = tempDir('tour');
    shim = path.join(tmp.dir, 'bin');
    mkdirSync(shim);
    const real = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(shim, 'redis-server'), `#!/bin/sh\nunset LD_PRELOAD FAKETIME\nexec ${real} "$@"\n`, { mode: 0o755 });
    // the tour's shell lines are run in a directory of their own, not in the test's
    mkdirSync(path.join(tmp.dir, 'clone'));
  });
  afterAll(() => tmp.remove());

  it('works to its last line', async () => {
    const tour = readTour();
    expect(tour.adds.length).toBeGreaterThanOrEqual(2);
    expect(tour.shell).toContain('/rollback prod');

    // npm start: local mode, the shell reading from standard input
    const start = spawn(FAKETIME, faked(['start']), { cwd: path.join(tmp.dir, 'clone'), env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    start.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    start.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => start.once('exit', (code) => resolve(code)));
    try {
      // the second terminal: once gantry has made its deploy repo (bounded: 20 s)
      const repo = path.join(tmp.dir, 'clone', '.gantry', 'deploy.git');
      for (let i = 0; i < 200 && !existsSync(repo) && start.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(repo), stderr).toBe(true);
      for (const args of tour.adds) {
        const add = await run(FAKETIME, faked(args), { cwd: path.join(tmp.dir, 'clone'), env: env(), timeoutMs: 60_000 });
        expect(add.code, `${args.join(' ')}: ${add.stderr}`).toBe(0);
      }
      start.stdin.end(`${tour.shell.join('\n')}\n`);
      const timer = setTimeout(() => start.kill('SIGKILL'), 90_000);
      const code = await exited;
      clearTimeout(timer);

      expect(stdout).not.toContain('error [');
      expect(stdout).toMatch(/^promoted web v1\.2\.0 to qa \(v1\.2 resolved to v1\.2\.0\) \(was v1\.0\.0\): commit [0-9a-f]{7}$/m);
      expect(stdout).toMatch(/^promoted web v1\.2\.0 to staging \(was v1\.0\.0\): commit [0-9a-f]{7}$/m);
      expect(stdout).toMatch(/^approval 1 requested: promote web v1\.2\.0 to prod \(now v1\.0\.0\) needs 1 approval from leads within 1h\.$/m);
      expect(stdout).toMatch(/^promoted web v1\.2\.0 to prod \(was v1\.0\.0\): commit [0-9a-f]{7}$/m);
      expect(stdout).toContain('  approved by alice');
      // the last step that used to fail: the first rollback of prod goes back to what the files said before
      expect(stdout).toMatch(/^rolled back web in prod to v1\.0\.0 \(was v1\.2\.0\): commit [0-9a-f]{7}$/m);
      expect(stdout).toMatch(/^[0-9a-f]{7} \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC rollback v1\.0\.0 \(from v1\.2\.0\) by bob$/m);
      expect(stdout).toMatch(/^[0-9a-f]{7} \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC promote v1\.2\.0 \(from v1\.0\.0\) by carol, approved by alice$/m);
      expect(stdout).toMatch(/^ {2}web v1\.0\.0 \[on hold after rollback\]/m);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const log = await run('git', ['--git-dir', repo, 'log', '--format=%s', 'main']);
      expect(log.stdout.split('\n').slice(0, 4)).toEqual([
        'roll back web in prod to v1.0.0',
        'promote web v1.2.0 to prod',
        'promote web v1.2.0 to staging',
        'promote web v1.2.0 to qa',
      ]);
    } finally {
      if (start.exitCode === null) start.kill('SIGKILL');
    }
  });
});
