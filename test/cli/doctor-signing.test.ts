import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { MAIN, writeTestConfig } from '../support/cli.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from '../support/env.js';
import { makeGpgKey, makeSshKey, stopAgents, type GpgKey, type SshKey } from '../support/signing-keys.js';

/** `gantry doctor` loads the signing key, signs and verifies a test commit, and says what GitHub needs. */
describe('gantry doctor: commit signing', () => {
  let tmp: ReturnType<typeof tempDir>;
  let config: string;
  let ssh: SshKey;
  let gpg: GpgKey;
  let gpgOther: GpgKey;
  const prefix = uniquePrefix('doctor-signing');

  beforeAll(async () => {
    tmp = tempDir('doctor-signing');
    // the demo config's committer: gantry <gantry@localhost>
    config = await writeTestConfig(tmp.dir, 'doctor-signing');
    ssh = await makeSshKey(tmp.dir, 'ssh');
    gpg = await makeGpgKey(tmp.dir, 'same', { uid: 'gantry <gantry@localhost>' });
    gpgOther = await makeGpgKey(tmp.dir, 'other', { uid: 'release bot <release@acme.example>' });
  });
  afterAll(async () => {
    await stopAgents([gpg.home, gpgOther.home]);
    await wipePrefix(prefix);
    tmp?.remove();
  });

  const doctor = (extra: Record<string, string>) =>
    run('node', [MAIN, 'doctor'], {
      cwd: tmp.dir,
      env: { ...process.env, GANTRY_CONFIG: config, REDIS_URL: redisUrl(), GANTRY_REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', ...extra },
      timeoutMs: 60_000,
    });

  it('no key: one line saying commits are unsigned', async () => {
    const r = await doctor({});
    expect(r.stdout).toMatch(/^ok +signing key: no key set \(GANTRY_SIGNING_KEY\): deploy commits are unsigned$/m);
    expect(r.stdout).not.toContain('signing key on GitHub');
  });

  it('an SSH key: format and fingerprint, verified, and the reminder to register it as a signing key', async () => {
    const fingerprint = /SHA256:\S+/.exec((await run('ssh-keygen', ['-lf', `${ssh.file}.pub`])).stdout)![0];
    const r = await doctor({ GANTRY_SIGNING_KEY_FILE: ssh.file });
    expect(r.stdout).toMatch(new RegExp(`^ok +signing key: SSH key ${fingerprint.replace(/[+/]/g, '\\$&')}: a test commit signed and verified$`, 'm'));
    expect(r.stdout).toMatch(/^ok +signing key on GitHub: GitHub shows the commits as verified only once this key is a signing key of the account with e-mail gantry@localhost/m);
    expect(r.stdout).toContain(ssh.publicKey);
    expect(r.stdout).not.toContain(ssh.privateKey.split('\n')[1]);
  });

  it('an OpenPGP key: verified; warns when the committer e-mail is not one of its identities', async () => {
    const same = await doctor({ GANTRY_SIGNING_KEY: gpg.secretKey });
    expect(same.stdout).toMatch(new RegExp(`^ok +signing key: OpenPGP key ${gpg.fingerprint}: a test commit signed and verified$`, 'm'));
    expect(same.stdout).toMatch(/^ok +signing key on GitHub: the committer e-mail gantry@localhost is an identity of the key/m);
    const other = await doctor({ GANTRY_SIGNING_KEY: gpgOther.secretKey });
    expect(other.stdout).toMatch(new RegExp(`^ok +signing key: OpenPGP key ${gpgOther.fingerprint}: a test commit signed and verified$`, 'm'));
    expect(other.stdout).toContain(
      `warn  signing key on GitHub: the committer e-mail gantry@localhost (deployRepo.author) is not an identity of key ${gpgOther.fingerprint} ` +
        '(release@acme.example): GitHub shows such commits as unverified',
    );
  });

  it('a bad key: FAIL naming the variable, exit 1, the key never printed', async () => {
    const file = path.join(tmp.dir, 'garbage.key');
    writeFileSync(file, 'totally-secret-garbage\n');
    const r = await doctor({ GANTRY_SIGNING_KEY_FILE: file });
    expect(r.stdout).toContain(`FAIL  signing key: commit signing: GANTRY_SIGNING_KEY_FILE (${file}): not a key gantry can sign with`);
    expect(r.stdout + r.stderr).not.toContain('totally-secret-garbage');
    expect(r.code).toBe(1);
  });

  it('a process that would commit refuses to start with a bad key, before it touches anything', async () => {
    const locked = await makeSshKey(tmp.dir, 'ssh-locked', 'a passphrase');
    const fresh = await writeTestConfig(tmp.dir, 'bad-key-start');
    const r = await run('node', [MAIN, 'worker'], {
      cwd: tmp.dir,
      env: { ...process.env, GANTRY_CONFIG: fresh, REDIS_URL: redisUrl(), GANTRY_REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', GANTRY_SIGNING_KEY_FILE: locked.file },
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`gantry: commit signing: GANTRY_SIGNING_KEY_FILE (${locked.file}): the SSH key is protected by a passphrase`);
    // the warm clone of the config (deployRepo.workdir) was never made
    expect(existsSync(path.join(tmp.dir, 'bad-key-start', 'work'))).toBe(false);
  });
});
