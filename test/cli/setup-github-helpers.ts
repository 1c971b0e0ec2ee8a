import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAIN } from '../support/cli.js';

/** The form of `gantry setup github`'s page: where it posts, and the manifest it carries (HTML-unescaped). */
export function formOf(html: string): { action: URL; manifest: Record<string, any> } {
  const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
  const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
  const manifest = /<input type="hidden" name="manifest" value="([^"]+)">/.exec(html)?.[1];
  if (!action || !manifest) throw new Error(`no manifest form in the page:\n${html}`);
  return { action: new URL(unescape(action)), manifest: JSON.parse(unescape(manifest)) as Record<string, any> };
}

/** `gantry setup github <args>` as a process, once it printed its page's address (on stdout, or stderr with --print). */
export async function spawnSetup(args: string[], cwd: string): Promise<{ pageUrl: string; exited: Promise<number | null>; stdout(): string; stderr(): string }> {
  const child = spawn('node', [MAIN, 'setup', 'github', '--port', '0', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const said = /^Open (http:\/\/127\.0\.0\.1:\d+\/) in a browser on this machine to register the GitHub App \(waiting \w+\)\.$/m;
  for (let i = 0; i < 200 && !said.test(stdout + stderr) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  const pageUrl = said.exec(stdout + stderr)?.[1];
  if (!pageUrl) {
    child.kill('SIGKILL');
    throw new Error(`gantry setup github printed no page address:\n${stdout}${stderr}`);
  }
  return { pageUrl, exited, stdout: () => stdout, stderr: () => stderr };
}

/**
 * A GitHub Enterprise Server's conversion endpoint on 127.0.0.1 for a spawned gantry (nock only
 * reaches the test's own process): answers `POST /api/v3/app-manifests/<code>/conversions` once
 * with GitHub's documented 201 body, its html_url on this host; anything else is a 404 listed in
 * `unexpected`.
 */
export async function startRecordedGhes(code: string, body: Record<string, unknown>): Promise<{ url: string; unexpected: string[]; close(): Promise<void> }> {
  const unexpected: string[] = [];
  let answered = false;
  let url = '';
  const server = http.createServer((req, res) => {
    const expected = req.method === 'POST' && req.url === `/api/v3/app-manifests/${code}/conversions` && !answered && !req.headers.authorization;
    if (!expected) {
      unexpected.push(`${req.method} ${req.url}`);
      return res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
    }
    answered = true;
    res.writeHead(201, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ ...body, html_url: `${url}/github-apps/${String(body.slug)}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, unexpected, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
