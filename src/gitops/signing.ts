/**
 * The hook through which deploy commits are signed. The commit writer (src/gitops/commit-writer.ts)
 * builds the commit payload, asks the signer for an ASCII-armored signature of it, and stores the
 * signed object; how the key is found and used (SSH or OpenPGP) lives behind this interface.
 */
export interface Signer {
  readonly format: 'ssh' | 'openpgp';
  /** the key's identity as shown to a person (a fingerprint or key id), never the key itself */
  readonly id: string;
  /** the ASCII-armored signature of `payload` (the commit object without a signature header) */
  sign(payload: string): Promise<string>;
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
  if (at < 0) throw new Error('signedCommit: the payload has no committer line');
  const sig = signature.replace(/\n+$/, '').split('\n');
  lines.splice(at + 1, 0, `gpgsig ${sig[0] ?? ''}`, ...sig.slice(1).map((l) => ` ${l}`));
  return lines.join('\n') + (headerEnd < 0 ? '' : payload.slice(headerEnd));
}
