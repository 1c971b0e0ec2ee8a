import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Said } from '../support/said.js';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { getUpdater } from '../../src/gitops/updaters/index.js';
import { run } from '../../src/util/exec.js';
import { startHarness, type Harness } from '../support/harness.js';

const N = 50;
const INSTANCES = 5;
const QA_FILE = 'apps/web/qa/deployment.yaml';
/** the competitor stops by itself after this many pushes or this long, whichever comes first */
const COMPETITOR_PUSHES = 400;
const COMPETITOR_MS = 90_000;
/**
 * Its pause between pushes. With it, the competitor lands about two commits a second: a busy
 * bot. (With no pause, about five a second here, gantry's fetch–re-plan–push cycle is slower than
 * the competitor's and a push attempt can lose all of its deployRepo.pushRetries rounds.)
 */
const COMPETITOR_PAUSE_MS = 200;

/**
 * 50 promotions to qa at once, asked through 5 separate gantry instances (own Redis connections,
 * workers and warm clones, as 5 processes would have), while a person's script keeps pushing its
 * own commits to the same branch.
 */
describe('50 concurrent promotions and a competing pusher', () => {
  const gantries: Harness[] = [];
  beforeAll(async () => {
    gantries.push(await startHarness({ name: 'c50-0' }));
    for (let i = 1; i < INSTANCES; i++) gantries.push(await startHarness({ name: `c50-${i}`, shareWith: gantries[0] }));
  });
  afterAll(async () => {
    for (const g of gantries.slice(1)) await g.close();
    await gantries[0]?.close();
  });

  it('no lost update, the competitor\'s commits all survive, nothing is ever force-pushed', { timeout: 150_000 }, async () => {
    const first = gantries[0]!;
    // a bare repo keeps no reflog by default: turn it on to see every update of main
    await first.git('config', 'core.logAllRefUpdates', 'always');
    const before = await first.head();
    for (let i = 1; i <= N; i++) await first.release(`v6.0.${i}`);

    const competitor = startCompetitor(first.bare, path.join(first.dir, 'human'));
    let replies: Said[];
    try {
      // wait until the competitor is really pushing, so every promotion races it
      await competitor.pushedOnce;
      replies = await Promise.all(
        Array.from({ length: N }, (_, i) => gantries[i % INSTANCES]!.run('carol', `/promote v6.0.${i + 1} qa`)),
      );
    } finally {
      await competitor.stop();
    }
    const failed = replies.filter((r) => !r.ok);
    expect(failed.map((r) => r.text), 'every promotion went through').toEqual([]);
    // within its retry bound: each deploy job won in its first run, not after the queue retried it
    for (const r of replies) {
      const job = await first.gantry.core.queue.queue.getJob(r.result!.requestId);
      expect(job?.attemptsStarted, `deploy ${r.result!.requestId} needed more than one run`).toBe(1);
    }
    // the competitor really raced gantry: pushes of gantry were rejected, and redone after a rebase
    const retries = replies.reduce((n, r) => n + (r.result?.retries ?? 0), 0);
    expect(retries).toBeGreaterThan(0);
    expect(competitor.pushed.length).toBeGreaterThan(5);

    // every gantry commit is there once, parses, and carries the version it claims
    const shas = (await first.git('rev-list', '--reverse', `${before}..main`)).trim().split('\n');
    const versions = new Set<string>();
    let gantryCommits = 0;
    for (const sha of shas) {
      const message = await first.git('log', '-1', '--format=%B', sha);
      const t = parseDeployTrailers(message);
      if (!t) continue; // a competitor commit
      gantryCommits++;
      expect(versions.has(t.version), `${t.version} committed twice`).toBe(false);
      versions.add(t.version);
      const tags = getUpdater('kubernetes').read(await first.file(QA_FILE, sha), { file: QA_FILE, format: 'kubernetes' }, [{ name: 'web', repository: 'registry.example.com/acme/web' }]);
      expect(tags.map((f) => f.tag)).toEqual([t.version, t.version]);
    }
    expect(gantryCommits).toBe(N);
    expect(versions.size).toBe(N);
    const last = parseDeployTrailers(await first.git('log', '-1', '--format=%B', `--grep=^Gantry-Version:`, 'main'))!;
    expect(await first.file(QA_FILE)).toContain(`image: registry.example.com/acme/web:${last.version}\n`);

    // every commit the competitor pushed is in the final history, and its file is there
    const history = new Set((await first.git('rev-list', 'main')).trim().split('\n'));
    for (const { sha, file } of competitor.pushed) {
      expect(history.has(sha), `competitor commit ${sha} was dropped`).toBe(true);
      expect(await first.file(file)).toBe(`${file}\n`);
    }
    // never a force push: every value main ever had (its reflog) is still in its history
    const reflog = (await first.git('reflog', 'show', '--format=%H', 'refs/heads/main')).trim().split('\n');
    expect(reflog.length).toBeGreaterThanOrEqual(N + competitor.pushed.length);
    expect(reflog.filter((sha) => !history.has(sha)), 'values of main no longer in its history').toEqual([]);
    console.info(`concurrency-50: ${N} promotions, ${retries} rejected pushes redone, ${competitor.pushed.length} competitor commits kept`);
  });
});

/**
 * A person's script pushing to the deploy repo in a loop: each round adds a file of its own,
 * commits and pushes; when rejected it rebases onto the remote (never forces) and tries again.
 */
function startCompetitor(bare: string, work: string): { pushed: { sha: string; file: string }[]; pushedOnce: Promise<void>; stop(): Promise<void> } {
  const pushed: { sha: string; file: string }[] = [];
  let stopped = false;
  let signal!: () => void;
  const pushedOnce = new Promise<void>((r) => (signal = r));
  const git = (...args: string[]) => run('git', ['-c', 'user.name=human', '-c', 'user.email=human@acme.example', ...args], { cwd: work });
  const loop = (async () => {
    await run('git', ['clone', '-q', bare, work]);
    const deadline = Date.now() + COMPETITOR_MS;
    for (let i = 0; i < COMPETITOR_PUSHES && !stopped && Date.now() < deadline; i++) {
      const file = `human/note-${i}.txt`;
      mkdirSync(path.join(work, 'human'), { recursive: true });
      writeFileSync(path.join(work, file), `${file}\n`);
      await git('add', '--', file);
      await git('commit', '-q', '-m', `human note ${i}`);
      for (let tries = 0; tries < 20; tries++) {
        if ((await git('push', '-q', 'origin', 'HEAD:main')).code === 0) {
          pushed.push({ sha: (await git('rev-parse', 'HEAD')).stdout.trim(), file });
          signal();
          break;
        }
        const rebase = await git('pull', '-q', '--rebase', 'origin', 'main');
        if (rebase.code !== 0) throw new Error(`competitor could not rebase: ${rebase.stderr}`);
      }
      await new Promise((r) => setTimeout(r, COMPETITOR_PAUSE_MS));
    }
    signal();
  })();
  return {
    pushed,
    pushedOnce,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
