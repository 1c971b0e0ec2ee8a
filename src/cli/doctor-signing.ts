import { isGantryError } from '../domain/errors.js';
import { loadSigner, type LoadedSigner } from '../gitops/signing.js';
import type { Booted } from './bootstrap.js';

interface Check {
  name: string;
  ok: boolean | 'warn';
  detail: string;
  fix?: string;
}

const NAME = 'signing key';

/**
 * Whether deploy commits will be signed, and verified where it counts: the key is loaded as
 * `gantry` loads it, signs a commit payload and the signature is checked with the public half;
 * then what GitHub needs to show the commits as verified (the committer's address among the
 * OpenPGP key's identities; an SSH key registered on the bot account as a signing key).
 */
export async function checkSigning(booted: Booted, add: (c: Check) => void, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let signer: LoadedSigner | undefined;
  try {
    signer = await loadSigner(env);
  } catch (e) {
    add({ name: NAME, ok: false, detail: isGantryError(e) ? e.message : String(e), fix: 'correct the key named above, or unset GANTRY_SIGNING_KEY to commit unsigned' });
    return;
  }
  if (!signer) {
    add({ name: NAME, ok: true, detail: 'no key set (GANTRY_SIGNING_KEY): deploy commits are unsigned' });
    return;
  }
  try {
    const { author } = booted.gantry.core.config.deployRepo;
    const format = signer.format === 'ssh' ? 'SSH' : 'OpenPGP';
    const payload = testPayload(`${author.name} <${author.email}>`);
    const verified = await signer.verify(payload, await signer.sign(payload));
    if (!verified) {
      add({ name: NAME, ok: false, detail: `${format} key ${signer.id} signed a test commit, but its public half does not verify the signature` });
      return;
    }
    add({ name: NAME, ok: true, detail: `${format} key ${signer.id}: a test commit signed and verified` });
    if (signer.format === 'ssh') {
      add({
        name: `${NAME} on GitHub`,
        ok: true,
        detail:
          `GitHub shows the commits as verified only once this key is a signing key of the account with e-mail ${author.email} ` +
          `(Settings > SSH and GPG keys > New SSH key, type "Signing Key"): ${signer.publicKey}`,
      });
    } else if (!signer.emails.includes(author.email.toLowerCase())) {
      add({
        name: `${NAME} on GitHub`,
        ok: 'warn',
        detail:
          `the committer e-mail ${author.email} (deployRepo.author) is not an identity of key ${signer.id} ` +
          `(${signer.emails.join(', ') || 'it has none'}): GitHub shows such commits as unverified`,
        fix: `add the address to the key (gpg --quick-add-uid ${signer.id} '${author.name} <${author.email}>') or set deployRepo.author.email to one of the key's`,
      });
    } else {
      add({ name: `${NAME} on GitHub`, ok: true, detail: `the committer e-mail ${author.email} is an identity of the key; add the public key to that account (Settings > SSH and GPG keys > New GPG key)` });
    }
  } catch (e) {
    add({ name: NAME, ok: false, detail: isGantryError(e) ? e.message : String(e) });
  } finally {
    await signer.close();
  }
}

/** A commit object as gantry writes one, so the check signs what deploys will sign. */
function testPayload(who: string): string {
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  return `tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor ${who} ${when}\ncommitter ${who} ${when}\n\ngantry doctor: test signature\n`;
}
