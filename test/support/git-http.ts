import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A bare repo served over smart HTTP on 127.0.0.1, the way GitHub serves a deploy repo: git's own
 * `git http-backend` (CGI) behind Basic auth that wants `x-access-token:<token>` — what gantry
 * sends for GANTRY_DEPLOY_TOKEN. Every request's outcome is counted, so a test can see that the
 * token was really used. `setBroken(true)` makes it answer 503 to everything.
 */
export async function serveGitHttp(bare: string, token: string): Promise<{ url: string; served: number; refused: number; setBroken(broken: boolean): void; close(): Promise<void> }> {
  const root = path.dirname(bare);
  const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const stats = { served: 0, refused: 0 };
  let broken = false;
  const server = http.createServer((req, res) => {
    if (broken) {
      res.writeHead(503);
      res.end('down for maintenance\n');
      return;
    }
    if (req.headers.authorization !== expected) {
      stats.refused++;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="deploy"' });
      res.end('credentials wanted\n');
      return;
    }
    stats.served++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REMOTE_USER: 'x-access-token',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    };
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
      if (end < 0) return;
      const sep = head[end] === 0x0d ? 4 : 2;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const [k, v] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
        if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]);
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      headersDone = true;
      res.write(head.subarray(end + sep));
    });
    cgi.on('close', () => {
      if (!headersDone) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${path.basename(bare)}`,
    get served() {
      return stats.served;
    },
    get refused() {
      return stats.refused;
    },
    /** answers 503 to everything while broken, like a git host having an outage */
    setBroken: (b: boolean) => {
      broken = b;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
