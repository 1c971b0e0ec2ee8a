/** A commit as people read it: its first seven hex digits. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
