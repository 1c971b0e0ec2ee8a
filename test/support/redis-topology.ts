import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/runtime/redis-server.js';
import { run } from '../../src/util/exec.js';

/**
 * Real Redis topologies on private 127.0.0.1 ports, for tests: a Sentinel set (master, replica,
 * one Sentinel) and a three-master Cluster, each from the Debian redis-server. Every wait is
 * bounded; `stop()` kills every process it started.
 */
interface Proc {
  name: string;
  port: number;
  child: ChildProcess;
  log(): string;
}

async function startServer(name: string, args: string[], port: number): Promise<Proc> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const p: Proc = { name, port, child, log: () => out };
  await until(`${name} listening on ${port}`, 10_000, async () => {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${out}`);
    return accepts(port);
  });
  return p;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function stopAll(procs: Proc[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          p.child.once('exit', () => resolve());
          p.child.kill('SIGKILL');
        }),
    ),
  );
}

/** Polls `check` until it returns a truthy value; fails after `ms` naming what it waited for. */
export async function until<T>(what: string, ms: number, check: () => Promise<T | false | undefined | null>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One short-lived command against one server. */
async function ask(port: number, password: string | undefined, ...args: (string | number)[]): Promise<unknown> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, ...(password ? { password } : {}) });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await r.call(String(args[0]), ...args.slice(1));
  } finally {
    r.disconnect();
  }
}

/** A flat [key, value, …] reply as an object. */
function fields(flat: string[]): Record<string, string | undefined> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

function infoField(info: string, key: string): string | undefined {
  return new RegExp(`^${key}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/**
 * The client connections on a server other than the asking one, replication links (both ends) and
 * Sentinel's own monitoring connections: what an application left open.
 */
async function appClients(port: number, password: string | undefined): Promise<string[]> {
  const list = String(await ask(port, password, 'CLIENT', 'LIST')).trim().split('\n');
  return list.filter((l) => !/ cmd=client\|list /.test(l) && !/ flags=\w*[SM]/.test(l) && !/ name=sentinel-/.test(l));
}

export interface SentinelSet {
  masterName: string;
  password: string;
  sentinelPassword: string;
  sentinelPort: number;
  /** the data ports, master first at start */
  ports: [number, number];
  /** the port Sentinel names as master now */
  masterPort(): Promise<number>;
  /** SENTINEL FAILOVER; resolves once Sentinel names the old replica as master and it is one */
  failover(): Promise<{ from: number; to: number }>;
  /** waits until the old master `port` replicates from the new one (Sentinel demotes it some seconds later) */
  following(port: number): Promise<void>;
  /** GET on one data node */
  get(port: number, key: string): Promise<string | null>;
  /** the connections applications hold on the data nodes and the Sentinel */
  clients(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startSentinelSet(dir: string, o: { masterName: string; password: string; sentinelPassword: string }): Promise<SentinelSet> {
  const procs: Proc[] = [];
  try {
    const [a, b, s] = [await freePort(), await freePort(), await freePort()];
    const data = (name: string, port: number, extra: string[]) => {
      const d = path.join(dir, name);
      mkdirSync(d, { recursive: true });
      // masterauth too: after a failover the old master replicates from the new one
      return startServer(name, ['--port', String(port), '--bind', '127.0.0.1', '--dir', d, '--save', '', '--appendonly', 'no', '--requirepass', o.password, '--masterauth', o.password, ...extra], port);
    };
    procs.push(await data('master', a, []));
    procs.push(await data('replica', b, ['--replicaof', '127.0.0.1', String(a)]));
    // Sentinel finds replicas in the master's INFO: start it once the replica is attached
    await until('the replica to sync', 15_000, async () => infoField(String(await ask(b, o.password, 'INFO', 'replication')), 'master_link_status') === 'up');
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${s}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `requirepass ${o.sentinelPassword}`,
        `sentinel monitor ${o.masterName} 127.0.0.1 ${a} 1`,
        `sentinel auth-pass ${o.masterName} ${o.password}`,
        `sentinel down-after-milliseconds ${o.masterName} 2000`,
        `sentinel failover-timeout ${o.masterName} 10000`,
        '',
      ].join('\n'),
    );
    procs.push(await startServer('sentinel', [conf, '--sentinel'], s));
    const sentinel = (...args: string[]) => ask(s, o.sentinelPassword, 'SENTINEL', ...args);
    await until('Sentinel to see the replica', 15_000, async () => {
      const replicas = ((await sentinel('REPLICAS', o.masterName)) as string[][]).map(fields);
      return replicas.some((f) => f.flags === 'slave' && f['master-link-status'] === 'ok');
    });
    const masterPort = async () => Number(((await sentinel('GET-MASTER-ADDR-BY-NAME', o.masterName)) as string[])[1]);
    return {
      ...o,
      sentinelPort: s,
      ports: [a, b],
      masterPort,
      async failover() {
        const from = await masterPort();
        const to = from === a ? b : a;
        // Sentinel may still say NOGOODSLAVE for a moment after a previous failover
        await until('Sentinel to accept FAILOVER', 20_000, async () => (await sentinel('FAILOVER', o.masterName)) === 'OK');
        // not GET-MASTER-ADDR-BY-NAME: it names the promoted replica while the failover still runs,
        // before +switch-master tells the clients; the master record changes with the switch
        await until(`the failover from ${from} to ${to}`, 30_000, async () => {
          const m = fields((await sentinel('MASTER', o.masterName)) as string[]);
          return Number(m.port) === to && !m.flags?.includes('failover');
        });
        return { from, to };
      },
      async following(port) {
        await until(`${port} to replicate from the new master`, 30_000, async () => infoField(String(await ask(port, o.password, 'INFO', 'replication')), 'master_link_status') === 'up');
      },
      get: async (port, key) => (await ask(port, o.password, 'GET', key)) as string | null,
      clients: async () => [...(await appClients(a, o.password)), ...(await appClients(b, o.password)), ...(await appClients(s, o.sentinelPassword))],
      stop: () => stopAll(procs),
    };
  } catch (e) {
    await stopAll(procs);
    throw e;
  }
}

export interface ClusterSet {
  ports: number[];
  /** the node that serves `key`'s slot */
  nodeOf(key: string): Promise<number>;
  /** keys matching `pattern` on each master, by port */
  keysByNode(pattern: string): Promise<Map<number, string[]>>;
  /** the connections applications hold on the nodes */
  clients(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startCluster(dir: string, masters = 3): Promise<ClusterSet> {
  const procs: Proc[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) {
      const [port, bus] = [await freePort(), await freePort()];
      const d = path.join(dir, `node-${i}`);
      mkdirSync(d, { recursive: true });
      ports.push(port);
      procs.push(
        await startServer(
          `cluster node ${i}`,
          ['--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1', '--dir', d, '--cluster-enabled', 'yes', '--cluster-config-file', path.join(d, 'nodes.conf'), '--cluster-node-timeout', '3000', '--save', '', '--appendonly', 'no'],
          port,
        ),
      );
    }
    const created = await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeoutMs: 30_000 });
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const p of ports) {
      await until(`cluster_state:ok on ${p}`, 20_000, async () => infoField(String(await ask(p, undefined, 'CLUSTER', 'INFO')), 'cluster_state') === 'ok');
    }
    return {
      ports,
      async nodeOf(key) {
        const slot = Number(await ask(ports[0]!, undefined, 'CLUSTER', 'KEYSLOT', key));
        const slots = (await ask(ports[0]!, undefined, 'CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        return slots.find(([lo, hi]) => slot >= lo && slot <= hi)![2][1];
      },
      async keysByNode(pattern) {
        const out = new Map<number, string[]>();
        for (const p of ports) out.set(p, (await ask(p, undefined, 'KEYS', pattern)) as string[]);
        return out;
      },
      async clients() {
        return (await Promise.all(ports.map((p) => appClients(p, undefined)))).flat();
      },
      stop: () => stopAll(procs),
    };
  } catch (e) {
    await stopAll(procs);
    throw e;
  }
}
