import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderEnvExample, withEnvTable } from '../../src/config/env-docs.js';
import { ALIASES, resolveEnvFiles, SECRET_VARS } from '../../src/config/env-files.js';
import { ENV_NAMES, ENV_VARS, isEnvName, type EnvVarSpec } from '../../src/config/env-vars.js';
import { readEnv } from '../../src/config/env.js';
import { parseDuration } from '../../src/domain/duration.js';
import { readGithubEnv } from '../../src/github/env.js';
import { DEFAULT_WATCH_MS } from '../../src/rollout/watch.js';
import { jobLock } from '../../src/store/job-lock.js';
import { tempDir } from '../support/env.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Upper-case names read from an environment: `process.env.X`, `env.X`, `env['X']`, `const { X } = process.env`. */
function envReads(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/\benv\s*(?:\.|\?\.)\s*([A-Z][A-Z0-9_]*)\b/g)) names.add(m[1]!);
  for (const m of source.matchAll(/\benv\s*\[\s*['"`]([A-Z][A-Z0-9_]*)['"`]\s*\]/g)) names.add(m[1]!);
  for (const m of source.matchAll(/\{([^{}]*)\}\s*=\s*(?:process\.)?env\b/g)) {
    for (const part of m[1]!.split(',')) {
      const name = /^\s*([A-Z][A-Z0-9_]*)\b/.exec(part)?.[1];
      if (name) names.add(name);
    }
  }
  return [...names];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('one declared environment', () => {
  it('finds every form of read, so the scan below can fail', () => {
    const sample = [
      'const a = process.env.ONE_VAR;',
      'if (booted.env.TWO) return;',
      "const c = env['THREE_3'];",
      'const { FOUR, five, SIX: six } = process.env;',
      'const d = env?.SEVEN;',
      'const e = env.lowercase;',
    ].join('\n');
    expect(envReads(sample).sort()).toEqual(['FOUR', 'ONE_VAR', 'SEVEN', 'SIX', 'THREE_3', 'TWO']);
  });

  it('every upper-case variable src/ reads from an environment is declared in src/config/env-vars.ts', () => {
    const undeclared: string[] = [];
    let reads = 0;
    for (const file of sourceFiles(path.join(ROOT, 'src'))) {
      for (const name of envReads(readFileSync(file, 'utf8'))) {
        reads++;
        if (!isEnvName(name)) undeclared.push(`${path.relative(ROOT, file)}: ${name}`);
      }
    }
    expect(undeclared).toEqual([]);
    // a scan that finds nothing proves nothing
    expect(reads).toBeGreaterThan(40);
  });

  it("the README's table and .env.example are what `npm run docs` makes of the declaration", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(withEnvTable(readme), 'README.md: run npm run docs').toBe(readme);
    expect(readFileSync(path.join(ROOT, '.env.example'), 'utf8'), '.env.example: run npm run docs').toBe(renderEnvExample());
    for (const name of ENV_NAMES) {
      expect(readme).toContain(`| \`${name}\` |`);
      const spec: EnvVarSpec = ENV_VARS[name];
      expect(renderEnvExample()).toContain(spec.fromSystem ? `\n# ${name}: ` : `\n#${name}=`);
    }
    expect(() => withEnvTable('# no markers')).toThrow('README.md: needs one <!-- env-table:start --> followed by one <!-- env-table:end -->');
  });

  it('errors name the variable and never print the value', () => {
    const hostile = 'hostile value ☃ with spaces';
    let refused = 0;
    for (const name of ENV_NAMES) {
      try {
        readEnv({ [name]: hostile });
      } catch (e) {
        refused++;
        expect(String(e)).toMatch(new RegExp(`^GantryError: environment variable ${name}: `));
        expect(String(e)).not.toContain('hostile');
      }
    }
    expect(refused).toBeGreaterThan(20);
    expect(() => readGithubEnv({ GITHUB_APP_ID: '1', GITHUB_PRIVATE_KEY: 'PEM' })).toThrow('environment variable GITHUB_WEBHOOK_SECRET: must be set');
    expect(() => readGithubEnv({ GITHUB_APP_ID: 'x', GITHUB_PRIVATE_KEY: 'PEM', GITHUB_WEBHOOK_SECRET: 's' })).toThrow(
      'environment variable GITHUB_APP_ID: must be the numeric app id',
    );
  });

  it('names from outside never reach Object.prototype; an empty variable counts as unset', () => {
    const env = JSON.parse('{"__proto__": "x", "constructor": "y", "toString": "z", "hasOwnProperty": "w", "LOG_LEVEL": "debug"}') as NodeJS.ProcessEnv;
    expect(readEnv(env)).toEqual({ LOG_LEVEL: 'debug' });
    expect(isEnvName('constructor')).toBe(false);
    expect(readEnv({ GANTRY_API_TOKEN: '', GANTRY_HOST: '', SMTP_URL: '' })).toEqual({});
    const gh = readGithubEnv({ GITHUB_APP_ID: '7', GITHUB_PRIVATE_KEY: 'A\\nB', GITHUB_WEBHOOK_SECRET: 's', GANTRY_BUILD_CONCURRENCY: '', GITHUB_API_URL: '' });
    expect([gh.appId, gh.privateKey, gh.buildConcurrency, gh.apiUrl]).toEqual([7, 'A\nB', 2, undefined]);
  });

  it("the GitHub face's defaults are the declared ones, and the documented defaults are the code's", () => {
    const gh = readGithubEnv({ GITHUB_APP_ID: '7', GITHUB_PRIVATE_KEY: 'k', GITHUB_WEBHOOK_SECRET: 's' });
    expect(gh).toMatchObject({ buildConcurrency: 2, eventConcurrency: 16, buildAttempts: 3, buildTimeoutMs: 1_800_000, shutdownGraceMs: 20_000, redeliverEveryMs: 300_000 });
    expect(() => readGithubEnv({ GITHUB_APP_ID: '7', GITHUB_PRIVATE_KEY: 'k', GITHUB_WEBHOOK_SECRET: 's', GANTRY_REDELIVER_EVERY: '30s' })).toThrow(
      'environment variable GANTRY_REDELIVER_EVERY: must be at least 1m, or off',
    );
    expect(parseDuration(ENV_VARS.GANTRY_ROLLOUT_WATCH.default)).toBe(DEFAULT_WATCH_MS);
    expect(jobLock(undefined, {}).lockDuration).toBe(30_000);
    expect(ENV_VARS.GANTRY_JOB_LOCK.defaultNote).toContain('`30s`');
  });

  describe('secrets are the declared ones, and accept NAME_FILE', () => {
    let tmp: ReturnType<typeof tempDir>;
    beforeAll(() => {
      tmp = tempDir('env-declared');
    });
    afterAll(() => tmp?.remove());

    it('every declared secret comes from its NAME_FILE; a variable not declared secret does not', () => {
      const declaredSecrets = ENV_NAMES.filter((name) => (ENV_VARS[name] as { secret?: true }).secret);
      expect([...SECRET_VARS].sort()).toEqual(declaredSecrets.sort());
      expect(SECRET_VARS).toContain('GITHUB_PRIVATE_KEY');
      const env: NodeJS.ProcessEnv = {};
      for (const name of SECRET_VARS) {
        const file = path.join(tmp.dir, name);
        writeFileSync(file, `value of ${name}\n`);
        env[`${name}_FILE`] = file;
      }
      const appIdFile = path.join(tmp.dir, 'app-id');
      writeFileSync(appIdFile, '42');
      env.GITHUB_APP_ID_FILE = appIdFile;
      resolveEnvFiles(env);
      for (const name of SECRET_VARS) expect(env[name]).toBe(`value of ${name}`);
      expect(env.GITHUB_APP_ID).toBeUndefined();
    });

    it("Probot's names are the declared aliases", () => {
      expect(Object.fromEntries(ALIASES)).toEqual({
        APP_ID: 'GITHUB_APP_ID',
        PRIVATE_KEY: 'GITHUB_PRIVATE_KEY',
        PRIVATE_KEY_PATH: 'GITHUB_PRIVATE_KEY_FILE',
        WEBHOOK_SECRET: 'GITHUB_WEBHOOK_SECRET',
      });
    });
  });
});
