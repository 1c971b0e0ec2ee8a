import type { Redis } from 'ioredis';

export interface PersistenceReport {
  /** true only for zero loss: append-only file, fsync always */
  ok: boolean | 'warn';
  /** what survives a Redis restart or crash */
  level: 'zero-loss' | 'crash-window' | 'snapshots' | 'none' | 'unknown';
  detail: string;
  fix?: string;
}

const ZERO_LOSS_FIX = 'set appendonly yes and appendfsync always in redis.conf (or CONFIG SET both, then CONFIG REWRITE); see README "Operations"';

/**
 * How much of gantry's state survives a Redis restart. Webhooks are acknowledged once they are in
 * Redis, and jobs, releases and approvals live only there: with no persistence a restart loses
 * them all, with snapshots only a crash loses what came after the last one, and with an
 * append-only file fsynced every second a machine crash loses up to that second. Only
 * `appendfsync always` (Redis fsyncs before it answers) loses nothing that gantry acknowledged.
 */
export async function redisPersistence(redis: Pick<Redis, 'config' | 'info'>): Promise<PersistenceReport> {
  let appendonly: string | undefined;
  let fsync: string | undefined;
  let save: string | undefined;
  try {
    appendonly = await configGet(redis, 'appendonly');
    fsync = await configGet(redis, 'appendfsync');
    save = await configGet(redis, 'save');
  } catch {
    // managed Redis services often refuse CONFIG; INFO still says whether an AOF is on
    const aof = /^aof_enabled:(\d)/m.exec(await redis.info('persistence'))?.[1];
    return aof === '1'
      ? { ok: 'warn', level: 'unknown', detail: 'append-only file on; its fsync policy is unknown (CONFIG GET refused)', fix: 'make sure appendfsync is always for zero loss' }
      : { ok: 'warn', level: 'unknown', detail: 'no append-only file; snapshot rules unknown (CONFIG GET refused): a Redis restart may lose queued work', fix: ZERO_LOSS_FIX };
  }
  if (appendonly === 'yes') {
    if (fsync === 'always') return { ok: true, level: 'zero-loss', detail: 'append-only file, fsync always: nothing acknowledged is lost when Redis restarts or crashes' };
    // Redis writes the file before it answers either way; only the fsync waits, so a crash of the
    // Redis process loses (next to) nothing and a crash of the machine loses what was not fsynced
    const window = fsync === 'everysec' ? 'the last second or two' : 'the last ~30 s (the OS decides when to flush)';
    return {
      ok: 'warn',
      level: 'crash-window',
      detail: `append-only file, appendfsync ${fsync}: a restart of Redis loses nothing, a crash of its machine (power, kernel) loses ${window} of acknowledged webhooks and job updates`,
      fix: ZERO_LOSS_FIX,
    };
  }
  if (save) {
    return { ok: 'warn', level: 'snapshots', detail: `RDB snapshots only (save ${save}): a crash loses every webhook, job, release and approval since the last snapshot`, fix: ZERO_LOSS_FIX };
  }
  return {
    ok: 'warn',
    level: 'none',
    detail: 'no persistence (appendonly no, no save rules): a Redis restart loses every queued webhook, build and deploy job, release and pending approval',
    fix: ZERO_LOSS_FIX,
  };
}

async function configGet(redis: Pick<Redis, 'config'>, name: string): Promise<string> {
  const r = (await redis.config('GET', name)) as string[];
  return r[1] ?? '';
}
