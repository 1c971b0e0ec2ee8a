import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { GantryError } from '../domain/errors.js';
import { isInside, parseTree, TREE_MODE } from './tree-edit.js';

export interface GitObject {
  id: string;
  type: 'blob' | 'tree' | 'commit' | 'tag';
  body: Buffer;
}

interface Pending {
  resolve(o: GitObject | undefined): void;
  reject(e: Error): void;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/**
 * One long-lived `git cat-file --batch` per clone: reading a manifest, a tree or a commit costs a
 * line on a pipe instead of a process (~3 ms each here). Requests are pipelined in order; the
 * child is started on first use, never keeps node alive while idle, and is started again if it
 * dies. Objects written after it started are found (git looks for loose objects on every read
 * and rescans packs on a miss).
 */
export class CatFile {
  private child: Child | undefined;
  private readonly pending: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  /** the object being received: its header, and how many bytes (content + newline) are due */
  private current: { id: string; type: GitObject['type']; size: number } | undefined;
  private closed = false;

  constructor(
    private readonly cwd: string,
    private readonly args: () => string[],
  ) {}

  /** The object named `spec` (an id, or `<commit>:<path>`), or undefined when there is none. */
  read(spec: string): Promise<GitObject | undefined> {
    // the protocol is one name per line; a name with a line break could ask for another object
    if (/[\n\r\0]/.test(spec)) return Promise.reject(new GantryError('INPUT_INVALID', `${JSON.stringify(spec)}: not an object name`));
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.refIfBusy(child);
      child.stdin.write(`${spec}\n`);
    });
  }

  /** Stops the child; a later read starts a new one unless `final`. Settles once it has exited. */
  close(final = true): Promise<void> {
    this.closed = final;
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    // held until it is gone: a caller awaiting this must not see node exit under it
    child.ref();
    for (const s of [child.stdout, child.stderr] as unknown as { ref(): void }[]) s.ref();
    child.stdin.end();
    child.kill();
    return exited;
  }

  private start(): Child {
    if (this.child) return this.child;
    if (this.closed) throw new GantryError('INTERNAL', 'the deploy repo reader was closed');
    const child: Child = spawn('git', [...this.args(), 'cat-file', '--batch'], {
      cwd: this.cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.buf = Buffer.alloc(0);
    this.current = undefined;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => this.receive(d));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-2000)));
    const gone = (why: string) => {
      if (this.child === child) this.child = undefined;
      this.failAll(new GantryError('INTERNAL', `git cat-file: ${stderr.trim().split('\n')[0] || why}`));
    };
    child.on('error', (e) => gone(e.message));
    child.on('close', (code, signal) => gone(`exited with ${code ?? signal}`));
    child.stdin.on('error', () => undefined); // reported by 'close'
    child.unref();
    this.refIfBusy(child);
    return child;
  }

  /** Keeps node alive only while an answer is awaited. */
  private refIfBusy(child: Child): void {
    const busy = this.pending.length > 0;
    for (const s of [child.stdout, child.stderr, child.stdin] as unknown as { ref(): void; unref(): void }[]) {
      if (busy) s.ref();
      else s.unref();
    }
    if (busy) child.ref();
    else child.unref();
  }

  private failAll(e: Error): void {
    for (const p of this.pending.splice(0)) p.reject(e);
  }

  private receive(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (!this.current) {
        const nl = this.buf.indexOf(0x0a);
        if (nl < 0) return;
        const header = this.buf.subarray(0, nl).toString('utf8');
        this.buf = this.buf.subarray(nl + 1);
        // `<id> <type> <size>`, or `<name> missing` / `<name> ambiguous`
        const m = /^([0-9a-f]{40,64}) (blob|tree|commit|tag) (\d+)$/.exec(header);
        if (!m) {
          this.settle(undefined);
          continue;
        }
        this.current = { id: m[1]!, type: m[2] as GitObject['type'], size: Number(m[3]) };
      }
      const { id, type, size } = this.current;
      if (this.buf.length < size + 1) return;
      const body = Buffer.from(this.buf.subarray(0, size));
      this.buf = this.buf.subarray(size + 1);
      this.current = undefined;
      this.settle({ id, type, body });
    }
  }

  private settle(o: GitObject | undefined): void {
    this.pending.shift()?.resolve(o);
    if (this.child) this.refIfBusy(this.child);
  }
}

/**
 * The regular files under `dir` at commit `rev`, with their text, sorted by path (what `git
 * ls-files` listed when gantry read the working tree). Symlinks and submodules are left out.
 */
export async function filesAt(reader: CatFile, rev: string, dir: string): Promise<{ path: string; content: string }[]> {
  const clean = dir.replace(/\/+$/, '');
  if (!isInside(clean)) return [];
  const out: { path: string; content: string }[] = [];
  const walk = async (spec: string, at: string): Promise<void> => {
    const o = await reader.read(spec);
    if (o?.type === 'blob') out.push({ path: at, content: o.body.toString('utf8') });
    if (o?.type !== 'tree') return;
    const entries = parseTree(o.body, rev.length / 2).filter((e) => e.mode === TREE_MODE || e.mode === '100644' || e.mode === '100755');
    await Promise.all(entries.map((e) => walk(e.id, `${at}/${e.name}`)));
  };
  await walk(`${rev}:${clean}`, clean);
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}
