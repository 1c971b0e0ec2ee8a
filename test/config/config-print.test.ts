import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run } from '../../src/util/exec.js';
import { MAIN } from '../support/cli.js';
import { tempDir } from '../support/env.js';
import { ROOT } from '../support/harness.js';

/**
 * Configuration an operator can trust (issue 13): the demo stays the demo, an operator's directory
 * gets only what it holds, and `gantry config print` says where every key came from. Run as the
 * built CLI, as an operator would.
 */

/** What an operator writes: one file, nothing of the demo. */
const PROD = `deployRepo:
  url: https://github.com/acme/deploy.git
environments:
  prod:
    promote: [ops]
apps:
  api:
    images:
      api: { repository: registry.acme.example/api }
    deploy:
      prod:
        - { file: prod/api.yaml, format: kubernetes }
groups:
  ops: [slack:U0OPS]
`;

const SLACK = { SLACK_BOT_TOKEN: 'xoxb-test-not-a-token', SLACK_SIGNING_SECRET: 'signing-secret-of-this-test' };

describe('gantry config print and where gantry finds its config', () => {
  let tmp: ReturnType<typeof tempDir>;
  /** a clean environment: no config, no Redis, no platform credentials (local mode) unless given */
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    for (const k of Object.keys(e)) {
      if (/^(GANTRY_CONFIG|REDIS_URL|GITHUB_APP_ID|APP_ID|SLACK_|DINGTALK_|GANTRY_DEPLOY_TOKEN)/.test(k)) delete e[k];
    }
    return { ...e, ...extra };
  };
  const gantry = (args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
    run('node', [MAIN, ...args], { cwd: o.cwd ?? tmp.dir, env: env(o.env), timeoutMs: 60_000 });
  const dir = (name: string, files: Record<string, string>): string => {
    const d = path.join(tmp.dir, name);
    mkdirSync(d, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(path.join(d, f), text);
    return d;
  };
  /** the line of `text` holding `needle`, 1-based */
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
  });
  beforeEach(() => (tmp = tempDir('config-print')));
  afterEach(() => tmp.remove());

  it("an operator's directory with only prod.yml gets no demo users, apps or freezes", async () => {
    const conf = dir('etc-gantry', { 'prod.yml': PROD });
    const r = await gantry(['config', 'print', '--config', conf], { env: SLACK });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const printed = parse(r.stdout) as Record<string, any>;
    expect(Object.keys(printed.apps)).toEqual(['api']);
    expect(Object.keys(printed.environments)).toEqual(['prod']);
    expect(printed.users).toEqual({});
    expect(printed.groups).toEqual({ ops: ['slack:U0OPS'] });
    expect(printed.environments.prod.freeze).toEqual([]);
    expect(printed.notify).toEqual([]);
    for (const demo of ['alice', 'U024BE7LH', 'acme/web', 'weekend', 'Asia/Shanghai']) expect(r.stdout).not.toContain(demo);
    // what the operator wrote names its line; the rest is the schema's
    expect(r.stdout).toMatch(/^# gantry config: .*etc-gantry \(--config\)$/m);
    expect(r.stdout).toMatch(/^ {2}url: https:\/\/github\.com\/acme\/deploy\.git +# prod\.yml:2$/m);
    expect(r.stdout).toMatch(/^ {4}promote: \[ ops \] +# prod\.yml:5$/m);
    expect(r.stdout).toMatch(/^ {2}branch: main +# default$/m);
    expect(r.stdout).toMatch(/^users: \{\} +# default$/m);
    expect(r.stdout).toMatch(/^ {4}freeze: \[\] +# default$/m);
    expect(r.stdout).toMatch(/^ {8}- file: prod\/api\.yaml +# prod\.yml:12$/m);
  });

  it('a server with credentials reads ./config of its working directory, and only that', async () => {
    dir('config', { 'prod.yml': PROD });
    const r = await gantry(['config', 'print'], { env: SLACK });
    expect(r.code).toBe(0);
    const conf = path.join(tmp.dir, 'config');
    expect(r.stdout).toContain(`# gantry config: ${conf} (./config)\n#   ${path.join(conf, 'prod.yml')}\n`);
    expect(Object.keys((parse(r.stdout) as Record<string, any>).apps)).toEqual(['api']);
  });

  it('local mode without a config uses the demo in config/demo', async () => {
    const r = await gantry(['config', 'print']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# gantry config: .*config\/demo \(local demo\)$/m);
    const printed = parse(r.stdout) as Record<string, any>;
    expect(Object.keys(printed.users)).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(printed.environments.prod.freeze[0].reason).toBe('weekend');
    expect(r.stdout).toMatch(/^ {8}reason: weekend +# gantry\.yml:\d+$/m);
  });

  it('credentials and no config: gantry stops and names GANTRY_CONFIG, touching nothing', async () => {
    for (const [args, creds] of [
      [['config', 'print'], SLACK],
      [['web'], SLACK],
      [['start'], { APP_ID: '12345' }],
    ] as const) {
      const r = await gantry([...args], { env: creds });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('gantry: no config directory: set GANTRY_CONFIG=<dir> (or --config <dir>)');
      expect(r.stderr).toContain('The demo config (config/demo) is used only in local mode');
    }
    // no private Redis, no deploy repo: nothing was started or created
    expect(existsSync(path.join(tmp.dir, '.gantry'))).toBe(false);
  });

  it('merges default.yml then the other files, each key naming the file and line that set it', async () => {
    const overlay = [
      'environments:',
      '  prod:',
      '    approvals:',
      '      required: 2',
      '    freeze:',
      '      - { cron: "0 18 * * 5", duration: 62h }',
      '',
    ].join('\n');
    const conf = dir('merged', { 'default.yml': PROD, 'prod-policy.yml': overlay });
    const r = await gantry(['config', 'print', '--config', conf]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`#   ${path.join(conf, 'default.yml')}\n#   ${path.join(conf, 'prod-policy.yml')}\n`);
    expect(r.stdout).toMatch(/^ {4}promote: \[ ops \] +# default\.yml:5$/m);
    expect(r.stdout).toMatch(/^ {6}required: 2 +# prod-policy\.yml:4$/m);
    // filled in by the schema inside what the file set
    expect(r.stdout).toMatch(/^ {6}from: \[ "\*" \] +# default$/m);
    expect(r.stdout).toMatch(/^ {6}- cron: 0 18 \* \* 5 +# prod-policy\.yml:6$/m);
    expect(r.stdout).toMatch(/^ {8}timezone: UTC +# default$/m);

    const json = await gantry(['config', 'print', '--config', conf, '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { from: string; config: Record<string, any>; origins: Record<string, string> };
    expect(doc.from).toBe('--config');
    expect(doc.config.environments.prod.approvals).toEqual({ required: 2, from: ['*'], deadline: '1h' });
    expect(doc.origins['/environments/prod/approvals/required']).toBe('prod-policy.yml:4');
    expect(doc.origins['/environments/prod/approvals/deadline']).toBe('default');
    expect(doc.origins['/deployRepo/url']).toBe('default.yml:2');
  });

  it("a later file's list replaces the earlier one whole: nothing of the earlier items counts", async () => {
    const freezes = [
      '    freeze:',
      '      - { cron: "0 18 * * 5", duration: 62h, timezone: Asia/Shanghai }',
      '      - { cron: "0 0 24 12 *", duration: 1d }',
    ];
    const early = PROD.replace('promote: [ops]', ['promote: [ops]', ...freezes].join('\n'));
    const later = 'environments:\n  prod:\n    freeze:\n      - { cron: "0 9 * * 1", duration: 1h }\n';
    const conf = dir('replace', { 'a.yml': early, 'b.yml': later });
    const r = await gantry(['config', 'print', '--config', conf, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { config: Record<string, any>; origins: Record<string, string> };
    // a.yml's time zone was in the list b.yml replaced: the one in force is the schema's
    const [only, ...rest] = doc.config.environments.prod.freeze;
    expect(rest).toEqual([]);
    expect(only).toEqual({ cron: '0 9 * * 1', duration: '1h', timezone: 'UTC', reason: 'freeze window' });
    expect(doc.origins['/environments/prod/freeze/0/timezone']).toBe('default');
    expect(doc.origins['/environments/prod/freeze/0/cron']).toBe('b.yml:4');
    expect(doc.origins['/environments/prod/promote']).toBe('a.yml:5');
    expect(Object.keys(doc.origins).filter((k) => k.startsWith('/environments/prod/freeze/1'))).toEqual([]);
  });

  it('a bad file: exit 1 naming the file and line, nothing printed', async () => {
    const bad = PROD.replace('promote: [ops]', 'promote: [ops]\n    approvals: { required: many }');
    const conf = dir('bad', { 'prod.yml': bad });
    const r = await gantry(['config', 'print', '--config', conf]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const line = lineOf(bad, 'required: many');
    expect(r.stderr).toContain(`${path.join(conf, 'prod.yml')} line ${line}: environments.prod.approvals.required`);

    const syntax = dir('syntax', { 'default.yml': PROD, 'z.yml': 'environments:\n  prod: [oops\n' });
    const s = await gantry(['config', 'print', '--config', syntax, '--json']);
    expect(s.code).toBe(1);
    expect(s.stdout).toBe('');
    expect(s.stderr).toMatch(new RegExp(`${path.join(syntax, 'z.yml')} line \\d+:`));
  });

  it('never prints the value of a secret variable, even where a file holds one by mistake', async () => {
    const deployToken = 'ghp_deploytoken0123456789abcdef';
    const hookToken = 'hooktoken-0123456789';
    const tokenFile = path.join(tmp.dir, 'deploy-token');
    writeFileSync(tokenFile, `${deployToken}\n`);
    const careless = `deployRepo:
  url: https://x-access-token:${deployToken}@github.com/acme/deploy.git
  webUrl: https://bot:hunter2-password@git.acme.example/deploy
${PROD.slice(PROD.indexOf('environments:'))}webhooks:
  incidents: { url: "https://hooks.acme.example/in?token=${hookToken}", secretEnv: INCIDENTS_TOKEN }
`;
    const conf = dir('careless', { 'prod.yml': careless });
    const secrets = { GANTRY_DEPLOY_TOKEN_FILE: tokenFile, INCIDENTS_TOKEN: hookToken };
    for (const args of [[], ['--json']]) {
      const r = await gantry(['config', 'print', '--config', conf, ...args], { env: secrets });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      for (const secret of [deployToken, hookToken, 'hunter2-password']) expect(r.stdout).not.toContain(secret);
      expect(r.stdout).toContain('<redacted: holds the value of GANTRY_DEPLOY_TOKEN>');
      expect(r.stdout).toContain('<redacted: holds the value of INCIDENTS_TOKEN>');
      expect(r.stdout).toContain('https://bot:<redacted>@git.acme.example/deploy');
      expect(r.stdout).toContain('INCIDENTS_TOKEN');
    }
  });

  it('its command line: --help, a missing subcommand and an empty --config are told apart', async () => {
    const help = await gantry(['config', 'print', '--help']);
    expect(help.stdout).toMatch(/^Usage: gantry config print \[options\]/);
    expect(help.stdout).toContain('--json');
    expect(help.code).toBe(0);
    const none = await gantry(['config']);
    expect(none.stderr).toMatch(/^gantry: name a command/);
    expect(none.code).toBe(2);
    const empty = await gantry(['config', 'print', '--config', '']);
    expect(empty.stderr).toBe('gantry: --config needs a directory\n(gantry config print --help for more)\n');
    expect(empty.code).toBe(2);
  });

  it("the package's config/ holds no config file: only config/demo is the demo", () => {
    // `npm start` from the package directory finds ./config without *.yml and so picks the demo;
    // a file here would be merged into every installation run from a clone
    expect(readdirSync(path.join(ROOT, 'config')).filter((f) => /\.ya?ml$/.test(f))).toEqual([]);
    expect(existsSync(path.join(ROOT, 'config', 'demo', 'gantry.yml'))).toBe(true);
  });
});
