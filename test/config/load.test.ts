import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { tempDir } from '../support/env.js';
import { ROOT } from '../support/harness.js';

const DEFAULT = readFileSync(path.join(ROOT, 'config', 'demo', 'gantry.yml'), 'utf8');

describe('config loading', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('config')));
  afterEach(() => tmp.remove());

  const write = (name: string, text: string) => writeFileSync(path.join(tmp.dir, name), text);
  const fails = (): string => {
    try {
      loadConfig(tmp.dir);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected the config to be refused');
  };

  it('loads the local demo, config/demo', () => {
    const { config } = loadConfig(path.join(ROOT, 'config', 'demo'));
    expect(Object.keys(config.environments)).toEqual(['qa', 'staging', 'prod']);
    expect(config.environments.prod!.approvals).toEqual({ required: 1, from: ['leads'], deadline: '1h' });
    expect(config.apps.web!.deploy.prod).toHaveLength(2);
  });

  it('names file, line and key for a wrong type', () => {
    write('default.yml', DEFAULT.replace('required: 1 ', 'required: "one" '));
    const msg = fails();
    const line = DEFAULT.split('\n').findIndex((l) => l.includes('required: 1 ')) + 1;
    expect(msg).toContain(`${path.join(tmp.dir, 'default.yml')} line ${line}: environments.prod.approvals.required`);
    expect(msg).toMatch(/expected number/);
  });

  it('names an unknown key, an undefined environment and an unknown group', () => {
    write('default.yml', DEFAULT.replace('from: staging', 'from: stagin').replace('promote: [leads, devs]', 'promote: [leads, devz]\n    promte: [x]'));
    const msg = fails();
    expect(msg).toMatch(/line \d+: environments\.prod Unrecognized key: "promte"/);
    expect(msg).toMatch(/line \d+: environments\.prod\.from environment "stagin" is not defined/);
    expect(msg).toMatch(/line \d+: environments\.prod\.promote\.1 "devz" is neither a group, a user, an identity nor \*/);
  });

  it('refuses a deploy file path that escapes the repo, and a bad time zone', () => {
    write('default.yml', DEFAULT.replace('apps/web/qa/deployment.yaml', '../../etc/passwd').replace('Asia/Shanghai', 'Mars/Olympus'));
    const msg = fails();
    expect(msg).toMatch(/apps\.web\.deploy\.qa\.0\.file must be a relative path inside the deploy repo/);
    expect(msg).toMatch(/environments\.prod\.freeze\.0\.timezone unknown time zone "Mars\/Olympus"/);
  });

  it('reports YAML syntax errors with their line', () => {
    write('default.yml', 'deployRepo:\n  url: x\n  branch: [main\n');
    expect(fails()).toMatch(/default\.yml line \d+:/);
  });

  it('merges later files over default.yml, and names the file that set a bad value', () => {
    write('default.yml', DEFAULT);
    write('prod.yml', 'environments:\n  prod:\n    approvals:\n      required: -1\n');
    const msg = fails();
    expect(msg).toContain(`${path.join(tmp.dir, 'prod.yml')} line 4: environments.prod.approvals.required`);
    write('prod.yml', 'environments:\n  prod:\n    approvals:\n      required: 2\n');
    expect(loadConfig(tmp.dir).config.environments.prod!.approvals!.required).toBe(2);
  });

  it('a missing directory says how to point gantry at one', () => {
    expect(() => loadConfig(path.join(tmp.dir, 'nope'))).toThrow(/set --config <dir> or GANTRY_CONFIG/);
  });
});
