import { GantryError } from '../domain/errors.js';

/** One entry of a git tree object. */
export interface TreeEntry {
  /** as git writes it: 100644, 100755, 120000, 160000, 40000 */
  mode: string;
  name: string;
  id: string;
}

export const TREE_MODE = '40000';

/** `<mode> SP <name> NUL <raw id>`, repeated; ids are 20 bytes (sha1) or 32 (sha256). */
export function parseTree(body: Buffer, idBytes: number): TreeEntry[] {
  const out: TreeEntry[] = [];
  let at = 0;
  while (at < body.length) {
    const sp = body.indexOf(0x20, at);
    const nul = body.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 1 + idBytes > body.length) throw new GantryError('INTERNAL', 'a tree object in the deploy repo is malformed');
    out.push({
      mode: body.subarray(at, sp).toString('latin1'),
      name: body.subarray(sp + 1, nul).toString('utf8'),
      id: body.subarray(nul + 1, nul + 1 + idBytes).toString('hex'),
    });
    at = nul + 1 + idBytes;
  }
  return out;
}

/** git's order: by bytes, a directory compared as if its name ended in `/` (so `a.yaml` < `a/` < `a0`). */
function sortKey(e: TreeEntry): Buffer {
  return Buffer.from(e.mode === TREE_MODE ? `${e.name}/` : e.name, 'utf8');
}

export function serializeTree(entries: TreeEntry[]): Buffer {
  const sorted = entries.map((e) => ({ e, k: sortKey(e) })).sort((a, b) => Buffer.compare(a.k, b.k));
  return Buffer.concat(sorted.flatMap(({ e }) => [Buffer.from(`${e.mode} ${e.name}\0`, 'utf8'), Buffer.from(e.id, 'hex')]));
}

/** A file's new text, or null: the file is deleted. */
type Leaf = { content: string | null };
/** A directory of the change set; `wipe`: what the base had there is dropped first (a replaced directory). */
interface Dir {
  wipe: boolean;
  children: Map<string, Dir | Leaf>;
}

/** What a commit changes, as paths from the repo root. */
export interface ChangeSet {
  /** path → new text, or null to delete the file */
  files: ReadonlyMap<string, string | null>;
  /** directories whose whole content is dropped before `files` are applied (a preview replaced or removed) */
  replaceDirs?: readonly string[];
}

/** Splits a repo path, refusing what git would refuse or what could leave the repo. */
export function pathParts(p: string): string[] {
  const parts = p.split('/');
  const bad = parts.find((s) => s === '' || s === '.' || s === '..' || s.toLowerCase() === '.git' || s.includes('\0'));
  if (bad !== undefined) throw new GantryError('INPUT_INVALID', `${JSON.stringify(p)}: not a path inside the deploy repo`);
  return parts;
}

function changeTree(c: ChangeSet): Dir {
  const root: Dir = { wipe: false, children: new Map() };
  const dirAt = (parts: string[], whole: string): Dir => {
    let d = root;
    for (const name of parts) {
      let next = d.children.get(name);
      if (next === undefined) {
        next = { wipe: false, children: new Map() };
        d.children.set(name, next);
      }
      if (!('children' in next)) throw new GantryError('INPUT_INVALID', `${whole}: a file and a directory of one change share a path`);
      d = next;
    }
    return d;
  };
  for (const dir of c.replaceDirs ?? []) dirAt(pathParts(dir), dir).wipe = true;
  for (const [p, content] of c.files) {
    const parts = pathParts(p);
    const parent = dirAt(parts.slice(0, -1), p);
    const name = parts[parts.length - 1]!;
    if (parent.children.has(name)) throw new GantryError('INPUT_INVALID', `${p}: a file and a directory of one change share a path`);
    parent.children.set(name, { content });
  }
  return root;
}

export interface ObjectStore {
  readonly idBytes: number;
  readTree(id: string): Promise<TreeEntry[]>;
  write(type: 'blob' | 'tree', body: Buffer): string;
}

/**
 * The root tree of `base` with `change` applied. Only the trees on changed paths are read and
 * written: the cost follows the depth of the change, not the size of the repo. Untouched entries
 * keep their mode (executables, symlinks, submodules); a changed file keeps its executable bit; a
 * directory left empty disappears; a file may replace a directory and a directory a file, as
 * `git add`/`git rm` would leave them. Undefined: the whole tree is empty.
 */
export async function editTree(store: ObjectStore, base: string | undefined, change: ChangeSet): Promise<string | undefined> {
  return edit(store, base, changeTree(change));
}

async function edit(store: ObjectStore, id: string | undefined, d: Dir): Promise<string | undefined> {
  const before = id !== undefined && !d.wipe ? await store.readTree(id) : [];
  const entries = new Map(before.map((e) => [e.name, e]));
  for (const [name, c] of d.children) {
    const old = entries.get(name);
    if ('children' in c) {
      const sub = await edit(store, old?.mode === TREE_MODE ? old.id : undefined, c);
      if (sub === undefined) entries.delete(name);
      else entries.set(name, { mode: TREE_MODE, name, id: sub });
    } else if (c.content === null) {
      entries.delete(name);
    } else {
      const blob = store.write('blob', Buffer.from(c.content, 'utf8'));
      entries.set(name, { mode: old?.mode === '100755' ? '100755' : '100644', name, id: blob });
    }
  }
  if (entries.size === 0) return undefined;
  const body = serializeTree([...entries.values()]);
  if (id !== undefined && !d.wipe && body.equals(serializeTree(before))) return id;
  return store.write('tree', body);
}
