import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEnvFiles } from '../../src/config/env-files.js';
import { loadSigner, signedCommit, type LoadedSigner } from '../../src/gitops/signing.js';
import { run } from '../../src/util/exec.js';
import { tempDir } from '../support/env.js';
import { allowedSigners, makeGpgKey, makeSshKey, stopAgents, verifierHome, verifyCommit, type GpgKey, type SshKey } from '../support/signing-keys.js';

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const PAYLOAD = [
  `tree ${EMPTY_TREE}`,
  'author gantry <gantry@localhost> 1700000000 +0000',
  'committer gantry <gantry@localhost> 1700000000 +0000',
  '',
  'promote web v1.2.3 to prod',
  '',
  'Gantry-App: web',
  'Gantry-Environment: prod',
  '',
].join('\n');

/** Signed deploy commits: keys from the environment, signatures `git verify-commit` accepts. */
describe('commit signing', () => {
  let tmp: ReturnType<typeof tempDir>;
  let repo: string;
  let ssh: SshKey;
  let ssh2: SshKey;
  let gpg: GpgKey;
  let gpgLocked: GpgKey;
  let gpg2: GpgKey;
  let signerTmp: string;
  const opened: LoadedSigner[] = [];
  const homes: string[] = [];

  const load = async (env: Record<string, string>): Promise<LoadedSigner | undefined> => {
    // as `gantry` reads its environment: NAME_FILE resolved first (src/cli/main.ts)
    const e: NodeJS.ProcessEnv = { ...env };
    resolveEnvFiles(e);
    const s = await loadSigner(e, signerTmp);
    if (s) opened.push(s);
    return s;
  };
  const refusal = async (env: Record<string, string>): Promise<string> => {
    try {
      await load(env);
    } catch (e) {
      return String(e);
    }
    throw new Error('the key was accepted');
  };
  const writeCommit = async (object: string): Promise<string> =>
    (await run('git', ['-C', repo, 'hash-object', '-t', 'commit', '-w', '--stdin'], { input: object })).stdout.trim();

  beforeAll(async () => {
    tmp = tempDir('signing');
    repo = path.join(tmp.dir, 'repo');
    signerTmp = path.join(tmp.dir, 'signer-tmp');
    await run('mkdir', ['-p', signerTmp]);
    await run('git', ['init', '-q', repo]);
    await run('git', ['-C', repo, 'mktree'], { input: '' });
    [ssh, ssh2] = await Promise.all([makeSshKey(tmp.dir, 'ssh-a'), makeSshKey(tmp.dir, 'ssh-b')]);
    gpg = await makeGpgKey(tmp.dir, 'a');
    gpgLocked = await makeGpgKey(tmp.dir, 'locked', { passphrase: 'correct horse' });
    gpg2 = await makeGpgKey(tmp.dir, 'b', { uid: 'other <other@localhost>' });
    homes.push(gpg.home, gpgLocked.home, gpg2.home);
  });
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await stopAgents(homes);
    tmp?.remove();
  });

  it('signedCommit puts gpgsig after the committer line, byte for byte as git commit-tree -S does', async () => {
    const signer = (await load({ GANTRY_SIGNING_KEY: ssh.privateKey }))!;
    const env = { ...process.env, GIT_AUTHOR_NAME: 'gantry', GIT_AUTHOR_EMAIL: 'gantry@localhost', GIT_AUTHOR_DATE: '1700000000 +0000', GIT_COMMITTER_NAME: 'gantry', GIT_COMMITTER_EMAIL: 'gantry@localhost', GIT_COMMITTER_DATE: '1700000000 +0000' };
    const message = PAYLOAD.slice(PAYLOAD.indexOf('\n\n') + 2);
    const byGit = await run('git', ['-C', repo, '-c', 'gpg.format=ssh', '-c', `user.signingkey=${ssh.file}`, 'commit-tree', '-S', EMPTY_TREE, '-F', '-'], { env, input: message });
    expect(byGit.code, byGit.stderr).toBe(0);
    const gitObject = (await run('git', ['-C', repo, 'cat-file', 'commit', byGit.stdout.trim()])).stdout;
    // ed25519 SSH signatures are deterministic: the same key and payload give the same bytes
    const ours = signedCommit(PAYLOAD, await signer.sign(PAYLOAD));
    expect(ours).toBe(gitObject);
    expect(ours.split('\n')[3]).toBe('gpgsig -----BEGIN SSH SIGNATURE-----');
  });

  it('SSH: git verify-commit accepts the commit; a tampered message or another key fails', async () => {
    const signer = (await load({ GANTRY_SIGNING_KEY: ssh.privateKey }))!;
    expect(signer.format).toBe('ssh');
    expect(signer.id).toBe(/SHA256:\S+/.exec((await run('ssh-keygen', ['-lf', `${ssh.file}.pub`])).stdout)![0]);
    const signed = signedCommit(PAYLOAD, await signer.sign(PAYLOAD));
    const allowed = allowedSigners(tmp.dir, 'a', [ssh.publicKey]);
    const good = await verifyCommit(repo, await writeCommit(signed), { allowed });
    expect(good.ok, good.output).toBe(true);
    expect(good.output).toContain('Good "git" signature for gantry@localhost with ED25519 key');
    const tampered = await verifyCommit(repo, await writeCommit(signed.replace('v1.2.3', 'v6.6.6')), { allowed });
    expect(tampered.ok).toBe(false);
    const other = (await load({ GANTRY_SIGNING_KEY: ssh2.privateKey }))!;
    const byOther = await verifyCommit(repo, await writeCommit(signedCommit(PAYLOAD, await other.sign(PAYLOAD))), { allowed });
    expect(byOther.ok).toBe(false);
    expect(await signer.verify(PAYLOAD, await signer.sign(PAYLOAD))).toBe(true);
    expect(await signer.verify(PAYLOAD.replace('web', 'api'), await signer.sign(PAYLOAD))).toBe(false);
  });

  it('OpenPGP: git verify-commit accepts the commit; a tampered message or another key fails', async () => {
    const signer = (await load({ GANTRY_SIGNING_KEY: gpg.secretKey }))!;
    expect(signer).toMatchObject({ format: 'openpgp', id: gpg.fingerprint, emails: ['gantry@localhost'] });
    const signed = signedCommit(PAYLOAD, await signer.sign(PAYLOAD));
    expect(signed).toMatch(/^committer .*\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n /m);
    const verifier = await verifierHome(tmp.dir, 'a', [gpg.publicKey]);
    homes.push(verifier);
    const good = await verifyCommit(repo, await writeCommit(signed), { gnupgHome: verifier });
    expect(good.ok, good.output).toBe(true);
    expect(good.output).toContain('Good signature from "gantry <gantry@localhost>"');
    expect((await verifyCommit(repo, await writeCommit(signed.replace('v1.2.3', 'v6.6.6')), { gnupgHome: verifier })).ok).toBe(false);
    const other = (await load({ GANTRY_SIGNING_KEY: gpg2.secretKey }))!;
    expect((await verifyCommit(repo, await writeCommit(signedCommit(PAYLOAD, await other.sign(PAYLOAD))), { gnupgHome: verifier })).ok).toBe(false);
  });

  it('OpenPGP with a passphrase: given on a descriptor, the key signs; the key from a file works too', async () => {
    const file = path.join(tmp.dir, 'locked.asc');
    writeFileSync(file, gpgLocked.secretKey);
    const signer = (await load({ GANTRY_SIGNING_KEY_FILE: file, GANTRY_SIGNING_PASSPHRASE: 'correct horse' }))!;
    expect(signer.id).toBe(gpgLocked.fingerprint);
    const verifier = await verifierHome(tmp.dir, 'locked', [gpgLocked.publicKey]);
    homes.push(verifier);
    const r = await verifyCommit(repo, await writeCommit(signedCommit(PAYLOAD, await signer.sign(PAYLOAD))), { gnupgHome: verifier });
    expect(r.ok, r.output).toBe(true);
  });

  it('no key: no signer, commits stay unsigned', async () => {
    expect(await load({})).toBeUndefined();
  });

  it('refuses bad keys at start with an error that says what and where, never the key', async () => {
    const missing = path.join(tmp.dir, 'no-such-key');
    expect(await refusal({ GANTRY_SIGNING_KEY: ssh.privateKey, GANTRY_SIGNING_KEY_FILE: ssh.file })).toBe(
      'GantryError: environment variable GANTRY_SIGNING_KEY and GANTRY_SIGNING_KEY_FILE are both set: keep one',
    );
    expect(await refusal({ GANTRY_SIGNING_KEY_FILE: missing })).toBe(`GantryError: environment variable GANTRY_SIGNING_KEY_FILE: cannot read ${missing} (ENOENT)`);
    const garbage = 'hunter2-not-a-key-at-all';
    const g = await refusal({ GANTRY_SIGNING_KEY: garbage });
    expect(g).toMatch(/^GantryError: commit signing: GANTRY_SIGNING_KEY: not a key gantry can sign with: give an OpenSSH private key/);
    expect(g).not.toContain(garbage);
    expect(await refusal({ GANTRY_SIGNING_KEY: ssh.publicKey })).toContain('GANTRY_SIGNING_KEY: an SSH public key; give the private key');
    expect(await refusal({ GANTRY_SIGNING_KEY: gpg.publicKey })).toContain('GANTRY_SIGNING_KEY: an OpenPGP public key; give the secret key');
    // a truncated OpenSSH key: ssh-keygen cannot read it
    const broken = ssh.privateKey.split('\n').filter((_, i) => i !== 2).join('\n');
    const b = await refusal({ GANTRY_SIGNING_KEY: broken });
    expect(b).toMatch(/^GantryError: commit signing: GANTRY_SIGNING_KEY: ssh-keygen cannot read the OpenSSH private key/);
    expect(b).not.toContain(ssh.privateKey.split('\n')[1]!.slice(0, 20));

    const locked = await makeSshKey(tmp.dir, 'ssh-locked', 'secret passphrase');
    chmodSync(locked.file, 0o600);
    const e = await refusal({ GANTRY_SIGNING_KEY_FILE: locked.file, GANTRY_SIGNING_PASSPHRASE: 'secret passphrase' });
    expect(e).toBe(
      `GantryError: commit signing: GANTRY_SIGNING_KEY_FILE (${locked.file}): the SSH key is protected by a passphrase, and ssh-keygen cannot ` +
        "take one without a terminal; keep a copy without it as the secret (cp key signing-key && ssh-keygen -p -N '' -f signing-key)",
    );
    expect(e).not.toContain('secret passphrase');

    const wrong = await refusal({ GANTRY_SIGNING_KEY: gpgLocked.secretKey, GANTRY_SIGNING_PASSPHRASE: 'wrong horse' });
    expect(wrong).toBe(`GantryError: commit signing: GANTRY_SIGNING_KEY: GANTRY_SIGNING_PASSPHRASE does not unlock the OpenPGP key ${gpgLocked.fingerprint}`);
    const none = await refusal({ GANTRY_SIGNING_KEY: gpgLocked.secretKey });
    expect(none).toBe(`GantryError: commit signing: GANTRY_SIGNING_KEY: the OpenPGP key ${gpgLocked.fingerprint} is protected by a passphrase: set GANTRY_SIGNING_PASSPHRASE`);
    // a refused key leaves no copy behind
    expect(readdirSync(signerTmp).length).toBe(opened.length);
  });

  it('a closed signer leaves no copy of the key on disk', async () => {
    const before = readdirSync(signerTmp).length;
    const s = (await load({ GANTRY_SIGNING_KEY: gpg.secretKey }))!;
    expect(readdirSync(signerTmp).length).toBe(before + 1);
    await s.close();
    expect(readdirSync(signerTmp).length).toBe(before);
  });
});
