import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GantryError } from '../domain/errors.js';
import { gpgSigner } from './signing-gpg.js';
import { sshSigner } from './signing-ssh.js';

/**
 * The hook through which deploy commits are signed. The commit writer builds the commit payload,
 * asks the signer for an ASCII-armored signature of it, and stores the signed object; how the key
 * is found and used (SSH or OpenPGP) lives behind this interface.
 */
export interface Signer {
  readonly format: 'ssh' | 'openpgp';
  /** the key's fingerprint (`SHA256:…` for SSH, 40 hex digits for OpenPGP), never the key itself */
  readonly id: string;
  /** the ASCII-armored signature of `payload` (the commit object without a signature header) */
  sign(payload: string): Promise<string>;
}

/** A signer made from a key of the environment: what `gantry doctor` shows, and its private files to remove. */
export interface LoadedSigner extends Signer {
  /** the public half: an `ssh-ed25519 AAAA…` line, or the ASCII-armored OpenPGP public key */
  readonly publicKey: string;
  /** the e-mail addresses of the key's OpenPGP user ids (an SSH key names none) */
  readonly emails: readonly string[];
  /** whether `signature` is this key's over `payload` (ssh-keygen -Y verify / gpg --verify) */
  verify(payload: string, signature: string): Promise<boolean>;
  /** removes the private copy of the key (and stops the gpg-agent of its GNUPGHOME) */
  close(): Promise<void>;
}

/**
 * The commit object with `signature` in a `gpgsig` header right after the committer line, each
 * continuation line prefixed by a space, as git writes it (so `git verify-commit` finds it).
 */
export function signedCommit(payload: string, signature: string): string {
  const headerEnd = payload.indexOf('\n\n');
  const head = headerEnd < 0 ? payload : payload.slice(0, headerEnd);
  const lines = head.split('\n');
  const at = lines.findIndex((l) => l.startsWith('committer '));
  if (at < 0) throw new GantryError('INTERNAL', 'cannot sign the commit: its payload has no committer line');
  const sig = signature.replace(/\n+$/, '').split('\n');
  lines.splice(at + 1, 0, `gpgsig ${sig[0] ?? ''}`, ...sig.slice(1).map((l) => ` ${l}`));
  return lines.join('\n') + (headerEnd < 0 ? '' : payload.slice(headerEnd));
}

/**
 * The environment the key comes from: GANTRY_SIGNING_KEY (GANTRY_SIGNING_KEY_FILE is read into it
 * at start, src/config/env-files.ts, and only named in errors) and GANTRY_SIGNING_PASSPHRASE.
 */
export type SigningEnv = Readonly<Record<string, string | undefined>>;

const KEY_VAR = 'GANTRY_SIGNING_KEY';

/** What a key given to gantry is, from its armor; public keys and other PEM keys are told apart to say what to give instead. */
type KeyKind = 'ssh' | 'openpgp' | 'openpgp-public' | 'ssh-public' | 'pem' | 'unknown';

function kindOf(key: string): KeyKind {
  if (key.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----')) return 'ssh';
  if (key.startsWith('-----BEGIN PGP PRIVATE KEY BLOCK-----')) return 'openpgp';
  if (key.startsWith('-----BEGIN PGP PUBLIC KEY BLOCK-----')) return 'openpgp-public';
  if (/^(ssh-|ecdsa-sha2-|sk-)[a-z0-9@.-]+ AAAA/.test(key)) return 'ssh-public';
  if (/^-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) return 'pem';
  return 'unknown';
}

/**
 * The key text as the tools want it: a key pasted into a one-line env file has `\n` escapes for
 * its newlines, and ssh-keygen refuses a key without its final newline.
 */
function normalise(key: string): string {
  const text = !key.includes('\n') && key.includes('\\n') ? key.replaceAll('\\n', '\n') : key;
  return `${text.replace(/\r\n/g, '\n').trim()}\n`;
}

/**
 * The deploy-commit signer of the environment, or undefined when no key is set (commits go out
 * unsigned). A key that cannot sign (unknown format, encrypted SSH key, wrong passphrase) is
 * refused here, at start, with an error that names the variable and never shows the key: a
 * test signature is made before anything is returned. The key's private copy lives in a 0700
 * directory under `tmpBase` (the system's temp directory: short enough for gpg-agent's socket
 * path, and not in the state volume, so it does not outlive the process), removed on close.
 */
export async function loadSigner(env: SigningEnv, tmpBase: string = os.tmpdir()): Promise<LoadedSigner | undefined> {
  const raw = env.GANTRY_SIGNING_KEY;
  const passphrase = env.GANTRY_SIGNING_PASSPHRASE || undefined;
  // the file's name, when the key came from one (NAME_FILE, as every secret may: src/config/env-files.ts)
  const file = env[`${KEY_VAR}_FILE`];
  const where = file ? `${KEY_VAR}_FILE (${file})` : KEY_VAR;
  if (raw === undefined || raw === '') {
    if (passphrase) throw signingError('GANTRY_SIGNING_PASSPHRASE is set, but no key is: set GANTRY_SIGNING_KEY or GANTRY_SIGNING_KEY_FILE');
    return undefined;
  }
  const key = normalise(raw);
  const kind = kindOf(key);
  if (kind !== 'ssh' && kind !== 'openpgp') throw signingError(`${where}: ${refusal(kind)}`);
  const dir = await mkdtemp(path.join(tmpBase, 'gantry-signing-'));
  // a crash must not leave the key behind: removed synchronously when the process exits
  const onExit = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', onExit);
  const cleanup = async () => {
    process.removeListener('exit', onExit);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const signer = kind === 'ssh' ? await sshSigner({ key, dir, where, passphrase }) : await gpgSigner({ key, dir, where, passphrase });
    const close = signer.close;
    return Object.assign(signer, {
      close: async () => {
        await close();
        await cleanup();
      },
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
}

function refusal(kind: Exclude<KeyKind, 'ssh' | 'openpgp'>): string {
  switch (kind) {
    case 'openpgp-public':
      return 'an OpenPGP public key; give the secret key (gpg --armor --export-secret-keys <fingerprint>)';
    case 'ssh-public':
      return 'an SSH public key; give the private key (the file without .pub)';
    case 'pem':
      return 'a PEM private key; gantry signs with an OpenSSH private key: convert a copy with ssh-keygen -p -f <copy>';
    case 'unknown':
      return 'not a key gantry can sign with: give an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----) or an ASCII-armored OpenPGP secret key (-----BEGIN PGP PRIVATE KEY BLOCK-----)';
  }
}

/** A key that cannot be used is a configuration error: the message names the variable and the fix, never the key. */
export function signingError(text: string): GantryError {
  return new GantryError('CONFIG_INVALID', `commit signing: ${text}`);
}

/** A failed signature while committing: the tool's first lines say why (they never hold the key). */
export function signFailed(tool: string, id: string, stderr: string, code: number): GantryError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('[GNUPG:]'));
  const why = [...new Set(lines)].slice(0, 2).join('; ');
  return new GantryError('INTERNAL', `cannot sign the deploy commit with key ${id}: ${tool} ${why || `exited with ${code}`}`);
}
