import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** How many siblings (`work`, `work-2`, … `work-16`) are tried before giving up. */
const MAX_SIBLINGS = 16;

/** Warm clones claimed by gantry instances of this process (tests run several side by side). */
const claimedHere = new Set<string>();

/**
 * A warm clone belongs to one process: two processes running git in one working tree trip over
 * each other's index.lock, and one's `reset --hard` wipes the other's staged edit. `gantry web`
 * and `gantry worker` started in the same directory would share `.gantry/work`; so each process
 * claims its clone with an owner file (`<dir>.owner`: pid and host) and, when a live process on
 * this machine holds it, uses the next sibling (`<dir>-2`, …). A claim whose process is gone (kill
 * -9, a reboot, a container restarted with another hostname) is taken over, clone and all: the
 * clone itself is repaired on adoption (src/gitops/git.ts).
 */
export function claimWorkdir(dir: string): { dir: string; release(): void } {
  mkdirSync(path.dirname(dir), { recursive: true });
  for (let i = 1; i <= MAX_SIBLINGS; i++) {
    const candidate = i === 1 ? dir : `${dir}-${i}`;
    if (claimedHere.has(candidate)) continue;
    const owner = `${candidate}.owner`;
    if (!take(owner)) continue;
    claimedHere.add(candidate);
    let released = false;
    return {
      dir: candidate,
      release() {
        if (released) return;
        released = true;
        claimedHere.delete(candidate);
        rmSync(owner, { force: true });
      },
    };
  }
  throw new Error(`every warm clone from ${dir} to ${dir}-${MAX_SIBLINGS} is in use by a running gantry process on this machine`);
}

const me = () => `${process.pid} ${os.hostname()}\n`;

/** Creates the owner file, or takes it over from a process that is gone; false when a live one holds it. */
function take(owner: string): boolean {
  const create = (): boolean => {
    try {
      const fd = openSync(owner, 'wx');
      writeSync(fd, me());
      closeSync(fd);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return false;
    }
  };
  if (create()) return true;
  if (holderAlive(owner)) return false;
  // stale: remove it and create it again; of two processes doing this at once, one creates it
  rmSync(owner, { force: true });
  return create();
}

function holderAlive(owner: string): boolean {
  let text: string;
  try {
    text = readFileSync(owner, 'utf8');
  } catch {
    return false;
  }
  const [pidText, host] = text.trim().split(' ');
  const pid = Number(pidText);
  // another machine's claim (a shared volume) cannot be checked; a restarted container has a new hostname
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  // this process: a claim of an earlier incarnation with the same pid (pid 1 in a container), since
  // the claims of this incarnation are in `claimedHere`
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
