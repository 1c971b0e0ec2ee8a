import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { LogTail } from './log-tail.js';

/**
 * One container run to its end: created, started, waited for with a deadline (killed past it or
 * when the caller cancels), its output tail read, and removed whatever happens, so nothing is
 * left running or lying around. The build's smoke test (sandboxed) and the verification checks
 * after a rollout (src/rollout/verify.ts) each bring their own create options.
 */
export interface OneShotOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** how much of the output is kept: its last lines and bytes */
  tailLines: number;
  tailBytes: number;
}

export interface OneShotResult {
  /** null when it was killed (deadline or cancel) */
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
  /** stdout and stderr, demultiplexed, last lines only */
  output: string;
  durationMs: number;
}

export async function runOneShot(docker: Docker, create: Docker.ContainerCreateOptions, o: OneShotOptions): Promise<OneShotResult> {
  const started = performance.now();
  const result = (exitCode: number | null, stopped: 'timeout' | 'cancelled' | undefined, output: string): OneShotResult => ({
    exitCode,
    timedOut: stopped === 'timeout',
    cancelled: stopped === 'cancelled',
    output,
    durationMs: Math.round(performance.now() - started),
  });
  if (o.signal?.aborted) return result(null, 'cancelled', '');

  // removed below, after its logs are read
  const container = await docker.createContainer({ ...create, HostConfig: { ...create.HostConfig, AutoRemove: false } });
  try {
    // attached before start, so a fast exit is not missed; `next-exit` because the container is not running yet
    const waited = container.wait({ condition: 'next-exit' });
    await container.start();
    let timer: NodeJS.Timeout | undefined;
    let stopped: 'timeout' | 'cancelled' | undefined;
    const stop = new Promise<void>((resolve) => {
      timer = setTimeout(() => ((stopped = 'timeout'), resolve()), o.timeoutMs);
      o.signal?.addEventListener('abort', () => ((stopped = 'cancelled'), resolve()), { once: true });
    });
    const outcome = await Promise.race([waited.then((w: { StatusCode: number }) => w.StatusCode), stop.then(() => undefined)]);
    clearTimeout(timer);
    if (outcome === undefined) {
      await container.kill().catch(() => undefined);
      await waited.catch(() => undefined);
    }
    const output = await logsTail(container, o);
    return outcome === undefined ? result(null, stopped, output) : result(outcome, undefined, output);
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** stdout and stderr interleaved as they were written, last lines only. */
async function logsTail(container: Docker.Container, o: OneShotOptions): Promise<string> {
  const raw = (await container.logs({ stdout: true, stderr: true, follow: false, tail: o.tailLines })) as unknown as Buffer;
  const tail = new LogTail(o.tailLines, o.tailBytes);
  tail.write(demux(raw));
  return tail.toString();
}

/**
 * The logs endpoint of a container without a TTY multiplexes stdout and stderr into frames:
 * 1 byte stream id, 3 zero bytes, 4 bytes big-endian length, payload.
 */
export function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return Buffer.concat(parts).toString('utf8');
}
