import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../../src/util/exec.js';

/** Keys made by the real tools for the signing tests, and the verifier's side of `git verify-commit`. */

export interface SshKey {
  /** the private key file (OpenSSH format) */
  file: string;
  privateKey: string;
  /** `ssh-ed25519 AAAA… comment` */
  publicKey: string;
}

export async function makeSshKey(dir: string, name: string, passphrase = ''): Promise<SshKey> {
  const file = path.join(dir, name);
  const r = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', `${name}@gantry.test`, '-f', file]);
  if (r.code !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
  return { file, privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

export interface GpgKey {
  fingerprint: string;
  /** ASCII-armored secret key, as `gpg --armor --export-secret-keys` gives it */
  secretKey: string;
  publicKey: string;
  home: string;
}

const gpgEnv = (home: string) => ({ ...process.env, GNUPGHOME: home, LC_ALL: 'C' });

export async function makeGpgKey(dir: string, name: string, opts: { uid?: string; passphrase?: string } = {}): Promise<GpgKey> {
  const home = path.join(dir, `gnupg-${name}`);
  mkdirSync(home, { mode: 0o700 });
  const pass = ['--pinentry-mode', 'loopback', '--passphrase', opts.passphrase ?? ''];
  const gpg = async (...args: string[]) => {
    const r = await run('gpg', ['--batch', ...args], { env: gpgEnv(home) });
    if (r.code !== 0) throw new Error(`gpg ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await gpg(...pass, '--quick-gen-key', opts.uid ?? 'gantry <gantry@localhost>', 'ed25519', 'sign', 'never');
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(await gpg('--with-colons', '--fingerprint', '--list-secret-keys'))![1]!;
  const secretKey = await gpg(...pass, '--armor', '--export-secret-keys', fingerprint);
  const publicKey = await gpg('--armor', '--export', fingerprint);
  return { fingerprint, secretKey, publicKey, home };
}

/** A GNUPGHOME that knows only `publicKeys`: the verifier's side. */
export async function verifierHome(dir: string, name: string, publicKeys: string[]): Promise<string> {
  const home = path.join(dir, `verifier-${name}`);
  mkdirSync(home, { mode: 0o700 });
  for (const key of publicKeys) {
    const r = await run('gpg', ['--batch', '--import'], { env: gpgEnv(home), input: key });
    if (r.code !== 0) throw new Error(`gpg --import: ${r.stderr}`);
  }
  return home;
}

/** An allowed-signers file (gpg.ssh.allowedSignersFile) naming `publicKeys`. */
export function allowedSigners(dir: string, name: string, publicKeys: string[]): string {
  const file = path.join(dir, `allowed-${name}`);
  writeFileSync(file, publicKeys.map((k) => `gantry@localhost namespaces="git" ${k}\n`).join(''));
  return file;
}

/** Stops the gpg-agents the tests' homes started. */
export async function stopAgents(homes: string[]): Promise<void> {
  await Promise.all(homes.map((home) => run('gpgconf', ['--kill', 'all'], { env: gpgEnv(home) })));
}

/** `git verify-commit` in `repo`, as a verifier with `allowed` (SSH) or `gnupgHome` (OpenPGP). */
export async function verifyCommit(repo: string, sha: string, v: { allowed?: string; gnupgHome?: string }): Promise<{ ok: boolean; output: string }> {
  const args = ['-C', repo, '-c', `gpg.ssh.allowedSignersFile=${v.allowed ?? '/dev/null'}`, 'verify-commit', '-v', sha];
  const r = await run('git', args, { env: { ...process.env, ...(v.gnupgHome ? { GNUPGHOME: v.gnupgHome } : {}), LC_ALL: 'C' } });
  return { ok: r.code === 0, output: r.stdout + r.stderr };
}
