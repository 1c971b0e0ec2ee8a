import { performance } from 'node:perf_hooks';
import type { Core } from '../src/commands/context.js';
import { round, summarize } from './report.js';

/**
 * Where the time of one command goes: timed wrappers put on the methods of one gantry instance
 * (instance properties; src/ is not touched), collected per iteration. Spans add up the time of
 * every call of a method; marks are points in time (the first one of an iteration wins, unless
 * marked again with `last`).
 */
type Fn = (...args: unknown[]) => unknown;
interface Iteration {
  spans: Map<string, { ms: number; calls: number }>;
  marks: Map<string, number>;
}

export interface PhaseRow {
  label: string;
  samples: number[];
  calls?: number;
}

export class Profiler {
  private cur: Iteration = fresh();
  private readonly done: Iteration[] = [];

  span(label: string, ms: number): void {
    const s = this.cur.spans.get(label) ?? { ms: 0, calls: 0 };
    s.ms += ms;
    s.calls++;
    this.cur.spans.set(label, s);
  }

  mark(label: string, last = false): void {
    if (last || !this.cur.marks.has(label)) this.cur.marks.set(label, performance.now());
  }

  /** Times one step by hand. */
  async time<T>(label: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.span(label, performance.now() - t0);
    }
  }

  /** Times one whole command as an iteration of its own (marks exec.start and exec.end). */
  async command(fn: () => Promise<void>): Promise<void> {
    this.mark('exec.start');
    await fn();
    this.mark('exec.end', true);
    this.next();
  }

  /** Ends an iteration. */
  next(): void {
    this.done.push(this.cur);
    this.cur = fresh();
  }

  /**
   * Replaces `obj[method]` by a timed wrapper around it. An `optional` method that this version of
   * gantry does not have is left alone (its row stays empty).
   */
  wrap(obj: object, method: string, label: string | ((args: unknown[]) => string), marks: { start?: string; end?: string; optional?: boolean } = {}): void {
    const o = obj as Record<string, Fn>;
    const orig = o[method];
    if (typeof orig !== 'function') {
      if (marks.optional) return;
      throw new Error(`cannot profile ${method}: not a method`);
    }
    const p = this;
    o[method] = function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now();
      // the latest call's start: plan runs once before the branch lock (the gate) and once under it
      if (marks.start) p.mark(marks.start, true);
      const done = () => {
        p.span(typeof label === 'string' ? label : label(args), performance.now() - t0);
        if (marks.end) p.mark(marks.end, true);
      };
      const out = orig.apply(this, args);
      if (out instanceof Promise) return out.finally(done);
      done();
      return out;
    };
  }

  /** Per iteration: the total of a span (0 when it did not occur). */
  spanRow(label: string, name = label): PhaseRow {
    const calls = this.done.reduce((n, it) => n + (it.spans.get(label)?.calls ?? 0), 0);
    // a method never called (or absent in this version of gantry) gets no row
    const samples = calls ? this.done.map((it) => it.spans.get(label)?.ms ?? 0) : [];
    return { label: name, samples, calls: calls / Math.max(1, this.done.length) };
  }

  /** Per iteration: the total of several spans; no samples when none of them occurred. */
  sumRow(labels: readonly string[], name: string): PhaseRow {
    const rows = labels.map((l) => this.spanRow(l));
    if (rows.some((r) => r.samples.length === 0)) return { label: name, samples: [] };
    return { label: name, samples: this.done.map((_, i) => rows.reduce((n, r) => n + r.samples[i]!, 0)) };
  }

  /** Per iteration: the time from mark `from` to mark `to`. */
  between(from: string, to: string, name: string): PhaseRow {
    const samples = this.done.flatMap((it) => {
      const a = it.marks.get(from);
      const b = it.marks.get(to);
      return a !== undefined && b !== undefined ? [b - a] : [];
    });
    return { label: name, samples };
  }

  /** Labels of spans seen, in the order they first occurred. */
  labelsInOrder(): string[] {
    const seen = new Set<string>();
    for (const it of this.done) for (const l of it.spans.keys()) seen.add(l);
    return [...seen];
  }

  /** Labels of spans seen, starting with `prefix`. */
  labels(prefix: string): string[] {
    const seen = new Set<string>();
    for (const it of this.done) for (const l of it.spans.keys()) if (l.startsWith(prefix)) seen.add(l);
    return [...seen].sort();
  }
}

