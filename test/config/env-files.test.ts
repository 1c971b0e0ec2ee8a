import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEnvFiles, secretFromEnv } from '../../src/config/env-files.js';
import { run } from '../../src/util/exec.js';
import { MAIN, spawnServer, writeTestConfig } from '../support/cli.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from '../support/env.js';

/** Secrets from files (NAME_FILE), as Kubernetes and compose mount them, and Probot's variable names. */
describe('secrets from files, and Probot\'s names', () => {
  let tmp: ReturnType<typeof tempDir>;
  const file = (name: string, content: string) => {
    const p = path.join(tmp.dir, name);
    writeFileSync(p, content);
    return p;
  };
  beforeAll(() => {
    tmp = tempDir('env-files');
  });
  afterAll(() => tmp?.remove());

  it('reads NAME_FILE into NAME, dropping one trailing newline and keeping the rest', () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n';
    const env: NodeJS.ProcessEnv = { SLACK_BOT_TOKEN_FILE: file('slack', 'xoxb-from-a-file\n'), GITHUB_PRIVATE_KEY_FILE: file('key.pem', `${key}\n`) };
    resolveEnvFiles(env);
    expect(env.SLACK_BOT_TOKEN).toBe('xoxb-from-a-file');
    expect(env.GITHUB_PRIVATE_KEY).toBe(key);
  });

  it('refuses a secret set two ways, a missing, empty or huge file; the error names the variable and the path, never a value', () => {
    const both = { GANTRY_API_TOKEN: 'in-the-env-0123456789abcdef', GANTRY_API_TOKEN_FILE: file('api', 'in-a-file-0123456789abcdef') };
    expect(() => resolveEnvFiles(both)).toThrow('environment variable GANTRY_API_TOKEN and GANTRY_API_TOKEN_FILE are both set: keep one');
    const missing = path.join(tmp.dir, 'nope');
    expect(() => resolveEnvFiles({ REDIS_URL_FILE: missing })).toThrow(`environment variable REDIS_URL_FILE: cannot read ${missing} (ENOENT)`);
    expect(() => resolveEnvFiles({ SMTP_URL_FILE: file('empty', '\n') })).toThrow(/SMTP_URL_FILE: .*empty is empty/);
    expect(() => resolveEnvFiles({ SLACK_APP_TOKEN_FILE: file('big', 'x'.repeat(70_000)) })).toThrow(/is over 65536 bytes; is it the secret\?/);
    try {
      resolveEnvFiles(both);
    } catch (e) {
      expect(String(e)).not.toContain('0123456789abcdef');
    }
  });

  it('takes Probot\'s APP_ID, PRIVATE_KEY_PATH and WEBHOOK_SECRET; a conflict with gantry\'s name is refused', () => {
    const env: NodeJS.ProcessEnv = { APP_ID: '12345', PRIVATE_KEY_PATH: file('probot.pem', 'PEM\n'), WEBHOOK_SECRET: 'probot-secret' };
    resolveEnvFiles(env);
    expect([env.GITHUB_APP_ID, env.GITHUB_PRIVATE_KEY, env.GITHUB_WEBHOOK_SECRET]).toEqual(['12345', 'PEM', 'probot-secret']);
    expect(() => resolveEnvFiles({ APP_ID: '1', GITHUB_APP_ID: '2' })).toThrow("APP_ID is Probot's name for GITHUB_APP_ID, and both are set: keep one");
    // the same value twice is no conflict
    expect(() => resolveEnvFiles({ APP_ID: '1', GITHUB_APP_ID: '1' })).not.toThrow();
  });

  it('a secret the config names by variable (urlEnv, secretEnv, routingKeyEnv) may come from its _FILE too', () => {
    expect(secretFromEnv({ PD_KEY: 'direct' }, 'PD_KEY')).toBe('direct');
    expect(secretFromEnv({ PD_KEY_FILE: file('pd', 'from-file\n') }, 'PD_KEY')).toBe('from-file');
    expect(secretFromEnv({}, 'PD_KEY')).toBeUndefined();
  });

  describe('gantry web with its secrets as files, bound to every address', () => {
    const prefix = uniquePrefix('env-files');
    afterAll(() => wipePrefix(prefix));

    it('serves the API with the token from GANTRY_API_TOKEN_FILE, on GANTRY_HOST', async () => {
      const conf = await writeTestConfig(tmp.dir, 'web');
      const token = file('api-token', 'api-token-from-a-mounted-file-0123456789\n');
      chmodSync(token, 0o400);
      const server = await spawnServer(['web'], { GANTRY_CONFIG: conf, REDIS_URL: '', REDIS_URL_FILE: file('redis-url', `${redisUrl()}\n`), GANTRY_REDIS_PREFIX: prefix, GANTRY_API_TOKEN_FILE: token, GANTRY_HOST: '0.0.0.0' }, tmp.dir);
      try {
        const status = (bearer: string) => fetch(`${server.base}/api/status`, { headers: { authorization: `Bearer ${bearer}` } }).then((r) => r.status);
        expect(await status('api-token-from-a-mounted-file-0123456789')).toBe(200);
        expect(await status('api-token-from-a-mounted-file-0123456789x')).toBe(401);
      } finally {
        await server.stop();
      }
    });

    it('a secret set two ways stops gantry at start, naming the variables', async () => {
      const conf = await writeTestConfig(tmp.dir, 'twice');
      const r = await run('node', [MAIN, 'web'], {
        cwd: tmp.dir,
        env: { ...process.env, GANTRY_CONFIG: conf, REDIS_URL: redisUrl(), REDIS_URL_FILE: file('r2', redisUrl()), PORT: '0' },
        timeoutMs: 30_000,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('gantry: environment variable REDIS_URL and REDIS_URL_FILE are both set: keep one\n');
    });
  });
});
