import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimWorkdir } from '../../src/gitops/workdir.js';
import { tempDir } from '../support/env.js';

describe('one warm clone per process', () => {
  const tmp = tempDir('workdir');
  afterAll(() => tmp.remove());

  it('a second claim in the same directory gets the next sibling; a released one is free again', () => {
    const dir = path.join(tmp.dir, 'a', 'work');
    const first = claimWorkdir(dir);
    const second = claimWorkdir(dir);
    expect([first.dir, second.dir]).toEqual([dir, `${dir}-2`]);
    expect(readFileSync(`${dir}.owner`, 'utf8')).toBe(`${process.pid} ${os.hostname()}\n`);
    first.release();
    expect(existsSync(`${dir}.owner`)).toBe(false);
    const third = claimWorkdir(dir);
    expect(third.dir).toBe(dir);
    second.release();
    third.release();
  });

  it('skips a clone a live process on this machine holds, takes over one whose process is gone', async () => {
    const dir = path.join(tmp.dir, 'b', 'work');
    claimWorkdir(dir).release(); // creates the parent
    const live = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(`${dir}.owner`, `${live.pid} ${os.hostname()}\n`);
      const c = claimWorkdir(dir);
      expect(c.dir).toBe(`${dir}-2`);
      c.release();
    } finally {
      live.kill('SIGKILL');
      await new Promise((r) => live.once('exit', r));
    }
    // the same pid is dead now: its claim is stale
    const c = claimWorkdir(dir);
    expect(c.dir).toBe(dir);
    expect(readFileSync(`${dir}.owner`, 'utf8')).toBe(`${process.pid} ${os.hostname()}\n`);
    c.release();
    // a claim written on another host (a restarted container) is stale too
    writeFileSync(`${dir}.owner`, `1 some-other-host\n`);
    const d = claimWorkdir(dir);
    expect(d.dir).toBe(dir);
    d.release();
  });
});
