import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { FLUSH, parseAdvertisement, parseReport, pkt, readPkts, type Advertisement, type Report } from './pack-wire.js';

/**
 * The push of a commit gantry wrote itself, without `git push`: gantry knows every object it wrote
 * (the blobs, the trees on the changed paths, the commit), so it packs exactly those in this process
 * and hands them to the remote's `git receive-pack` (protocol v0, report-status), locally or over
 * smart HTTP. `git push` instead has pack-objects find the objects to send by walking the new
 * commit against the remote's tip: on a 20,000-manifest repo that walk reads about 20,000 trees
 * (GIT_TRACE_PACK_ACCESS) and takes ~180 ms for a one-line change, whatever changed.
 *
 * The remote's ref is updated only if it still is the commit's parent (receive-pack's
 * compare-and-swap); never forced. The answers: `ok`; `moved` (the branch is no longer the parent:
 * fetch and try again); `refused` with the remote's reason and messages (a hook, a protected
 * branch), reported as git reports it; `fallback` for anything this path does not know how to
 * judge (a pack the remote could not take, an unusual server, a connection lost), and the caller
 * runs `git push`: pushing the same commit again is harmless (up to date, or the same answer).
 */
export type SendResult = 'ok' | 'moved' | 'fallback' | { refused: string; messages: string[] };

/** Where receive-pack runs: a repository on this machine, or a smart HTTP remote. */
export type Remote = { kind: 'local'; dir: string } | { kind: 'http'; url: string; headers: Record<string, string> };

/** no receive-pack answer within this long: give up on this path (git push follows) */
const TIMEOUT_MS = 120_000;

/** What the remote's refusal of an update means for the caller: the branch moved, or ask git. */
function judge(report: Report, ref: string, extra: string[] = []): SendResult {
  const status = report.refs.get(ref);
  if (report.unpack !== 'ok' || status === undefined) return 'fallback';
  if (status === 'ok') return 'ok';
  // receive-pack's compare-and-swap lost (the branch moved between its advertisement and the
  // update: `ng <ref> failed to update ref`, "cannot lock ref ... is at X but expected Y" on band 2),
  // or a non-fast-forward refused: as git push's rejection, the caller fetches and tries again
  if (/failed to update ref|failed to lock|cannot lock ref|non-fast-forward|fetch first/.test(status)) return 'moved';
  return { refused: status, messages: [...report.messages, ...extra] };
}

interface Update {
  ref: string;
  /** the value the remote's ref must have now: the new commit's parent */
  old: string;
  new: string;
  pack: Buffer;
}

/** The commands and the pack, for an advertisement; undefined: this path cannot judge the remote. */
function request(ad: Advertisement, u: Update): { body: Buffer; sideband: boolean } | 'moved' | undefined {
  if (!ad.caps.has('report-status')) return undefined;
  const format = [...ad.caps].find((c) => c.startsWith('object-format='))?.slice('object-format='.length) ?? 'sha1';
  if ((format === 'sha256') !== (u.new.length === 64)) return undefined;
  const now = ad.refs.get(u.ref);
  // the remote moved on (or the branch is new there): git push decides, as before
  if (now !== u.old) return now === undefined ? undefined : 'moved';
  const sideband = ad.caps.has('side-band-64k');
  const caps = ['report-status', ...(sideband ? ['side-band-64k'] : []), ...(ad.caps.has('quiet') ? ['quiet'] : []), `object-format=${format}`, 'agent=gantry'];
  return { body: Buffer.concat([pkt(`${u.old} ${u.new} ${u.ref}\0${caps.join(' ')}\n`), FLUSH, u.pack]), sideband };
}

/** Sends the update to `remote`; see the module comment for what each answer means. */
export async function sendPack(remote: Remote, u: Update): Promise<SendResult> {
  try {
    return remote.kind === 'local' ? await sendLocal(remote.dir, u) : await sendHttp(remote, u);
  } catch {
    return 'fallback';
  }
}

async function sendLocal(dir: string, u: Update): Promise<SendResult> {
  // as git's local transport does: nothing of this process's repository reaches the other's
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_') || k.startsWith('GIT_TRACE')));
  const child = spawn('git', ['receive-pack', dir], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, LC_ALL: 'C' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  try {
    child.stdin.on('error', () => undefined); // seen as a missing report below
    let buf = Buffer.alloc(0);
    let sent: { sideband: boolean } | undefined;
    let verdict: SendResult | undefined;
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    child.on('error', () => undefined);
    child.stdout.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (sent || verdict) return;
      const parsed = parseAdvertisement(buf);
      if (!parsed) return;
      buf = buf.subarray(parsed.next);
      const req = request(parsed.ad, u);
      if (req === undefined || req === 'moved') {
        verdict = req ?? 'fallback';
        child.stdin.end(FLUSH); // no commands: receive-pack ends without touching anything
        return;
      }
      sent = { sideband: req.sideband };
      child.stdin.end(req.body);
    });
    await exited;
    if (verdict) return verdict;
    if (!sent) return 'fallback';
    return judge(parseReport(buf, sent.sideband), u.ref, stderr.split(/[\r\n]+/).map((m) => m.trim()).filter(Boolean));
  } finally {
    clearTimeout(timer);
  }
}

