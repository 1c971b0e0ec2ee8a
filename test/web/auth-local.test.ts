import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/runtime/redis-server.js';
import { MAIN, writeTestConfig } from '../support/cli.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from '../support/env.js';

/**
 * Local mode (`gantry start` without platform credentials) serves the web pages on 127.0.0.1, so
 * `/gantry login` typed in its shell prints a link that works; a busy port leaves the shell working.
 */
describe('local mode serves the web sign-in', () => {
  let tmp: ReturnType<typeof tempDir>;
  const prefix = uniquePrefix('auth-local');
  beforeAll(() => {
    tmp = tempDir('auth-local');
  });
  afterAll(async () => {
    await wipePrefix(prefix);
    tmp.remove();
  });

  const start = async (port: number) => {
    const conf = await writeTestConfig(tmp.dir, `local-${port}`);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, GANTRY_CONFIG: conf, REDIS_URL: redisUrl(), GANTRY_REDIS_PREFIX: prefix, PORT: String(port), GANTRY_AS: 'alice', GANTRY_STATE_DIR: tmp.dir, LOG_LEVEL: 'warn' };
    const child = spawn('node', [MAIN, 'start'], { cwd: tmp.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const waitOut = async (re: RegExp) => {
      for (let i = 0; i < 300 && !re.test(stdout) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
      return re.exec(stdout);
    };
    return { child, exited, waitOut, out: () => stdout, err: () => stderr };
  };

  it('/gantry login in the shell prints a link to the local server that signs alice in', async () => {
    const port = await freePort();
    const g = await start(port);
    try {
      g.child.stdin.write('/gantry login\n');
      const m = await g.waitOut(/(http:\/\/127\.0\.0\.1:(\d+)\/login\/link\/[A-Za-z0-9_-]{43})/);
      expect(m, g.out() + g.err()).not.toBeNull();
      expect(Number(m![2])).toBe(port);
      const page = await fetch(m![1]!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Sign in as alice');
      const post = await fetch(m![1]!, { method: 'POST', redirect: 'manual', headers: { origin: `http://127.0.0.1:${port}` } });
      expect(post.status).toBe(303);
      const cookie = post.headers.get('set-cookie')!.split(';')[0]!;
      expect(await (await fetch(`http://127.0.0.1:${port}/login`, { headers: { cookie } })).text()).toContain('You are signed in as alice.');
      g.child.stdin.end();
      expect(await g.exited).toBe(0);
      expect(g.err()).toBe('');
    } finally {
      if (g.child.exitCode === null) g.child.kill('SIGKILL');
    }
  });

  it('a busy port: the shell still works, and /gantry login says what is missing', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as { port: number }).port)));
    const g = await start(port);
    try {
      g.child.stdin.end('/status qa\n/gantry login\n');
      const code = await g.exited;
      expect(g.out()).toMatch(/^qa$/m);
      expect(g.out()).toContain('set GANTRY_PUBLIC_URL');
      // read from a script, refused commands make the exit code 1; nothing else went wrong
      expect(code).toBe(1);
      expect(g.err()).toBe('');
    } finally {
      if (g.child.exitCode === null) g.child.kill('SIGKILL');
      blocker.close();
    }
  });
});
