import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { MAIN, spawnServer, writeTestConfig } from '../support/cli.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from '../support/env.js';
import { addApiApp } from '../bundles/seed.js';

const TOKEN = 'api-token-0123456789abcdefghijkl';

/** `gantry bundle add` / `gantry bundle list` as processes, and `gantry web`'s /api/bundles on the same Redis. */
describe('gantry bundle', () => {
  let tmp: ReturnType<typeof tempDir>;
  let conf: string;
  const prefix = uniquePrefix('bundle-cli');
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, LOG_LEVEL: 'warn' as const, GANTRY_CONFIG: conf, REDIS_URL: redisUrl(), GANTRY_REDIS_PREFIX: prefix });
  const gantry = (args: string[]) => run('node', [MAIN, ...args], { cwd: tmp.dir, env: env(), timeoutMs: 60_000 });

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
    tmp = tempDir('bundle-cli');
    conf = await writeTestConfig(tmp.dir, 'bundles', (d) => addApiApp(d));
    for (const [app, version] of [['web', 'v1.2.3'], ['api', 'v3.4.0']] as const) {
      const r = await gantry(['release', 'add', app, version, '--image', `${app}=registry.example.com/acme/${app}:${version}`]);
      expect(r.stderr).toBe('');
    }
  });
  afterAll(async () => {
    await wipePrefix(prefix);
    tmp.remove();
  });

  it('adds a bundle, takes the same again, refuses other contents and bad pairs, lists newest first', async () => {
    expect((await gantry(['bundle', 'list'])).stdout).toBe('no bundles registered\n');
    const add = await gantry(['bundle', 'add', '2026.12', 'web=v1.2.3', 'api=v3.4.0']);
    expect(add).toMatchObject({ code: 0, stderr: '', stdout: 'bundle 2026.12 registered: api=v3.4.0 web=v1.2.3\n' });
    const again = await gantry(['bundle', 'add', '2026.12', 'api=v3.4.0', 'web=v1.2.3']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^bundle 2026\.12 already registered \(by cli, \d{4}-\d\d-\d\dT[\d:.]+Z\): api=v3\.4\.0 web=v1\.2\.3\n$/);
    const refusals: [string[], string][] = [
      [['2026.12', 'web=v1.2.3'], 'gantry: bundle 2026.12 is already registered with other versions (api=v3.4.0 web=v1.2.3); a bundle never changes\n'],
      [['b1', 'web'], 'gantry: "web" is not app=version\n'],
      [['b1', 'web=v1.2.3', 'web=v1.2.3'], 'gantry: web is named twice in bundle b1; a bundle has one version per app\n'],
      [['b1', 'api=v9.0.0'], 'gantry: bundle b1: api v9.0.0 is not a built release; only built releases can be bundled\n'],
      [['b1', '__proto__=v1.0.0'], 'gantry: unknown app "__proto__"'],
    ];
    for (const [args, stderr] of refusals) {
      const r = await gantry(['bundle', 'add', ...args]);
      expect(r.stderr, args.join(' ')).toContain(stderr);
      expect(r.code, args.join(' ')).toBe(1);
    }
    const usage = await gantry(['bundle', 'add', 'b1']);
    expect(usage.stderr).toContain("gantry: missing required argument 'app=version'");
    expect(usage.code).toBe(2);
    expect((await gantry(['bundle', 'add', 'b2', 'web=v1.2.3'])).code).toBe(0);
    const list = await gantry(['bundle', 'list']);
    expect(list.stdout.split('\n').map((l) => l.split('  ').slice(0, 2).join('  '))).toEqual(['b2  web=v1.2.3', '2026.12  api=v3.4.0 web=v1.2.3', '']);
  });

  it('gantry web serves the same bundles on /api/bundles, and takes new ones there', async () => {
    const server = await spawnServer(['web'], { ...env(), GANTRY_API_TOKEN: TOKEN }, tmp.dir);
    try {
      const auth = { authorization: `Bearer ${TOKEN}` };
      const listed = await fetch(`${server.base}/api/bundles`, { headers: auth });
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { bundles: { name: string }[] }).bundles.map((b) => b.name)).toEqual(['b2', '2026.12']);
      const posted = await fetch(`${server.base}/api/bundles`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'b3', apps: [{ app: 'api', version: 'v3.4.0' }] }),
      });
      expect(posted.status).toBe(201);
    } finally {
      expect(await server.stop(), server.stderr()).toBe(0);
    }
    expect((await gantry(['bundle', 'list'])).stdout).toMatch(/^b3 {2}api=v3\.4\.0 {2}\(api, /);
  });

  it('the shell promotes a registered bundle in one commit', async () => {
    const shell = await run('node', [MAIN, 'shell', '--as', 'carol'], { cwd: tmp.dir, env: env(), input: '/promote bundle b2 qa\n', timeoutMs: 60_000 });
    expect(shell.stderr).toBe('');
    expect(shell.stdout).toMatch(/^promoted bundle b2 to qa: one commit [0-9a-f]{7}$/m);
    expect(shell.stdout).toContain('  web v1.2.3 (was v1.0.0)');
    expect(shell.code).toBe(0);
  });
});
