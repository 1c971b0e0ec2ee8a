import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../support/env.js';
import { MAIN } from '../support/cli.js';


/** The `gantry` command as a newcomer runs it: local mode, no credentials, no REDIS_URL. */
describe('gantry command, local mode', () => {
  let tmp: ReturnType<typeof tempDir>;
  const env = () => {
    const e: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    delete e.REDIS_URL;
    delete e.GANTRY_CONFIG;
    return e;
  };
  const gantry = (args: string[], input?: string) =>
    run('node', [MAIN, ...args], { cwd: tmp.dir, env: env(), ...(input !== undefined ? { input } : {}), timeoutMs: 60_000 });

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
    tmp = tempDir('cli');
  });
  afterAll(() => tmp.remove());

  it('registers a release, then promotes, approves, rolls back and shows history from the shell', async () => {
    const add = await gantry(['release', 'add', 'web', 'v1.2.0', '--image', 'web=registry.example.com/acme/web:v1.2.0']);
    expect(add.stderr).toBe('');
    expect(add.stdout).toBe('registered web v1.2.0: web=registry.example.com/acme/web:v1.2.0\n');
    expect(add.code).toBe(0);
    // the local deploy repo and Redis data live in ./.gantry
    expect(existsSync(path.join(tmp.dir, '.gantry', 'deploy.git'))).toBe(true);
    await gantry(['release', 'add', 'web', 'v1.2.1', '--image', 'web=registry.example.com/acme/web:v1.2.1']);

    const bad = await gantry(['release', 'add', 'web', 'v1.3.0', '--image', 'web=evil.example.com/web:v1.3.0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('repository evil.example.com/web is not registry.example.com/acme/web');
    // the link is shown in chat: only http(s)
    const link = await gantry(['release', 'add', 'web', 'v1.3.0', '--image', 'web=registry.example.com/acme/web:v1.3.0', '--url', 'javascript:alert(1)']);
    expect(link.code).toBe(1);
    expect(link.stderr).toContain('the url must be an http:// or https:// link');

    const shell = await gantry(['shell', '--as', 'carol'], ['/promote v1.2 qa', '/promote v1.2.0 qa', ':as bob', '/rollback qa', '/history qa', '/promote v9 qa', '/nope'].join('\n') + '\n');
    expect(shell.stderr).toBe('');
    const out = shell.stdout.split('\n');
    expect(out[0]).toMatch(/^promoted web v1\.2\.1 to qa \(v1\.2 resolved to v1\.2\.1\) \(was v1\.0\.0\): commit [0-9a-f]{7}$/);
    expect(shell.stdout).toMatch(/^promoted web v1\.2\.0 to qa \(was v1\.2\.1\): commit [0-9a-f]{7}$/m);
    expect(shell.stdout).toContain('now acting as shell:bob (bob)');
    expect(shell.stdout).toMatch(/^rolled back web in qa to v1\.2\.1 \(was v1\.2\.0\): commit [0-9a-f]{7}$/m);
    expect(shell.stdout).toMatch(/^[0-9a-f]{7} \S+ rollback v1\.2\.1 \(from v1\.2\.0\) by bob$/m);
    expect(shell.stdout).toContain('error [VERSION_UNKNOWN]: no built release matches "v9"');
    expect(shell.stdout).toContain('error [COMMAND_UNKNOWN]: unknown command "/nope"');
    expect(shell.code).toBe(0);

    const log = await run('git', ['--git-dir', path.join(tmp.dir, '.gantry', 'deploy.git'), 'log', '--format=%s', 'main']);
    expect(log.stdout.split('\n').slice(0, 4)).toEqual(['roll back web in qa to v1.2.1', 'promote web v1.2.0 to qa', 'promote web v1.2.1 to qa', 'seed example manifests']);
  });

  it('doctor checks everything and says all good', async () => {
    const r = await gantry(['doctor']);
    expect(r.stdout).toMatch(/^ok +config: .*default\.yml valid$/m);
    expect(r.stdout).toMatch(/^ok +redis: standalone 127\.0\.0\.1:\d+ \(db 0\) answers \(master\)$/m);
    expect(r.stdout).toMatch(/^ok +web\/prod apps\/web\/marathon\/prod-deploy\.json: registry\.example\.com\/acme\/web:v1\.0\.0 \(line \d+\)$/m);
    expect(r.stdout).toMatch(/\nall good\n$/);
    expect(r.code).toBe(0);
  });

  it('a broken config fails at start with file, line and key', async () => {
    const dir = path.join(tmp.dir, 'badconf');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'default.yml'), 'deployRepo:\n  url: x\nenvironments:\n  prod:\n    approvals: { required: many }\napps: {}\n');
    const r = await gantry(['shell', '--config', dir, '--as', 'x'], '');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.join(dir, 'default.yml')} line 5: environments.prod.approvals.required`);
  });
});
