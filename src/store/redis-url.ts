import { GantryError } from '../domain/errors.js';

/**
 * REDIS_URL, the one setting that says which Redis gantry uses and how it is laid out:
 *
 *   redis[s]://[[user]:pass@]host[:port][/db]                                  one server
 *   redis[s]+sentinel://[[user]:pass@]host[:port][,host[:port]…]/master[/db]   Sentinel (default port 26379)
 *       ?sentinel_username=…&sentinel_password=…                               when the Sentinels want their own login
 *   redis[s]+cluster://[[user]:pass@]host[:port][,host[:port]…]                Cluster seed nodes (default port 6379)
 *
 * The Sentinel form is the one redis-py's ecosystem settled on (redis-sentinel-url, Prefect's
 * docket, RedisVL); the Cluster form is its twin. `rediss` means TLS to every server the form
 * names, Sentinels included. Credentials in the user part are those of the data nodes. Characters
 * such as @ : / ? # in a password must be percent-encoded, as in any URL.
 *
 * Parse errors say what is wrong and never repeat the user part or a query value (passwords).
 */
export interface RedisNode {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
  tls: boolean;
}

export type RedisTarget =
  /** `url` goes to ioredis unchanged, as it always did (its own query options included) */
  | (Credentials & { topology: 'standalone'; url: string; node: RedisNode; db: number })
  | (Credentials & { topology: 'sentinel'; sentinels: RedisNode[]; masterName: string; db: number; sentinelUsername?: string; sentinelPassword?: string })
  | (Credentials & { topology: 'cluster'; nodes: RedisNode[] });

export type RedisTopology = RedisTarget['topology'];

export const REDIS_URL_FORMS = [
  'redis://[user:pass@]host[:port][/db]',
  'redis+sentinel://[user:pass@]host1:26379[,host2:26379…]/<master-name>[/<db>]',
  'redis+cluster://[user:pass@]host1:6379[,host2:6379…]',
  '(rediss… for TLS)',
];

const SCHEMES: Record<string, { topology: RedisTopology; tls: boolean }> = {
  redis: { topology: 'standalone', tls: false },
  rediss: { topology: 'standalone', tls: true },
  'redis+sentinel': { topology: 'sentinel', tls: false },
  'rediss+sentinel': { topology: 'sentinel', tls: true },
  'redis+cluster': { topology: 'cluster', tls: false },
  'rediss+cluster': { topology: 'cluster', tls: true },
};

const SENTINEL_PARAMS = ['sentinel_username', 'sentinel_password'];

function invalid(message: string): GantryError {
  return new GantryError('CONFIG_INVALID', message);
}

export function parseRedisUrl(url: string): RedisTarget {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(url.trim());
  if (!m) throw invalid(`is not a URL: expected one of ${REDIS_URL_FORMS.join(', ')}`);
  const scheme = m[1]!.toLowerCase();
  const kind = SCHEMES[scheme];
  if (!kind) throw invalid(`unknown scheme "${scheme}://": expected one of ${REDIS_URL_FORMS.join(', ')}`);
  let rest = m[2]!;
  if (rest.includes('#')) throw invalid(`${scheme}:// URL: has a #fragment, which means nothing here (percent-encode a # in a password as %23)`);
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) [rest, query] = [rest.slice(0, q), rest.slice(q + 1)];
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash) : '';
  const at = authority.lastIndexOf('@');
  const creds = at >= 0 ? userinfo(scheme, authority.slice(0, at)) : {};
  const hostList = at >= 0 ? authority.slice(at + 1) : authority;
  const base = { ...creds, tls: kind.tls };

  if (kind.topology === 'standalone') {
    if (hostList.includes(',')) throw invalid(`${scheme}:// URL names several hosts: use ${scheme}+sentinel:// for Sentinel or ${scheme}+cluster:// for Cluster`);
    // ioredis' own defaults for an empty host or port
    const node = hostList ? hostPort(scheme, hostList, 6379) : { host: 'localhost', port: 6379 };
    const db = path === '' || path === '/' ? 0 : dbNumber(scheme, path.slice(1));
    return { ...base, topology: 'standalone', url: url.trim(), node, db };
  }

  const nodes = hostsOf(scheme, hostList, kind.topology === 'sentinel' ? 26379 : 6379);
  const params = new URLSearchParams(query);
  if (kind.topology === 'cluster') {
    if (path !== '' && path !== '/' && path !== '/0') throw invalid(`${scheme}:// URL has a path "${path}": a Cluster has only database 0 and no master name`);
    if ([...params.keys()].length) throw invalid(`${scheme}:// URL takes no query options (got ${[...params.keys()].join(', ')})`);
    return { ...base, topology: 'cluster', nodes };
  }

  const segments = path.split('/').slice(1);
  const masterName = decode(scheme, segments[0] ?? '', 'master name');
  if (!masterName) throw invalid(`${scheme}:// URL names no master: ${scheme}://host1:26379[,host2:26379]/<master-name>[/<db>]`);
  if (segments.length > 2 || (segments.length === 2 && segments[1] === '')) throw invalid(`${scheme}:// URL path must be /<master-name>[/<db>]`);
  const db = segments.length === 2 ? dbNumber(scheme, segments[1]!) : 0;
  for (const key of params.keys()) {
    if (!SENTINEL_PARAMS.includes(key)) throw invalid(`${scheme}:// URL has an unknown option "${key}" (known: ${SENTINEL_PARAMS.join(', ')})`);
  }
  const sentinelUsername = params.get('sentinel_username');
  const sentinelPassword = params.get('sentinel_password');
  return {
    ...base,
    topology: 'sentinel',
    sentinels: nodes,
    masterName,
    db,
    ...(sentinelUsername ? { sentinelUsername } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
  };
}

