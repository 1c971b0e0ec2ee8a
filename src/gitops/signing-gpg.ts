import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { run, type ExecResult } from '../util/exec.js';
import { signFailed, signingError, type LoadedSigner } from './signing.js';
import { firstLine, type KeyInput } from './signing-ssh.js';

const TIMEOUT_MS = 15_000;

/**
 * OpenPGP signing, as git does it: `gpg --status-fd 2 -bsau <fingerprint>`, in a GNUPGHOME of
 * gantry's own (0700) into which the key is imported once, so the host's keyring is never read
 * or changed. A passphrase reaches gpg on a file descriptor of its own (`--pinentry-mode loopback
 * --passphrase-fd 3`), never in an argument or the environment another process could read.
 */
export async function gpgSigner(input: KeyInput): Promise<LoadedSigner> {
  const { where, passphrase } = input;
  const home = path.join(input.dir, 'gnupg');
  await mkdir(home, { mode: 0o700 });
  // The agent re-protects an imported key with its own KDF on first use; its usual count costs about
  // a second per signature on a loaded machine, under the branch lock. This copy lives only in this
  // 0700 directory for this process (which holds the passphrase anyway): the lowest count will do.
  await writeFile(path.join(home, 'gpg-agent.conf'), 's2k-count 65536\n', { mode: 0o600 });
  const gpg = (args: string[], stdin?: string) => gpgRun(home, args, stdin, passphrase);

  const imported = await gpg(['--import'], input.key);
  if (imported.code !== 0 && !/IMPORT_OK/.test(imported.stderr)) {
    throw signingError(`${where}: gpg cannot import the OpenPGP secret key (${gpgWhy(imported.stderr) || `exit ${imported.code}`})`);
  }
  const listed = await gpg(['--with-colons', '--fingerprint', '--list-secret-keys']);
  const { fingerprints, emails } = parseColons(listed.stdout);
  if (fingerprints.length === 0) throw signingError(`${where}: the OpenPGP block holds no secret key; give the secret key (gpg --armor --export-secret-keys <fingerprint>)`);
  if (fingerprints.length > 1) throw signingError(`${where}: the OpenPGP block holds ${fingerprints.length} secret keys; export only the one gantry signs with`);
  const id = fingerprints[0]!;
  const exported = await gpg(['--armor', '--export', id]);
  if (exported.code !== 0) throw signingError(`${where}: gpg cannot export the public key of ${id} (${gpgWhy(exported.stderr)})`);

  const signer: LoadedSigner = {
    format: 'openpgp',
    id,
    publicKey: exported.stdout,
    emails,
    async sign(payload) {
      const r = await gpg(['--status-fd', '2', '-bsau', id], payload);
      if (r.code === 0 && /^\[GNUPG:\] SIG_CREATED /m.test(r.stderr) && /^-----BEGIN PGP SIGNATURE-----\n[\s\S]+-----END PGP SIGNATURE-----\n?$/.test(r.stdout)) {
        return r.stdout;
      }
      if (passphrase && /^\[GNUPG:\] BAD_PASSPHRASE|Bad passphrase/m.test(r.stderr)) {
        throw signingError(`${where}: GANTRY_SIGNING_PASSPHRASE does not unlock the OpenPGP key ${id}`);
      }
      if (!passphrase && /MISSING_PASSPHRASE|passphrase|can't get input/i.test(r.stderr)) {
        throw signingError(`${where}: the OpenPGP key ${id} is protected by a passphrase: set GANTRY_SIGNING_PASSPHRASE`);
      }
      throw signFailed('gpg', id, r.stderr, r.code);
    },
    async verify(payload, signature) {
      const sigFile = path.join(input.dir, `verify-${randomUUID()}.asc`);
      await writeFile(sigFile, signature, { mode: 0o600 });
      try {
        const r = await gpg(['--status-fd', '1', '--verify', sigFile, '-'], payload);
        return r.code === 0 && new RegExp(`^\\[GNUPG:\\] VALIDSIG [0-9A-F]+ .* ${id}$`, 'm').test(r.stdout);
      } finally {
        await rm(sigFile, { force: true });
      }
    },
    async close() {
      // the agent gpg started for this home would otherwise outlive the process
      await run('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: home }, timeoutMs: TIMEOUT_MS }).catch(() => undefined);
    },
  };
  try {
    await signer.sign('gantry: test signature at start\n');
  } catch (e) {
    await signer.close();
    throw e;
  }
  return signer;
}

/** The secret keys' fingerprints and the e-mail addresses of their user ids, from `--with-colons`. */
function parseColons(out: string): { fingerprints: string[]; emails: string[] } {
  const fingerprints: string[] = [];
  const emails: string[] = [];
  let wantFpr = false;
  for (const line of out.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'sec') wantFpr = true;
    else if (f[0] === 'fpr' && wantFpr && f[9]) {
      fingerprints.push(f[9]);
      wantFpr = false;
    } else if (f[0] === 'uid') {
      // field 10, with gpg's \x3a escapes for colons; the address is the part in angle brackets
      const email = /<([^>\s]+@[^>\s]+)>/.exec(f[9]?.replace(/\\x3a/g, ':') ?? '')?.[1];
      if (email) emails.push(email.toLowerCase());
    }
  }
  return { fingerprints, emails };
}

/** gpg's own explanation, without its status lines. */
function gpgWhy(stderr: string): string {
  return firstLine(stderr.split('\n').filter((l) => !l.startsWith('[GNUPG:]')).join('\n'));
}

/** gpg in `home`, never prompting; the passphrase (if any) is written to descriptor 3. */
function gpgRun(home: string, args: string[], stdin: string | undefined, passphrase: string | undefined): Promise<ExecResult> {
  const full = ['--homedir', home, '--batch', '--no-tty', '--pinentry-mode', 'loopback', ...(passphrase ? ['--passphrase-fd', '3'] : []), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('gpg', full, {
      env: { ...process.env, GNUPGHOME: home, LC_ALL: 'C' },
      stdio: ['pipe', 'pipe', 'pipe', ...(passphrase ? (['pipe'] as const) : [])],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    // gpg may exit before reading everything (a bad key): its closed pipes are not an error here
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(stdin ?? '');
    if (passphrase) {
      const fd3 = child.stdio[3] as Writable;
      fd3.on('error', () => undefined);
      fd3.end(`${passphrase}\n`);
    }
  });
}
