import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../support/env.js';
import { MAIN } from '../support/cli.js';
import { ROOT } from '../support/harness.js';


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
    expect(shell.stdout).toMatch(/^[0-9a-f]{7} \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC rollback v1\.2\.1 \(from v1\.2\.0\) by bob$/m);
    expect(shell.stdout).toContain('error [VERSION_UNKNOWN]: no built release matches "v9"');
    expect(shell.stdout).toContain('error [COMMAND_UNKNOWN]: unknown command "/nope"');
    // read from a script, the shell tells by its exit code that commands were refused
    expect(shell.code).toBe(1);

    const log = await run('git', ['--git-dir', path.join(tmp.dir, '.gantry', 'deploy.git'), 'log', '--format=%s', 'main']);
    expect(log.stdout.split('\n').slice(0, 4)).toEqual(['roll back web in qa to v1.2.1', 'promote web v1.2.0 to qa', 'promote web v1.2.1 to qa', 'seed example manifests']);
  });

  it('a scripted shell exits 0 when every command answered, 1 when one was refused', async () => {
    const fine = await gantry(['shell', '--as', 'bob'], '/status qa\n/history qa 1\n');
    expect(fine.stderr).toBe('');
    expect(fine.code).toBe(0);
    const refused = await gantry(['shell', '--as', 'bob'], '/status qa\n/lock moon\n/history qa 1\n');
    expect(refused.stdout).toContain('error [ENV_UNKNOWN]');
    expect(refused.stdout).toMatch(/^qa, newest first|in qa, newest first:$/m); // it went on after the refusal
    expect(refused.code).toBe(1);
  });

  it('a refusal reads as its reply; the deploy worker\'s log lines go to .gantry/gantry.log', async () => {
    const add = await gantry(['release', 'add', 'web', 'v1.2.7', '--image', 'web=registry.example.com/acme/web:v1.2.7']);
    expect(add.code).toBe(0);
    // staging takes only what ran in qa: refused (ORDER_VIOLATION) before any job is queued
    const shell = await gantry(['shell', '--as', 'carol'], '/promote v1.2.7 staging\n');
    expect(shell.stdout).toBe('error [ORDER_VIOLATION]: web v1.2.7 has not run in qa yet; promote it to qa first\n');
    expect(shell.stderr).toBe('');
    expect(shell.code).toBe(1);
    // a deploy the worker in this process runs logs its lines to the file, never into the conversation
    const ok = await run('node', [MAIN, 'shell', '--as', 'carol'], { cwd: tmp.dir, env: { ...env(), LOG_LEVEL: 'info' }, input: '/promote v1.2.7 qa\n', timeoutMs: 60_000 });
    expect(ok.stdout).toMatch(/^promoted web v1\.2\.7 to qa \(was \S+\): commit [0-9a-f]{7}$/m);
    expect(ok.stdout).not.toContain('"msg"');
    expect(ok.stderr).toBe('');
    const log = readFileSync(path.join(tmp.dir, '.gantry', 'gantry.log'), 'utf8');
    expect(log).toMatch(/"version":"v1\.2\.7".*"msg":"deployed"/);
    // asked for, the log comes to standard error
    const loud = await run('node', [MAIN, 'shell', '--as', 'carol'], { cwd: tmp.dir, env: { ...env(), GANTRY_LOG_FILE: '-', LOG_LEVEL: 'info' }, input: '/rollback qa\n', timeoutMs: 60_000 });
    expect(loud.stderr).toMatch(/"msg":"deployed"/);
  });

  it('a release version must be semver (or match releases.versionPattern)', async () => {
    const r = await gantry(['release', 'add', 'web', 'notaversion', '--image', 'web=registry.example.com/acme/web:notaversion']);
    expect(r.stderr).toBe('gantry: version "notaversion" is not semver; a release needs semver such as v1.2.3 or 1.2.3-rc.1 (releases.versionPattern in the config admits another scheme)\n');
    expect(r.code).toBe(1);
    const shell = await gantry(['shell', '--as', 'carol'], '/releases\n');
    expect(shell.stdout).not.toContain('notaversion');
  });

  it('--version, --help on every subcommand (which never starts it), and exit codes 0 / 1 / 2', async () => {
    const version = await gantry(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}\n`, stderr: '' });
    for (const sub of ['start', 'web', 'worker', 'shell', 'release', 'doctor']) {
      // the shell would read this line and deploy, were it started
      const help = await gantry([sub, '--help'], '/promote v1.2.0 staging\n');
      expect(help.stdout, sub).toMatch(new RegExp(`^Usage: gantry ${sub} `));
      expect(help.stdout).toContain('-h, --help');
      expect(help.code).toBe(0);
    }
    expect((await gantry(['help', 'shell'])).stdout).toMatch(/^Usage: gantry shell/);
    expect((await gantry(['release', 'add', '--help'])).stdout).toMatch(/^Usage: gantry release add <app> <version> --image /);
    expect((await gantry(['--help'])).code).toBe(0);
    const usage = async (args: string[], problem: string) => {
      const r = await gantry(args);
      expect(r.stderr.split('\n')[0], args.join(' ')).toBe(`gantry: ${problem}`);
      expect(r.stderr, args.join(' ')).toMatch(/--help/);
      expect(r.stdout).toBe('');
      expect(r.code).toBe(2);
    };
    await usage([], 'name a command');
    await usage(['frob'], "unknown command 'frob'");
    await usage(['--frob'], "unknown option '--frob'");
    await usage(['shell', '--bogus'], "unknown option '--bogus'");
    await usage(['shell', '--as'], "option '--as <user>' argument missing");
    await usage(['doctor', '--notify=yes'], "unknown option '--notify=yes'");
    await usage(['web', 'extra'], "too many arguments for 'web'. Expected 0 arguments but got 1.");
    await usage(['release', 'add', 'web'], "missing required argument 'version'");
    await usage(['release', 'list', 'web', 'v1'], "unknown command 'list'");
    await usage(['release', 'add', 'web', 'v1.0.1'], 'name the images with --image <name>=<repo>:<tag>');
  });

  it('doctor checks everything and says all good', async () => {
    const r = await gantry(['doctor']);
    expect(r.stdout).toMatch(/^ok +config: .*config\/demo\/gantry\.yml valid$/m);
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