function userinfo(scheme: string, raw: string): { username?: string; password?: string } {
  const colon = raw.indexOf(':');
  const user = decode(scheme, colon >= 0 ? raw.slice(0, colon) : raw, 'user name');
  const password = colon >= 0 ? decode(scheme, raw.slice(colon + 1), 'password') : undefined;
  // a lone user part is a user name, as WHATWG URL (and so ioredis) reads it
  return { ...(user ? { username: user } : {}), ...(password ? { password } : {}) };
}

function decode(scheme: string, s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // the value itself is not shown: it may be a password
    throw invalid(`${scheme}:// URL: the ${what} has a broken %-escape (percent-encode % as %25)`);
  }
}

function hostsOf(scheme: string, list: string, defaultPort: number): RedisNode[] {
  if (!list) throw invalid(`${scheme}:// URL names no host: ${scheme}://host1:${defaultPort}[,host2:${defaultPort}]…`);
  return list.split(',').map((h) => {
    if (!h) throw invalid(`${scheme}:// URL has an empty entry in its host list`);
    return hostPort(scheme, h, defaultPort);
  });
}

function hostPort(scheme: string, s: string, defaultPort: number): RedisNode {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d*))?$/i.exec(s);
  if (!m) {
    // the password may have leaked into the host part when a character was not percent-encoded
    throw invalid(`${scheme}:// URL has a host that is not host[:port] (if the password contains @ : / ? or #, percent-encode them)`);
  }
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`${scheme}:// URL: port ${m[2]} of ${m[1]} is not between 1 and 65535`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function dbNumber(scheme: string, s: string): number {
  if (!/^\d{1,5}$/.test(s)) throw invalid(`${scheme}:// URL: database "${s.slice(0, 20)}" is not a number`);
  return Number(s);
}

/** What a log line or `gantry doctor` may say about the target: topology and addresses, no credentials. */
export function describeRedisTarget(t: RedisTarget): string {
  const addr = (n: RedisNode) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`);
  const extras = [t.tls ? 'TLS' : '', t.username ? `user ${t.username}` : ''].filter(Boolean);
  const tail = extras.length ? `, ${extras.join(', ')}` : '';
  switch (t.topology) {
    case 'standalone':
      return `standalone ${addr(t.node)} (db ${t.db}${tail})`;
    case 'sentinel':
      return `sentinel master "${t.masterName}" via ${t.sentinels.map(addr).join(', ')} (db ${t.db}${tail})`;
    case 'cluster':
      return `cluster via ${t.nodes.map(addr).join(', ')}${extras.length ? ` (${extras.join(', ')})` : ''}`;
  }
}