function fresh(): Iteration {
  return { spans: new Map(), marks: new Map() };
}

/** Puts timed wrappers on everything a promote or a history read goes through. */
export function instrument(core: Core, p: Profiler): void {
  p.wrap(core.releases, 'list', 'redis releases.list');
  p.wrap(core.releases, 'get', 'redis releases.get');
  p.wrap(core.releases, 'blocked', 'redis releases.blocked');
  p.wrap(core.envLocks, 'get', 'redis envLocks.get');
  p.wrap(core.bus, 'publish', 'redis bus.publish');
  p.wrap(core.queue, 'submit', 'queue.submit', { start: 'submit.start', end: 'submit.end' });
  p.wrap(core.queue.queue, 'add', 'bullmq queue.add', { start: 'add.start', end: 'add.end' });
  p.wrap(core.deployer, 'deploy', 'deployer.deploy', { start: 'deploy.start', end: 'deploy.end' });
  p.wrap(core.deployer, 'plan', 'deployer.plan', { start: 'plan.start', end: 'plan.end' });
  p.wrap(core.repo, 'ensure', 'repo.ensure');
  p.wrap(core.repo, 'refreshIfOlder', 'repo.refreshIfOlder');
  p.wrap(core.repo, 'readFile', 'repo.readFile');
  p.wrap(core.repo, 'commitAndPush', 'repo.commitAndPush', { start: 'commit.start', end: 'commit.end' });
  // the edit + commit step without the push (issue 16's index-less writer): its own method once it exists
  p.wrap(core.repo, COMMIT_METHOD, `repo.${COMMIT_METHOD}`, { optional: true });
  // the push: gantry's own (send-pack.ts) or git push (pushCommit is private: reached by name)
  p.wrap(core.repo, 'pushCommit', 'repo.pushCommit', { optional: true });
  p.wrap(core.repo, 'log', 'repo.log');
  p.wrap(core.repo, 'git', (args) => `git ${String((args[0] as string[])[0])}`);
  p.wrap(core.history, 'deployments', 'history.deployments');
  const deps = (core.deployer as unknown as { d: { lock: { with: Fn }; headHint?: object } }).d;
  if (deps.headHint) {
    p.wrap(deps.headHint, 'get', 'redis headHint.get');
    p.wrap(deps.headHint, 'set', 'redis headHint.set');
  }
  // the branch lock: time to get it and to give it back, around the body it runs
  const lock = deps.lock;
  p.wrap(lock, 'with', 'lock.with');
  const timed = lock.with;
  lock.with = (fn: unknown, onWait: unknown) =>
    timed.call(lock, async () => {
      p.mark('lock.body.start');
      try {
        return await (fn as () => Promise<unknown>)();
      } finally {
        p.mark('lock.body.end', true);
      }
    }, onWait);
}

/** The GitRepo method that writes a commit without pushing it (issue 16's writer names it so). */
export const COMMIT_METHOD = 'writeCommit';

/**
 * The edit + commit step of a promotion, per profiled iteration, in gantry and in the baseline
 * (`git add` + `git commit`): gantry's from its `writeCommit` span when it has one, else from the
 * `git add` and `git commit` it runs inside commitAndPush (gantry before issue 16).
 */
export function commitStep(gantry: Profiler, baseline: Profiler): { source: string; gantry: number[]; baseline: number[] } | undefined {
  const base = baseline.sumRow(['git add', 'git commit'], 'git add + git commit').samples;
  const own = gantry.spanRow(`repo.${COMMIT_METHOD}`).samples;
  if (own.length && base.length) return { source: `repo.${COMMIT_METHOD}`, gantry: own, baseline: base };
  const cli = gantry.sumRow(['git add', 'git commit'], 'git add + git commit').samples;
  if (cli.length && base.length) return { source: 'the git add and git commit spans inside repo.commitAndPush', gantry: cli, baseline: base };
  return undefined;
}

