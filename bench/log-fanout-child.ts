import http from 'node:http';
import { Redis } from 'ioredis';
import { BuildLogStore } from '../src/images/build-log.js';
import { Keys } from '../src/store/redis.js';
import { silentLogger } from '../src/util/logger.js';
import { LiveLogs } from '../src/web/builds/live.js';

/**
 * The two other processes of bench/log-fanout.ts, so each one's CPU is measured alone:
 * `server` is gantry's web side (LiveLogs behind an HTTP server), `clients` are the viewers.
 * Both take requests from the parent over IPC and answer `{ reply, ... }`.
 */
type Msg = { op: string; [k: string]: unknown };
const send = (m: Record<string, unknown>) => process.send!(m);

async function server(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  const store = new BuildLogStore(redis, new Keys(prefix), { retentionMs: 600_000, maxLines: 100_000 });
  const live = new LiveLogs(store, redis, { log: silentLogger, maxViewersPerBuild: 1000 });
  const srv = http.createServer((req, res) => {
    const id = /^\/builds\/([A-Za-z0-9_-]{22})\/events$/.exec(req.url ?? '')?.[1];
    if (!id) return void res.writeHead(404).end();
    void live.serve(id, true, undefined, req, res);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  let mark = process.cpuUsage();
  process.on('message', (m: Msg) => {
    if (m.op === 'mark') mark = process.cpuUsage();
    if (m.op === 'watching') return send({ reply: 'watching', n: live.watching });
    if (m.op === 'cpu') {
      const d = process.cpuUsage(mark);
      return send({ reply: 'cpu', us: d.user + d.system });
    }
    if (m.op === 'mark') send({ reply: 'mark' });
  });
  send({ reply: 'ready', port: (srv.address() as { port: number }).port });
}

/** `n` viewers of one URL; answers `done` with each viewer's line count once all saw `end`. */
function clients(): void {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  process.on('message', (m: Msg) => {
    if (m.op !== 'watch') return;
    const n = m.n as number;
    const counts: number[] = Array(n).fill(0);
    let ended = 0;
    let open = 0;
    for (let i = 0; i < n; i++) {
      http.get(m.url as string, { agent }, (res) => {
        open++;
        if (open === n) send({ reply: 'open' });
        let carry = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const text = carry + chunk;
          counts[i]! += text.split('\ndata: ').length - 1;
          // shorter than the token: what it carries over was never counted whole
          carry = text.slice(-6);
        });
        res.on('end', () => {
          if (++ended === n) send({ reply: 'done', counts });
        });
      });
    }
  });
  send({ reply: 'ready' });
}

const [role, redisUrl, prefix] = process.argv.slice(2);
if (role === 'server') void server(redisUrl!, prefix!);
else clients();
