import type { DeployFile } from '../config/schema.js';
import type { GitObjects, PathCommit } from './objects.js';
import { parseDeployTrailers, type DeployTrailers } from './trailers.js';
import type { FoundImage, ImageSpec } from './updaters/types.js';
import { getUpdater } from './updaters/index.js';

/** The deploy files of one app in one environment as they were at some commit: path → blob (absent: no file). */
export type FileBlobs = ReadonlyMap<string, string | undefined>;

/** What an environment's files said about the app at one point: images per file (undefined: no such file). */
export interface EnvState {
  blobs: FileBlobs;
  images: Map<string, FoundImage[] | undefined>;
  /** the tag of the app's first image in its first file: what /status calls the version */
  version: string | undefined;
  /** every reference, to tell a change of images from an edit of something else */
  key: string;
}

/** One commit that changed the app's image references in the environment, whoever made it. */
export interface EnvChange {
  sha: string;
  date: string;
  author: string;
  /** gantry's trailers, when gantry made this commit for this app and environment */
  trailers?: DeployTrailers;
  before: EnvState;
  after: EnvState;
}

/** A stretch of history during which one version ran. */
interface Run {
  version: string;
  /** the change that brought it; undefined for the oldest state read (history cut by depth) */
  arrival?: EnvChange;
}

/**
 * An environment's history for one app, read from its files commit by commit: gantry's commits,
 * a person's and another tool's alike. Trailers only say who and why; what ran is what the files
 * said. Rollback targets and promotion order are decided here.
 */
export class EnvTimeline {
  constructor(
    readonly current: EnvState,
    /** oldest first */
    readonly changes: readonly EnvChange[],
  ) {}

  /** The newest change, if any (for /status: who, when, on hold). */
  get last(): EnvChange | undefined {
    return this.changes[this.changes.length - 1];
  }

  /** Whether the newest change is a gantry rollback: automatic deploys wait for a promotion by hand. */
  get held(): EnvChange | undefined {
    const last = this.last;
    return last?.trailers?.action === 'rollback' ? last : undefined;
  }

  /** Whether `version` ran in the environment at any point of the history read. */
  hasRun(version: string): boolean {
    return this.current.version === version || this.changes.some((c) => c.before.version === version || c.after.version === version);
  }

  /** The newest state in which `version` ran, other than the current one. */
  lastStateOf(version: string): EnvState | undefined {
    for (let i = this.changes.length - 1; i >= 0; i--) {
      const c = this.changes[i]!;
      if (c.before.version === version) return c.before;
    }
    return undefined;
  }

  /**
   * Where `/rollback <env>` goes: the state just before the current version arrived. History is
   * replayed as a stack, so a rollback pops what it rolled back from and a second rollback goes
   * one further back (v1 → v2 → v3, rollback → v2, rollback → v1), never forward to v3.
   */
  rollbackTarget(): EnvState | undefined {
    const stack: Run[] = [];
    const first = this.changes[0];
    const oldest = first ? first.before : this.current;
    if (oldest.version !== undefined) stack.push({ version: oldest.version });
    for (const c of this.changes) {
      const v = c.after.version;
      if (v === undefined || v === c.before.version) continue;
      if (c.trailers?.action === 'rollback') {
        const at = findLastIndex(stack, (r) => r.version === v);
        if (at >= 0) {
          stack.length = at + 1; // back to that entry: what was rolled back from is gone
          continue;
        }
      }
      stack.push({ version: v, arrival: c });
    }
    const top = stack[stack.length - 1];
    if (!top || top.version !== this.current.version || !top.arrival) return undefined;
    const before = top.arrival.before;
    return before.version !== undefined ? before : undefined;
  }
}

/** How to read the app's images out of one deploy file. */
export interface FileReader {
  file: DeployFile;
  specs: ImageSpec[];
}

/**
 * Reads the timeline of `files` up to `rev`: the newest `depth` commits that touched them (first
 * parent). Files that cannot be parsed at some commit count as saying nothing at that commit.
 */
export interface TimelineQuery {
  rev: string;
  app: string;
  env: string;
  readers: readonly FileReader[];
  /** how many commits that touched the files to read, newest first */
  depth: number;
  /** parsed files by blob, kept between calls (a blob's images never change); bounded by the caller */
  memo: Map<string, FoundImage[] | undefined>;
  /** which file says the version, decided by other files (a blue-green app's traffic file); absent: the first reader's */
  select?: VersionSelector;
}

/**
 * Files that pick the file whose first tagged image is the version (src/gitops/bluegreen/): their
 * changes count as changes of what runs, as a traffic move does.
 */
export interface VersionSelector {
  paths: readonly string[];
  /** the path of the reader's file that says the version, from the selector files' texts (undefined: absent) */
  pick(texts: ReadonlyMap<string, string | undefined>): string | undefined;
}

