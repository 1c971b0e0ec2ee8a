import { GantryError } from '../domain/errors.js';

/** One entry of a git tree object. */
export interface TreeEntry {
  /** as git writes it: 100644, 100755, 120000, 160000, 40000 */
  mode: string;
  name: string;
  id: string;
}

export const TREE_MODE = '40000';
const TREE_MODE_BYTES = Buffer.from(TREE_MODE, 'latin1');

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

/** Whether `p` names something inside the repo (pathParts would accept it). */
export function isInside(p: string): boolean {
  try {
    return pathParts(p).length > 0;
  } catch {
    return false;
  }
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
  /** a tree object's body, as git stores it */
  readTree(id: string): Promise<Buffer>;
  /** `base`: the object `body` was edited from, which the remote has (a push may send a delta) */
  write(type: 'blob' | 'tree', body: Buffer, base?: { id: string; body: Buffer }): string;
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

/** Where one entry of a tree body lies: `<mode> SP <name> NUL <id>` from start to end. */
interface Slot {
  start: number;
  nameStart: number;
  nameEnd: number;
  end: number;
  tree: boolean;
}

/** The byte at `i` of an entry's sort key (its name, `/` after a directory's), -1 past the end. */
function keyByte(body: Buffer, e: Slot, i: number): number {
  const n = e.nameEnd - e.nameStart;
  if (i < n) return body[e.nameStart + i]!;
  return i === n && e.tree ? 0x2f : -1;
}

function compareSlots(a: Buffer, x: Slot, b: Buffer, y: Slot): number {
  for (let i = 0; ; i++) {
    const p = keyByte(a, x, i);
    const q = keyByte(b, y, i);
    if (p !== q) return p - q;
    if (p === -1) return 0;
  }
}

/**
 * The entries' places in a tree body, without decoding them; undefined when the body is not in
 * git's order or names one entry twice (a tree git would not write: it is then rebuilt whole).
 */
function slotsOf(body: Buffer, idBytes: number): Slot[] | undefined {
  const out: Slot[] = [];
  let at = 0;
  while (at < body.length) {
    const sp = body.indexOf(0x20, at);
    const nul = sp < 0 ? -1 : body.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 1 + idBytes > body.length) throw new GantryError('INTERNAL', 'a tree object in the deploy repo is malformed');
    const s: Slot = { start: at, nameStart: sp + 1, nameEnd: nul, end: nul + 1 + idBytes, tree: body.compare(TREE_MODE_BYTES, 0, TREE_MODE_BYTES.length, at, sp) === 0 };
    if (out.length && compareSlots(body, out[out.length - 1]!, body, s) >= 0) return undefined;
    out.push(s);
    at = s.end;
  }
  return out;
}

/** How many slots sort before `key` (a lone entry in `kb`). */
function rank(body: Buffer, slots: Slot[], kb: Buffer, key: Slot): number {
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareSlots(body, slots[mid]!, kb, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function entryBytes(mode: string, name: string, id: string): Buffer {
  return Buffer.concat([Buffer.from(`${mode} ${name}\0`, 'utf8'), Buffer.from(id, 'hex')]);
}

/** An entry's bytes and its place as a lone slot, for ranking against a tree's slots. */
function probe(name: string, tree: boolean): { kb: Buffer; key: Slot } {
  const kb = Buffer.from(name, 'utf8');
  return { kb, key: { start: 0, nameStart: 0, nameEnd: kb.length, end: kb.length, tree } };
}

/** The slots named `name`: a file, a directory, or (in a tree git would flag) both. */
function find(body: Buffer, slots: Slot[], name: string): Slot[] {
  const out: Slot[] = [];
  for (const tree of [false, true]) {
    const { kb, key } = probe(name, tree);
    const s = slots[rank(body, slots, kb, key)];
    if (s && compareSlots(body, s, kb, key) === 0) out.push(s);
  }
  return out;
}

async function edit(store: ObjectStore, id: string | undefined, d: Dir): Promise<string | undefined> {
  const base = id !== undefined && !d.wipe ? await store.readTree(id) : Buffer.alloc(0);
  const slots = slotsOf(base, store.idBytes);
  if (slots === undefined) return rebuild(store, base, d);
  // the base's bytes are kept as they are; only the changed entries are cut out and put in
  const cut = new Set<Slot>();
  const put: { at: number; key: Slot; kb: Buffer; bytes: Buffer }[] = [];
  for (const [name, c] of d.children) {
    const named = find(base, slots, name);
    for (const n of named) cut.add(n);
    // what the change keeps of the old entry: a directory's content, a file's executable bit
    const old = named.find((n) => n.tree === 'children' in c);
    const oldMode = old ? base.toString('latin1', old.start, old.nameStart - 1) : undefined;
    const oldId = old ? base.toString('hex', old.nameEnd + 1, old.end) : undefined;
    let entry: { mode: string; id: string } | undefined;
    if ('children' in c) {
      const sub = await edit(store, old?.tree ? oldId : undefined, c);
      if (sub !== undefined) entry = { mode: TREE_MODE, id: sub };
    } else if (c.content !== null) {
      entry = { mode: oldMode === '100755' ? '100755' : '100644', id: store.write('blob', Buffer.from(c.content, 'utf8')) };
    }
    if (!entry) continue;
    const { kb, key } = probe(name, entry.mode === TREE_MODE);
    put.push({ at: rank(base, slots, kb, key), key, kb, bytes: entryBytes(entry.mode, name, entry.id) });
  }
  put.sort((a, b) => a.at - b.at || compareSlots(a.kb, a.key, b.kb, b.key));
  const pieces: Buffer[] = [];
  let from = 0;
  let p = 0;
  for (let i = 0; i <= slots.length; i++) {
    const s = slots[i];
    const here = s ? s.start : base.length;
    const inserts: Buffer[] = [];
    while (p < put.length && put[p]!.at === i) inserts.push(put[p++]!.bytes);
    if (!inserts.length && !(s && cut.has(s))) continue;
    pieces.push(base.subarray(from, here), ...inserts);
    from = s && cut.has(s) ? s.end : here;
  }
  pieces.push(base.subarray(from));
  const body = Buffer.concat(pieces);
  if (body.length === 0) return undefined;
  if (id !== undefined && !d.wipe && body.equals(base)) return id;
  return store.write('tree', body, id !== undefined && !d.wipe ? { id, body: base } : undefined);
}

/** A tree out of git's order edited the way `git add` would leave it: every entry sorted again. */
async function rebuild(store: ObjectStore, base: Buffer, d: Dir): Promise<string | undefined> {
  const entries = new Map(parseTree(base, store.idBytes).map((e) => [e.name, e]));
  for (const [name, c] of d.children) {
    const old = entries.get(name);
    entries.delete(name);
    if ('children' in c) {
      const sub = await edit(store, old?.mode === TREE_MODE ? old.id : undefined, c);
      if (sub !== undefined) entries.set(name, { mode: TREE_MODE, name, id: sub });
    } else if (c.content !== null) {
      entries.set(name, { mode: old?.mode === '100755' ? '100755' : '100644', name, id: store.write('blob', Buffer.from(c.content, 'utf8')) });
    }
  }
  if (entries.size === 0) return undefined;
  return store.write('tree', serializeTree([...entries.values()]));
}
