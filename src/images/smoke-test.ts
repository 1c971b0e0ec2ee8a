import type Docker from 'dockerode';
import { runOneShot } from './one-shot.js';
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
  const create: Docker.ContainerCreateOptions = {
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
    },
  };
  const r = await runOneShot(docker, create, { timeoutMs: spec.timeoutMs, signal, tailLines: TAIL_LINES, tailBytes: TAIL_BYTES });
  return { exitCode: r.exitCode, timedOut: r.timedOut, outputTail: r.output, durationMs: r.durationMs, ...(r.cancelled ? { cancelled: true } : {}) };
}