const GIT_IN_COMMIT = ['add', 'commit', 'rev-parse', 'push', 'update-ref'];

/** The phases of `/promote`, in the order they happen (median and p95 per iteration, ms). */
export function promotePhases(p: Profiler): PhaseRow[] {
  const git = (sub: string) => p.spanRow(`git ${sub}`, `      git ${sub}`);
  return [
    p.between('exec.start', 'exec.end', 'total: command in → reply'),
    p.between('exec.start', 'submit.start', '  parse, resolve app/env/release, policy gate'),
    p.spanRow('redis releases.list', '    redis releases.list (resolve version)'),
    p.spanRow('redis releases.blocked', '    redis releases.blocked (here and in plan)'),
    p.spanRow('redis envLocks.get', '    redis envLocks.get (here and in plan)'),
    p.between('submit.start', 'add.start', '  queue events ready'),
    p.spanRow('bullmq queue.add', '  bullmq queue.add'),
    p.between('add.end', 'deploy.start', '  worker picks up the job'),
    p.between('deploy.start', 'lock.body.start', '  branch lock acquire'),
    p.between('lock.body.start', 'plan.start', '    before plan (repo.ensure, head hint)'),
    p.spanRow('redis headHint.get', '      redis headHint.get'),
    p.spanRow('deployer.plan', '    plan (read manifest twice, release, policy again, edit)'),
    p.spanRow('repo.readFile', '      repo.readFile'),
    p.spanRow('redis releases.get', '      redis releases.get'),
    p.between('plan.end', 'commit.start', '    deploy message'),
    p.spanRow('repo.commitAndPush', '    commit and push'),
    p.spanRow(`repo.${COMMIT_METHOD}`, `      repo.${COMMIT_METHOD} (edit + commit, no push)`),
    p.spanRow('repo.pushCommit', '      repo.pushCommit (the push: own pack to receive-pack, or git push)'),
    git('add'),
    git('commit'),
    git('rev-parse'),
    git('push'),
    git('update-ref'),
    ...p
      .labels('git ')
      .filter((l) => !GIT_IN_COMMIT.includes(l.slice(4)))
      .map((l) => p.spanRow(l, `      ${l} (elsewhere)`)),
    p.spanRow('redis headHint.set', '    redis headHint.set'),
    p.between('lock.body.end', 'deploy.end', '  branch lock release'),
    p.between('deploy.end', 'submit.end', '  job done → waiter (bus.publish, BullMQ finish, QueueEvents)'),
    p.spanRow('redis bus.publish', '    redis bus.publish'),
    p.between('submit.end', 'exec.end', '  reply text'),
  ];
}

/** The phases of `/history`. */
export function historyPhases(p: Profiler): PhaseRow[] {
  return [
    p.between('exec.start', 'exec.end', 'total: command in → reply'),
    p.spanRow('repo.refreshIfOlder', '  repo.refreshIfOlder (fetch when older than refreshInterval)'),
    p.spanRow('history.deployments', '  history.deployments'),
    p.spanRow('git log', '    git log'),
    ...p.labels('git ').filter((l) => l !== 'git log').map((l) => p.spanRow(l, `    ${l}`)),
  ];
}

/** The steps of a baseline timed by hand (`Profiler.time`), in the order they happened. */
export function baselinePhases(p: Profiler): PhaseRow[] {
  return [p.between('exec.start', 'exec.end', 'total'), ...p.labelsInOrder().map((l) => p.spanRow(l, `  ${l}`))];
}

/** A markdown table of phases. */
export function renderPhases(title: string, rows: PhaseRow[]): string {
  const out = [`${title}`, '', '| phase | median ms | p95 ms | calls/iter |', '| --- | ---: | ---: | ---: |'];
  for (const r of rows) {
    if (r.samples.length === 0) continue;
    const s = summarize(r.samples);
    const label = r.label.replace(/^( +)/, (m) => '\u00a0'.repeat(m.length * 2));
    out.push(`| ${label} | ${round(s.median)} | ${round(s.p95)} | ${r.calls === undefined ? '' : round(r.calls, 1)} |`);
  }
  return out.join('\n');
}
