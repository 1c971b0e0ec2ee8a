import { createIORedisClient, RedisConnection, type ConnectionOptions } from 'bullmq';
import { Cluster, Redis, SentinelConnector, type RedisOptions } from 'ioredis';
import { parseRedisUrl, type RedisNode, type RedisTarget } from './redis-url.js';

export { describeRedisTarget, type RedisNode, type RedisTarget, type RedisTopology } from './redis-url.js';

/**
 * Every Redis connection gantry makes starts here, from the REDIS_URL string (which crosses
 * process boundaries as it is, and which readEnv has already validated). The string is parsed
 * once per process and each connection site only adds its own behaviour: blocking or fail-fast.
 */
const targets = new Map<string, RedisTarget>();

/** The parsed REDIS_URL (cached). Throws CONFIG_INVALID with a message that names no secret. */
export function redisTarget(url: string): RedisTarget {
  let t = targets.get(url);
  if (!t) {
    t = parseRedisUrl(url);
    targets.set(url, t);
  }
  return t;
}

/**
 * An ioredis client for `url` with a connection site's own options (timeouts, retries, offline
 * queue), whatever the topology. In Cluster mode this is an ioredis `Cluster`: it has the same
 * command API, which is all gantry uses, so callers keep one `Redis` type.
 */
export function redisClient(url: string, options: RedisOptions): Redis {
  const t = redisTarget(url);
  switch (t.topology) {
    case 'standalone':
      return new Redis(t.url, options);
    case 'sentinel':
      return new Redis({ ...options, ...sentinelOptions(t) });
    case 'cluster':
      return new Cluster(t.nodes, clusterOptions(t, options)) as unknown as Redis;
  }
}

/** A connection to one of the Sentinels of a `redis+sentinel://` URL, with their own credentials (diagnostics). */
export function sentinelClient(url: string, sentinel: RedisNode, options: RedisOptions): Redis {
  const t = redisTarget(url);
  if (t.topology !== 'sentinel') throw new Error(`not a Sentinel URL (${t.topology})`);
  return new Redis({
    ...options,
    host: sentinel.host,
    port: sentinel.port,
    ...(t.sentinelUsername ? { username: t.sentinelUsername } : {}),
    ...(t.sentinelPassword ? { password: t.sentinelPassword } : {}),
    ...(t.tls ? { tls: {} } : {}),
  });
}

/**
 * Two fixes to ioredis' Sentinel connector. It resumes its list of Sentinels where the previous
 * connect stopped, so every reconnect first reports "All sentinels are unreachable" although they
 * all answer (redis/ioredis#1390): start each connect at the top. And it ends the failover
 * detector's Sentinel subscriptions on disconnect() but not on quit(), which BullMQ's close()
 * uses: end them whenever the connection to the master closes (a reconnect starts new ones).
 */
class SentinelsFromTheTop extends SentinelConnector {
  // ioredis hands a Connector the client's whole options object
  constructor(options: unknown) {
    super(options as ConstructorParameters<typeof SentinelConnector>[0]);
  }
  override async connect(...args: Parameters<SentinelConnector['connect']>): ReturnType<SentinelConnector['connect']> {
    this.sentinelIterator.reset(false);
    const stream = await super.connect(...args);
    stream.once('close', () => this.disconnect());
    return stream;
  }
}

