import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, PLANTED, SKIP_IMAGE_TESTS, testImages, type Images } from './fixture.js';

/** A private key as it would leak: the PEM header, a base64 body, the footer (not a mere mention in code). */
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\r?\n(?:[A-Za-z0-9+/=:\- ]*\r?\n){2,}-----END [A-Z0-9 ]*PRIVATE KEY-----/;
const SECRETS = Object.values(PLANTED).map((p) => p.secret);

interface Finding {
  where: string;
  what: string;
}

/** Every file of every layer (and the image config, which holds the history) of a `docker save` tarball. */
async function scanSaved(file: string): Promise<{ findings: Finding[]; files: number; names: Set<string> }> {
  const findings: Finding[] = [];
  const names = new Set<string>();
  let files = 0;
  const scan = (where: string, data: Buffer) => {
    for (const s of SECRETS) if (data.includes(s)) findings.push({ where, what: s });
    // most files hold no dash run at all: test the regex only where a header could start
    // ELF binaries are left out: GnuTLS embeds a public test key for its FIPS self-tests
    const elf = data.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    if (!elf && data.includes('PRIVATE KEY-----') && PRIVATE_KEY_BLOCK.test(data.toString('latin1'))) findings.push({ where, what: 'private key' });
  };
  const walk = (stream: Readable, outer?: string) =>
    new Promise<void>((resolve, reject) => {
      const x = tar.extract();
      x.on('entry', (h, entry, next) => {
        void (async () => {
          if (h.type !== 'file') {
            entry.resume();
            return next();
          }
          const data = await buffer(entry);
          // a layer is itself a tar (uncompressed in `docker save`): "ustar" at offset 257
          if (!outer && data.length > 262 && data.toString('latin1', 257, 262) === 'ustar') {
            const { Readable: R } = await import('node:stream');
            await walk(R.from([data]), h.name);
          } else {
            if (outer) {
              files++;
              names.add(h.name);
            }
            scan(outer ? `${outer}:${h.name}` : h.name, data);
          }
          next();
        })().catch(reject);
      });
      x.on('finish', resolve).on('error', reject);
      stream.pipe(x);
    });
  await walk(createReadStream(file));
  return { findings, files, names };
}

describe.skipIf(SKIP_IMAGE_TESTS)('the gantry image', () => {
  let img: Images;
  beforeAll(async () => {
    img = await testImages();
    console.log(`image fixtures (ms): ${JSON.stringify(img.timings)}`);
  }, 1_200_000);

  const run = (args: string[], input?: string) =>
    docker(img.dockerHost, ['run', '--rm', '--network', 'none', ...(input !== undefined ? ['-i'] : []), ...args], { ...(input !== undefined ? { input } : {}), allowFail: true, timeoutMs: 60_000 });

  it('runs as uid 10001 (gantry), in /app, through tini', async () => {
    const inspect = JSON.parse((await docker(img.dockerHost, ['image', 'inspect', img.gantry])).stdout)[0];
    expect(inspect.Config.User).toBe('10001:10001');
    expect(inspect.Config.WorkingDir).toBe('/app');
    expect(inspect.Config.Entrypoint).toEqual(['tini', '--', 'node', '/app/dist/src/main.js']);
    expect(inspect.Config.Cmd).toEqual(['start']);
    expect(inspect.Config.Labels['org.opencontainers.image.licenses']).toBe('MIT');
    expect(inspect.Config.Healthcheck.Test.join(' ')).toContain('/healthz');
    const id = await run(['--entrypoint', 'id', img.gantry]);
    expect(id.stdout.trim()).toBe('uid=10001(gantry) gid=10001(gantry) groups=10001(gantry)');
    console.log(`image size: ${(inspect.Size / 1e6).toFixed(1)} MB (${img.gantry}; base ${img.base})`);
  });

  it('gantry --version prints the package version', async () => {
    const r = await run([img.gantry, '--version']);
    expect(r.stdout.trim()).toBe('0.1.0');
    expect(r.code).toBe(0);
  });

  it('gantry start without credentials is local mode: the shell answers /help from standard input', async () => {
    // local mode starts its own redis-server and creates the demo deploy repo in the state volume
    const r = await run([img.gantry, 'start', '--as', 'alice'], '/help\n/status\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\/promote \[app\] <version> <env>/m);
    expect(r.stdout).toMatch(/^qa\n {2}web v1\.0\.0/m);
    expect(r.code).toBe(0);
  });

  it('holds no planted secret and no private key in its history or any layer', async () => {
    const history = (await docker(img.dockerHost, ['history', '--no-trunc', '--format', '{{.CreatedBy}}', img.gantry])).stdout;
    expect(history).toContain('apt-get install'); // the history was read (the runtime stage's only)
    for (const s of SECRETS) expect(history).not.toContain(s);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gantry-image-scan-'));
    try {
      const file = path.join(dir, 'image.tar');
      await docker(img.dockerHost, ['save', '-o', file, img.gantry], { timeoutMs: 300_000 });
      const { findings, files, names } = await scanSaved(file);
      // the scan saw the image's files, among them the app and its dependencies
      expect(files).toBeGreaterThan(1000);
      expect(names).toContain('app/dist/src/main.js');
      expect(findings, JSON.stringify(findings.slice(0, 30), null, 1)).toEqual([]);
      for (const p of Object.values(PLANTED)) expect(names).not.toContain(`app/${p.file}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
