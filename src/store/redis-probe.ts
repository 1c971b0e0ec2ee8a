import type { Redis } from 'ioredis';
import { describeRedisTarget, redisTarget, sentinelClient } from './redis.js';

export interface RedisReport {
  ok: boolean | 'warn';
  detail: string;
  fix?: string;
}

/**
 * What `gantry doctor` says about Redis: the topology REDIS_URL names and what the servers report
 * about it (the master a Sentinel points at, a Cluster's state), with the things that break
 * gantry (a replica, a Cluster that is down) as failures and thin redundancy as a warning.
 */
export async function probeRedis(redis: Redis, url: string, prefix: string): Promise<RedisReport> {
  const t = redisTarget(url);
  const what = describeRedisTarget(t);
  if ((await redis.ping()) !== 'PONG') return { ok: false, detail: `${what} does not answer PING` };
  if (t.topology === 'cluster') {
    const info = fields(String(await redis.cluster('INFO')), ':');
    const detail = `${what}: cluster_state ${info.cluster_state}, ${info.cluster_size} masters serving slots, ${info.cluster_known_nodes} nodes known; keys under the hash tag ${prefix}`;
    return info.cluster_state === 'ok' ? { ok: true, detail } : { ok: false, detail, fix: 'redis-cli --cluster check <node>: every slot must be served' };
  }
  // some managed services refuse ROLE: then the role is unknown, not wrong
  const role = await redis.call('ROLE').then((r) => String((r as unknown[])[0]), () => 'unknown');
  if (role !== 'master' && role !== 'unknown') {
    return { ok: false, detail: `${what} is a ${role === 'slave' ? 'replica' : role}: gantry writes, it needs the master`, fix: 'point REDIS_URL at the master, or use redis+sentinel://…/<master-name>' };
  }
  if (t.topology === 'standalone') return { ok: true, detail: `${what} answers (${role === 'master' ? 'master' : 'role unknown: ROLE refused'})` };

  for (const node of t.sentinels) {
    const s = sentinelClient(url, node, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    s.on('error', () => undefined);
    try {
      await s.connect();
      const flat = (await s.call('SENTINEL', 'MASTER', t.masterName)) as string[];
      const m: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) m[flat[i]!] = flat[i + 1]!;
      const replicas = Number(m['num-slaves'] ?? 0);
      const sentinels = Number(m['num-other-sentinels'] ?? 0) + 1;
      const detail = `${what}: master at ${m.ip}:${m.port}, ${replicas} replica${replicas === 1 ? '' : 's'}, ${sentinels} sentinel${sentinels === 1 ? '' : 's'} (quorum ${m.quorum})`;
      if (replicas === 0) return { ok: 'warn', detail, fix: 'add a replica: without one there is nothing to fail over to' };
      if (sentinels < 3) return { ok: 'warn', detail, fix: 'run at least three Sentinels on separate machines, so one lost machine cannot stop a failover' };
      return { ok: true, detail };
    } catch {
      // try the next Sentinel
    } finally {
      s.disconnect();
    }
  }
  return { ok: 'warn', detail: `${what}: the master answers, but no Sentinel answered SENTINEL MASTER ${t.masterName}`, fix: 'check the Sentinel addresses and sentinel_password in REDIS_URL' };
}

function fields(text: string, sep: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(sep);
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}