export async function readTimeline(objects: GitObjects, q: TimelineQuery): Promise<EnvTimeline> {
  const { rev, app, env, readers, depth, memo, select } = q;
  const paths = [...readers.map((r) => r.file.file), ...(select?.paths ?? [])];
  const [head, log] = await Promise.all([objects.blobsAt(rev, paths), objects.pathLog(rev, paths, depth)]);
  // walk back from rev: the state before each commit is the one after it with its changes undone
  const states: FileBlobs[] = [];
  let cur = new Map<string, string | undefined>(paths.map((p) => [p, head.get(p)]));
  states.push(cur);
  for (const c of log) {
    const before = new Map(cur);
    for (const [p, [old]] of c.changed) if (before.has(p)) before.set(p, old);
    states.push(before);
    cur = before;
  }
  // only blobs not parsed before are read
  const selecting = new Set(select?.paths);
  const wanted = states.flatMap((st) => [...st].filter(([p, b]) => b !== undefined && (selecting.has(p) || !memo.has(memoId(b, app, p)))).map(([, b]) => b!));
  // a lean clone lacks old blobs: fetched in one batch, not one fetch per blob read
  if (wanted.length > 0) await objects.prefetch([rev, ...log.flatMap((c) => (c.parent ? [c.parent] : []))], paths, new Set(wanted));
  const contents = await objects.read(wanted);
  const state = (blobs: FileBlobs): EnvState => toState(blobs, { app, readers, contents, memo, ...(select ? { select } : {}) });

  const current = state(states[0]!);
  const changes: EnvChange[] = [];
  // states[i] is after log[i], states[i + 1] before it; oldest first from here on
  let after = current;
  const newestFirst: EnvChange[] = [];
  for (let i = 0; i < log.length; i++) {
    const before = state(states[i + 1]!);
    // commits that touched the files but not the app's images (a replica count, a comment) are no change of what runs
    if (before.key !== after.key && (before.version !== undefined || after.version !== undefined)) {
      newestFirst.push(change(log[i]!, before, after, app, env));
    }
    after = before;
  }
  for (let i = newestFirst.length - 1; i >= 0; i--) changes.push(newestFirst[i]!);
  return new EnvTimeline(current, changes);
}

function change(c: PathCommit, before: EnvState, after: EnvState, app: string, env: string): EnvChange {
  const t = parseDeployTrailers(c.message, app);
  return {
    sha: c.sha,
    date: c.date,
    author: c.author,
    ...(t && t.app === app && t.env === env ? { trailers: t } : {}),
    before,
    after,
  };
}

interface StateInput {
  app: string;
  readers: readonly FileReader[];
  contents: ReadonlyMap<string, string>;
  memo: Map<string, FoundImage[] | undefined>;
  select?: VersionSelector;
}

const MEMO_MAX = 20_000;

function toState(blobs: FileBlobs, { app, readers, contents, memo, select }: StateInput): EnvState {
  const images = new Map<string, FoundImage[] | undefined>();
  for (const { file, specs } of readers) {
    const blob = blobs.get(file.file);
    if (blob === undefined) {
      images.set(file.file, undefined);
      continue;
    }
    const id = memoId(blob, app, file.file);
    if (!memo.has(id)) {
      const text = contents.get(blob);
      let found: FoundImage[] | undefined;
      try {
        found = text === undefined ? undefined : getUpdater(file.format).read(text, file, specs);
      } catch {
        found = undefined; // a broken file at some commit says nothing about what ran
      }
      if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value!);
      memo.set(id, found);
    }
    images.set(file.file, memo.get(id));
  }
  const versionFile = select ? select.pick(selectorTexts(blobs, select, contents)) : readers[0]?.file.file;
  const first = versionFile !== undefined ? images.get(versionFile) : undefined;
  const version = first?.find((i) => i.tag)?.tag;
  const selected = select ? `#${select.paths.map((p) => blobs.get(p) ?? '-').join('|')}` : '';
  const key = [...images.values()].map((list) => (list ? list.map((i) => `${i.name}=${i.ref}`).join(',') : '-')).join('|') + selected;
  return { blobs, images, version, key };
}

function selectorTexts(blobs: FileBlobs, select: VersionSelector, contents: ReadonlyMap<string, string>): Map<string, string | undefined> {
  return new Map(select.paths.map((p) => {
    const blob = blobs.get(p);
    return [p, blob === undefined ? undefined : contents.get(blob)];
  }));
}

function memoId(blob: string, app: string, file: string): string {
  return `${blob}\0${app}\0${file}`;
}

function findLastIndex<T>(arr: T[], pred: (t: T) => boolean): number {
  for (let i = arr.length - 1; i >= 0; i--) if (pred(arr[i]!)) return i;
  return -1;
}