function httpRequest(url: URL, o: { method: string; headers: Record<string, string>; body?: Buffer }): Promise<{ status: number; type: string; body: Buffer }> {
  const mod = url.protocol === 'https:' ? https : http;
  // the CA bundle git would use instead of the built-in one (curl's CAINFO replaces it too)
  const ca = url.protocol === 'https:' && process.env.GIT_SSL_CAINFO ? { ca: readFileSync(process.env.GIT_SSL_CAINFO) } : {};
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { method: o.method, headers: o.headers, timeout: TIMEOUT_MS, ...ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(o.body);
  });
}

async function sendHttp(remote: Extract<Remote, { kind: 'http' }>, u: Update): Promise<SendResult> {
  const base = remote.url.replace(/\/+$/, '');
  const headers = { 'user-agent': 'git/gantry', ...remote.headers };
  const info = await httpRequest(new URL(`${base}/info/refs?service=git-receive-pack`), { method: 'GET', headers });
  if (info.status !== 200 || info.type !== 'application/x-git-receive-pack-advertisement') return 'fallback';
  // `# service=git-receive-pack`, a flush, then the advertisement
  const { lines } = readPkts(info.body);
  if (!lines[0]?.toString('utf8').startsWith('# service=git-receive-pack')) return 'fallback';
  const skip = lines[1] === null ? lines[0].length + 8 : lines[0].length + 4;
  const parsed = parseAdvertisement(info.body.subarray(skip));
  if (!parsed) return 'fallback';
  const req = request(parsed.ad, u);
  if (req === undefined || req === 'moved') return req ?? 'fallback';
  const res = await httpRequest(new URL(`${base}/git-receive-pack`), {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-git-receive-pack-request', accept: 'application/x-git-receive-pack-result', 'content-length': String(req.body.length) },
    body: req.body,
  });
  if (res.status !== 200 || res.type !== 'application/x-git-receive-pack-result') return 'fallback';
  return judge(parseReport(res.body, req.sideband), u.ref);
}

/** Environment under which only git knows how a push goes: config given by variables. */
const GIT_ONLY_ENV = /^(GIT_CONFIG_PARAMETERS|GIT_CONFIG_COUNT|GIT_CONFIG|GIT_CONFIG_GLOBAL|GIT_CONFIG_SYSTEM)$/;
/** ...and for http(s): proxies, TLS settings other than the CA bundle, curl's and git's http knobs. */
const GIT_ONLY_HTTP_ENV = /^(GIT_SSL_(?!CAINFO$).*|GIT_PROXY_.*|GIT_CURL_.*|GIT_HTTP_.*|https?_proxy|HTTPS?_PROXY|all_proxy|ALL_PROXY)$/;

/**
 * The remote gantry's own push can reach, from the clone's effective git config (system, global,
 * repo): a local repository (a path or file://), or an http(s) URL when git would go there
 * directly. Undefined, so `git push` is used, for ssh and anything else, or when the config or the
 * environment has a say in how git pushes: a push URL, `url.*.insteadOf`, any `http.*` setting
 * (proxies, certificates, extra headers), credential helpers without a token, proxy and GIT_SSL_*
 * variables (GIT_SSL_CAINFO is honoured: it is the CA bundle, as for git).
 */
export async function directRemote(clone: string, configured: string, token: string | undefined): Promise<Remote | undefined> {
  const env = Object.keys(process.env);
  if (env.some((k) => GIT_ONLY_ENV.test(k))) return undefined;
  const config = await new Promise<string>((resolve, reject) => {
    const child = spawn('git', ['-C', clone, 'config', '-z', '--get-regexp', '^(remote\\.origin\\.|url\\.|http\\.|credential)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 || code === 1 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new Error(`git config exited with ${code}`))));
  });
  const entries = config
    .split('\0')
    .filter(Boolean)
    .map((e) => {
      const nl = e.indexOf('\n');
      return nl < 0 ? { key: e, value: '' } : { key: e.slice(0, nl), value: e.slice(nl + 1) };
    });
  const url = entries.find((e) => e.key === 'remote.origin.url')?.value ?? configured;
  if (entries.some((e) => e.key === 'remote.origin.pushurl' || e.key.startsWith('url.') || e.key === 'remote.origin.proxy')) return undefined;
  if (/^https?:\/\//i.test(url)) {
    if (env.some((k) => GIT_ONLY_HTTP_ENV.test(k)) || entries.some((e) => e.key.startsWith('http.'))) return undefined;
    if (!token && entries.some((e) => e.key.startsWith('credential'))) return undefined;
    const headers: Record<string, string> = token ? { authorization: `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}` } : {};
    return { kind: 'http', url, headers };
  }
  const dir = /^file:\/\//i.test(url) ? decodeURIComponent(new URL(url).pathname) : url;
  // a path: absolute only (git stores the one it cloned); ssh (host:path) and other schemes go to git
  if (!dir.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(dir)) return undefined;
  return { kind: 'local', dir };
}
