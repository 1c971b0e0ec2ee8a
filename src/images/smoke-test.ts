import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { LogTail } from './log-tail.js';
import type { SmokeTestResult, SmokeTestSpec } from './types.js';

/**
 * A one-shot container in the freshly built image (repo config `test: { command: [...] }`). The
 * image is code from a branch or pull request, so it runs sandboxed: no network, every capability
 * dropped, no-new-privileges (setuid binaries gain nothing), a read-only root filesystem with a
 * small tmpfs at /tmp, and CPU, memory and process limits; a deadline, its output tail, and the
 * container removed whatever happens, so a smoke test can't leave anything running on the build host.
 */

const DEFAULT_MEMORY = 256 * 1024 * 1024;
const DEFAULT_NANO_CPUS = 1_000_000_000; // one CPU
export const SMOKE_PIDS_LIMIT = 128;
const TMPFS = 'rw,noexec,nosuid,nodev,size=64m';
const TAIL_LINES = 200;
const TAIL_BYTES = 64 * 1024;

export async function runSmokeTest(docker: Docker, spec: SmokeTestSpec, signal?: AbortSignal): Promise<SmokeTestResult> {
  const started = performance.now();
  const result = (exitCode: number | null, timedOut: boolean, outputTail: string, cancelled = false): SmokeTestResult => ({
    exitCode,
    timedOut,
    outputTail,
    durationMs: Math.round(performance.now() - started),
    ...(cancelled ? { cancelled } : {}),
  });
  if (signal?.aborted) return result(null, false, '', true);

  const container = await docker.createContainer({
    Image: spec.image,
    Cmd: spec.command,
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    NetworkDisabled: true,
    Labels: { 'dev.gantry.role': 'smoke-test' },
    HostConfig: {
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': TMPFS },
      Memory: spec.memoryBytes ?? DEFAULT_MEMORY,
      MemorySwap: spec.memoryBytes ?? DEFAULT_MEMORY, // no swap on top
      NanoCpus: spec.nanoCpus ?? DEFAULT_NANO_CPUS,
      PidsLimit: SMOKE_PIDS_LIMIT,
      AutoRemove: false, // removed below, after its logs are read
    },
  });
  try {
    // attached before start, so a fast exit is not missed; `next-exit` because the container is not running yet
    const waited = container.wait({ condition: 'next-exit' });
    await container.start();
    let timer: NodeJS.Timeout | undefined;
    let stopped: 'timeout' | 'cancelled' | undefined;
    const stop = new Promise<void>((resolve) => {
      timer = setTimeout(() => ((stopped = 'timeout'), resolve()), spec.timeoutMs);
      signal?.addEventListener('abort', () => ((stopped = 'cancelled'), resolve()), { once: true });
    });
    const outcome = await Promise.race([waited.then((w: { StatusCode: number }) => w.StatusCode), stop.then(() => undefined)]);
    clearTimeout(timer);
    if (outcome === undefined) {
      await container.kill().catch(() => undefined);
      await waited.catch(() => undefined);
    }
    const output = await logsTail(container);
    if (outcome === undefined) return result(null, stopped === 'timeout', output, stopped === 'cancelled');
    return result(outcome, false, output);
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** stdout and stderr interleaved as they were written, last lines only. */
async function logsTail(container: Docker.Container): Promise<string> {
  const raw = (await container.logs({ stdout: true, stderr: true, follow: false, tail: TAIL_LINES })) as unknown as Buffer;
  const tail = new LogTail(TAIL_LINES, TAIL_BYTES);
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
