import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigner, type LoadedSigner } from '../../src/gitops/signing.js';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { tempDir } from '../support/env.js';
import { startHarness, type Harness } from '../support/harness.js';
import { allowedSigners, makeGpgKey, makeSshKey, stopAgents, verifierHome, verifyCommit } from '../support/signing-keys.js';

/** A promotion through a real gantry with a signing key: the deploy repo's new commit passes `git verify-commit`. */
describe('signed deploy commits, end to end', () => {
  let tmp: ReturnType<typeof tempDir>;
  const homes: string[] = [];
  const signers: LoadedSigner[] = [];
  let h: Harness | undefined;

  beforeAll(() => {
    tmp = tempDir('signing-e2e');
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all(signers.map((s) => s.close()));
    await stopAgents(homes);
    tmp?.remove();
  });

  /** /promote through a gantry signing with the key of `env` (as GANTRY_SIGNING_KEY…); the new head of the deploy branch. */
  const promoteSigned = async (name: string, env: Record<string, string>): Promise<{ h: Harness; sha: string; before: string }> => {
    const signer = (await loadSigner(env))!;
    signers.push(signer);
    await h?.close();
    h = await startHarness({ name, gantry: { signer } });
    for (const v of ['v1.2.0', 'v1.2.3']) await h.release(v);
    const before = await h.head();
    const reply = await h.run('carol', '/promote v1.2.3 qa');
    expect(reply.ok, reply.text).toBe(true);
    const sha = await h.head();
    expect(reply.result?.commit).toBe(sha);
    return { h, sha, before };
  };

  it('SSH key: the promotion commit verifies; its files and trailers are as without signing', async () => {
    const key = await makeSshKey(tmp.dir, 'deploy-ssh');
    const { h, sha, before } = await promoteSigned('signing-e2e-ssh', { GANTRY_SIGNING_KEY: key.privateKey });
    expect(sha).not.toBe(before);
    expect(await h.file('apps/web/qa/deployment.yaml')).toContain('registry.example.com/acme/web:v1.2.3');
    expect(parseDeployTrailers(await h.git('log', '-1', '--format=%B', 'main'))).toMatchObject({ app: 'web', env: 'qa', version: 'v1.2.3', action: 'promote' });
    const ok = await verifyCommit(h.bare, sha, { allowed: allowedSigners(tmp.dir, 'e2e-ssh', [key.publicKey]) });
    expect(ok.ok, ok.output).toBe(true);
    expect(ok.output).toContain('Good "git" signature for gantry@localhost with ED25519 key');
    // another verifier's key does not pass it: the signature is this key's
    const other = await makeSshKey(tmp.dir, 'not-deploy');
    expect((await verifyCommit(h.bare, sha, { allowed: allowedSigners(tmp.dir, 'e2e-other', [other.publicKey]) })).ok).toBe(false);
    // the commit before (the seed, unsigned) has no signature: verify-commit refuses it
    expect((await verifyCommit(h.bare, before, { allowed: allowedSigners(tmp.dir, 'e2e-ssh2', [key.publicKey]) })).ok).toBe(false);
  });

  it('OpenPGP key with a passphrase: the promotion commit verifies', async () => {
    const key = await makeGpgKey(tmp.dir, 'deploy-gpg', { passphrase: 'deploy pass' });
    homes.push(key.home);
    const { h, sha } = await promoteSigned('signing-e2e-gpg', { GANTRY_SIGNING_KEY: key.secretKey, GANTRY_SIGNING_PASSPHRASE: 'deploy pass' });
    const verifier = await verifierHome(tmp.dir, 'e2e-gpg', [key.publicKey]);
    homes.push(verifier);
    const ok = await verifyCommit(h.bare, sha, { gnupgHome: verifier });
    expect(ok.ok, ok.output).toBe(true);
    expect(ok.output).toContain(`using EDDSA key ${key.fingerprint}`);
    expect(ok.output).toContain('Good signature from "gantry <gantry@localhost>"');
  });
});
