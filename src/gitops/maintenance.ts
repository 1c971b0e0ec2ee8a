import type { ExecResult } from '../util/exec.js';

export interface MaintenanceOptions {
  /** how often it runs while the process holds the clone (default 5 minutes) */
  everyMs?: number;
  /** a run also starts after this many commits were noted (default 100) */
  afterCommits?: number;
  /**
   * the first run comes this long after the clone is ready (default 1 minute): a process that
   * lives shorter (`gantry shell -c`, a one-off CLI) never pays for a commit-graph of the whole
   * history, and its close() has no run to wait for
   */
  firstAfterMs?: number;
  /** called with a step that failed; maintenance only makes git faster, so nothing else happens */
  onError?: (step: string, detail: string) => void;
}

/**
 * What keeps the warm clone fast as the deploy repo grows, in the order they run:
 * - a commit-graph with changed-path Bloom filters, written incrementally (`--split`, one small
 *   layer per run), so a path-limited walk (/history, rollback targets, findDeployment) skips the
 *   trees of commits that did not touch the paths: the walk of a rarely deployed app stops
 *   reading 100,000 trees;
 * - loose objects packed (the index-less writer adds a few loose objects per commit; thousands of
 *   them slow every object lookup: `git repack -d`, without -a, packs only those) and small packs
 *   rolled up (`git maintenance`'s incremental-repack task, through the multi-pack-index, never
 *   deleting a pack another command may be reading);
 * - refs packed.
 * It never runs on a deploy's path: in the background, on a timer and after a number of commits,
 * one run at a time; `close()` stops the timer and waits for a run under way, so no git process
 * outlives gantry. gc.auto stays 0 on every command (src/gitops/git.ts): git never collects on its own.
 */
export class Maintenance {
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private commits = 0;
  private closed = false;
  /** stops the step under way on close: a commit-graph of a long history can take minutes */
  private readonly stop = new AbortController();
  /** runs finished, for tests and metrics */
  runs = 0;

  constructor(
    private readonly git: (args: string[], signal: AbortSignal) => Promise<ExecResult>,
    private readonly opts: MaintenanceOptions = {},
  ) {}

  /** Starts the schedule (idempotent), with a first run soon: a new clone has no commit-graph yet. */
  start(): void {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => void this.run(), this.opts.everyMs ?? 5 * 60_000);
    this.timer.unref(); // the schedule alone never keeps a process alive
    this.first = setTimeout(() => void this.run(), this.opts.firstAfterMs ?? 60_000);
    this.first.unref();
  }

  /** One more commit made in the clone; enough of them start a run. */
  noteCommit(n = 1): void {
    this.commits += n;
    if (this.commits >= (this.opts.afterCommits ?? 100)) void this.run();
  }

  /** A run now, or the one under way (one at a time per clone). */
  run(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.running ??= this.steps().finally(() => {
      this.running = undefined;
      this.runs++;
    });
    return this.running;
  }

  /**
   * Stops the schedule and the step under way (git cleans up its lock and temporary files on
   * SIGTERM; the next run starts over) and waits for it to exit; no step starts after this.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stop.abort();
    if (this.timer) clearInterval(this.timer);
    clearTimeout(this.first);
    this.timer = undefined;
    await this.running;
  }

  private async steps(): Promise<void> {
    this.commits = 0;
    const steps: [string, string[]][] = [
      ['commit-graph', ['commit-graph', 'write', '--reachable', '--changed-paths', '--split', '--no-progress']],
      // loose objects into one new pack, and removed (maintenance's loose-objects task removes them one run late)
      ['loose-objects', ['repack', '-d', '-q', '--no-write-bitmap-index']],
      ['incremental-repack', ['maintenance', 'run', '--quiet', '--task=incremental-repack', '--task=pack-refs']],
    ];
    for (const [name, args] of steps) {
      if (this.closed) return;
      const r = await this.git(args, this.stop.signal).catch((e: unknown) => ({ code: 1, stdout: '', stderr: String(e) }));
      if (r.code !== 0 && !this.closed) this.opts.onError?.(name, r.stderr.trim().split('\n')[0] ?? '');
    }
  }
}
