import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_DIR } from '../cli/package-info.js';
import type { Route } from '../http/server.js';
import { SECURITY_HEADERS } from './respond.js';

/** The stylesheet and the few scripts of the web pages, from the package's `assets/` directory. */
export const ASSETS_DIR = path.join(PACKAGE_DIR, 'assets');

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * Read once at start: a handful of small files, served from memory with an ETag, and listed by
 * name so no request path ever reaches the file system.
 */
export function loadAssets(dir = ASSETS_DIR): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = readFileSync(path.join(dir, name));
    out.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  return out;
}

export function assetRoutes(assets = loadAssets()): Route[] {
  return [
    {
      method: 'GET',
      path: '/assets/*',
      handler: (req, res) => {
        const name = (req.url ?? '/').split('?')[0]!.slice('/assets/'.length);
        const a = assets.get(name);
        if (!a) {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('not found');
          return;
        }
        const headers = { ...SECURITY_HEADERS, 'content-type': a.type, etag: a.etag, 'cache-control': 'public, max-age=300' };
        if (req.headers['if-none-match'] === a.etag) {
          res.writeHead(304, headers);
          res.end();
          return;
        }
        res.writeHead(200, { ...headers, 'content-length': a.body.length });
        res.end(a.body);
      },
    },
  ];
}
