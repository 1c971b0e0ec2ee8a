import { GantryError } from '../domain/errors.js';
import { parseDuration } from '../domain/duration.js';

/** BullMQ's default lock: a job whose worker died is handed to another after about twice this. */
const DEFAULT_LOCK_MS = 30_000;
const MIN_LOCK_MS = 5_000;
const MAX_LOCK_MS = 600_000;

/**
 * Worker lock timings from GANTRY_JOB_LOCK (a duration, e.g. `10s`; default 30s, builds 60s).
 * A worker renews its job's lock every half of it; a worker that stops renewing (kill -9, a lost
 * machine) loses the job to another worker once the lock has run out and a stalled-job check,
 * run every `stalledInterval`, has seen it. Shorter means faster recovery, at the price of more
 * Redis traffic and of a job being run twice when a worker's event loop stalls longer than the lock.
 */
export function jobLock(defaultMs = DEFAULT_LOCK_MS, env: NodeJS.ProcessEnv = process.env): { lockDuration: number; stalledInterval: number } {
  const text = env.GANTRY_JOB_LOCK;
  if (!text) return { lockDuration: defaultMs, stalledInterval: DEFAULT_LOCK_MS };
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new GantryError('CONFIG_INVALID', `environment variable GANTRY_JOB_LOCK: ${(err as Error).message}`);
  }
  if (ms < MIN_LOCK_MS || ms > MAX_LOCK_MS) {
    throw new GantryError('CONFIG_INVALID', `environment variable GANTRY_JOB_LOCK: ${text} is out of range (5s to 10m)`);
  }
  return { lockDuration: ms, stalledInterval: ms };
}