function sentinelOptions(t: Extract<RedisTarget, { topology: 'sentinel' }>): RedisOptions {
  return {
    sentinels: t.sentinels,
    name: t.masterName,
    db: t.db,
    ...(t.username ? { username: t.username } : {}),
    ...(t.password ? { password: t.password } : {}),
    ...(t.sentinelUsername ? { sentinelUsername: t.sentinelUsername } : {}),
    ...(t.sentinelPassword ? { sentinelPassword: t.sentinelPassword } : {}),
    ...(t.tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
    Connector: SentinelsFromTheTop,
    // Sentinel demotes the old master some seconds after a failover (when it still runs, as after
    // SENTINEL FAILOVER); until then it takes writes that the resync then drops. Listening for
    // +switch-master on the Sentinels moves every connection to the new master at once.
    failoverDetector: true,
    // a command that still reached the old master once it is a replica: reconnect (asking the
    // Sentinels again) and resend it, instead of failing it
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  };
}

/** A site's options split into what ioredis' Cluster takes itself and what each node connection takes. */
function clusterOptions(t: Extract<RedisTarget, { topology: 'cluster' }>, options: RedisOptions) {
  // host and port name the seed nodes; BullMQ adds defaults for them to every options object
  const { retryStrategy, enableOfflineQueue, lazyConnect, enableAutoPipelining, host: _h, port: _p, db: _db, ...node } = options;
  return {
    ...(retryStrategy !== undefined ? { clusterRetryStrategy: retryStrategy } : {}),
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
    redisOptions: {
      ...node,
      ...(t.username ? { username: t.username } : {}),
      ...(t.password ? { password: t.password } : {}),
      ...(t.tls ? { tls: {} } : {}),
    },
  };
}

/**
 * One place that builds gantry's own connections. BullMQ workers need `maxRetriesPerRequest: null`
 * (blocking commands); everything else fails fast so a dead Redis becomes a clear error.
 */
export function connect(url: string, opts: { blocking?: boolean; name?: string } = {}): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: opts.blocking ? null : 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    connectionName: opts.name,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  };
  return redisClient(url, options);
}

/**
 * Key namespace, so several installations (and tests) can share one Redis. In Cluster mode the
 * prefix must be a hash tag (see `keyPrefix`), so that a Lua script or MULTI over several keys
 * finds them all in one slot.
 */
export class Keys {
  constructor(readonly prefix: string) {}
  k(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }
}

/**
 * The key prefix to use on `url`: in Cluster mode `{prefix}`, a hash tag, so every gantry and
 * BullMQ key lands in one slot (BullMQ's scripts and gantry's own ones touch several keys at
 * once). gantry's traffic is small, one slot holds it easily.
 */
export function keyPrefix(url: string, prefix: string): string {
  if (redisTarget(url).topology !== 'cluster' || /^\{[^}]+\}/.test(prefix)) return prefix;
  return `{${prefix}}`;
}

/**
 * Connection options for BullMQ, which then owns (and closes) its connections. Workers need
 * `maxRetriesPerRequest: null` for their blocking commands.
 *
 * BullMQ builds a plain `Redis` from options, so for a Cluster it would need a ready `Cluster`
 * instance, which it then never closes. Instead the options carry the URL under CLUSTER_URL and a
 * client factory (BullMQ's `RedisConnection.clientFactory`) builds the Cluster from them: BullMQ
 * still owns every connection, and each Queue/Worker `close()` closes its own.
 */
export function bullConnection(url: string): ConnectionOptions {
  const t = redisTarget(url);
  switch (t.topology) {
    case 'standalone':
      return { url, maxRetriesPerRequest: null };
    case 'sentinel':
      // (ioredis' and BullMQ's option types differ only in how loosely they type callbacks)
      return { ...sentinelOptions(t), maxRetriesPerRequest: null } as ConnectionOptions;
    case 'cluster':
      installClusterFactory();
      return { [CLUSTER_URL]: url, maxRetriesPerRequest: null };
  }
}

const CLUSTER_URL = 'gantryClusterUrl';
let factoryInstalled = false;

function installClusterFactory(): void {
  if (factoryInstalled) return;
  factoryInstalled = true;
  const previous = RedisConnection.clientFactory;
  RedisConnection.clientFactory = (opts) => {
    const { [CLUSTER_URL]: clusterUrl, url, ...rest } = opts as RedisOptions & { url?: string; [CLUSTER_URL]?: string };
    if (typeof clusterUrl === 'string') return createIORedisClient(redisClient(clusterUrl, rest));
    if (previous) return previous(opts);
    // what BullMQ does without a factory
    return createIORedisClient(url ? new Redis(url, rest) : new Redis(rest));
  };
}
