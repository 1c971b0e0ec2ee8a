import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../util/exec.js';
import { signFailed, signingError, type LoadedSigner } from './signing.js';

/** git's namespace for commit signatures: a signature made for another use does not verify as a commit's */
const NAMESPACE = 'git';
const TIMEOUT_MS = 15_000;
/** who the allowed-signers line of the self-check names; any principal works, the key is what matters */
const PRINCIPAL = 'gantry';

export interface KeyInput {
  /** the key text, normalised (one final newline) */
  key: string;
  /** a private 0700 directory for the key's copy, removed by the caller */
  dir: string;
  /** which variable the key came from, for errors */
  where: string;
  passphrase: string | undefined;
}

/**
 * SSH signing, as git does it with gpg.format=ssh: `ssh-keygen -Y sign -n git -f <key>`. The key
 * must have no passphrase: ssh-keygen asks for one only on a terminal (or through an agent),
 * which a server has not, so an encrypted key is refused at start rather than failing each deploy.
 */
export async function sshSigner(input: KeyInput): Promise<LoadedSigner> {
  const { dir, where } = input;
  const keyFile = path.join(dir, 'signing-key');
  await writeFile(keyFile, input.key, { mode: 0o600, flag: 'wx' });
  // -P '': an encrypted key fails here instead of prompting
  const pub = await run('ssh-keygen', ['-y', '-P', '', '-f', keyFile], { timeoutMs: TIMEOUT_MS });
  if (pub.code !== 0) {
    if (/passphrase/i.test(pub.stderr)) {
      throw signingError(
        `${where}: the SSH key is protected by a passphrase, and ssh-keygen cannot take one without a terminal; ` +
          `keep a copy without it as the secret (cp key signing-key && ssh-keygen -p -N '' -f signing-key)`,
      );
    }
    throw signingError(`${where}: ssh-keygen cannot read the OpenSSH private key (${firstLine(pub.stderr) || `exit ${pub.code}`})`);
  }
  if (input.passphrase) {
    throw signingError(`${where}: the SSH key has no passphrase, yet GANTRY_SIGNING_PASSPHRASE is set: unset it (it is for OpenPGP keys)`);
  }
  const publicKey = pub.stdout.trim();
  const pubFile = `${keyFile}.pub`;
  await writeFile(pubFile, `${publicKey}\n`, { mode: 0o600 });
  const fp = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile], { timeoutMs: TIMEOUT_MS });
  const id = /\b(SHA256:[A-Za-z0-9+/=]+)/.exec(fp.stdout)?.[1];
  if (fp.code !== 0 || !id) throw signingError(`${where}: ssh-keygen cannot tell the key's fingerprint (${firstLine(fp.stderr) || `exit ${fp.code}`})`);
  const allowed = path.join(dir, 'allowed-signers');
  await writeFile(allowed, `${PRINCIPAL} namespaces="${NAMESPACE}" ${publicKey}\n`, { mode: 0o600 });

  const signer: LoadedSigner = {
    format: 'ssh',
    id,
    publicKey,
    emails: [],
    async sign(payload) {
      const r = await run('ssh-keygen', ['-Y', 'sign', '-n', NAMESPACE, '-f', keyFile], { input: payload, timeoutMs: TIMEOUT_MS });
      const sig = r.stdout;
      if (r.code !== 0 || !/^-----BEGIN SSH SIGNATURE-----\n[\s\S]+\n-----END SSH SIGNATURE-----\n?$/.test(sig)) {
        throw signFailed('ssh-keygen', id, r.stderr, r.code);
      }
      return sig;
    },
    async verify(payload, signature) {
      const sigFile = path.join(dir, `verify-${randomUUID()}.sig`);
      await writeFile(sigFile, signature, { mode: 0o600 });
      try {
        const args = ['-Y', 'verify', '-f', allowed, '-I', PRINCIPAL, '-n', NAMESPACE, '-s', sigFile];
        return (await run('ssh-keygen', args, { input: payload, timeoutMs: TIMEOUT_MS })).code === 0;
      } finally {
        await rm(sigFile, { force: true });
      }
    },
    async close() {
      // the directory is removed by loadSigner
    },
  };
  await signer.sign('gantry: test signature at start\n');
  return signer;
}

export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}
