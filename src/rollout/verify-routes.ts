import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, type Route } from '../http/server.js';
import { english, msg } from '../i18n/voice.js';
import { VERIFY_RETENTION_MS, type VerifyStore } from './verify-store.js';

export const VERIFICATIONS_PATH = '/verifications/*';
const LOG_PATH = /^\/verifications\/([^/]{1,64})\/log$/;

/**
 * `GET /verifications/<id>/log`: the kept log of one verification run, as plain text.
 *
 * No login: the id is 128 random bits that only the run's report carries (chat, e-mail, GitHub),
 * so the link itself is the capability to read the log, as with a secret gist. An id that is not
 * exactly that shape never reaches Redis, and an unknown one answers the same 404 as a malformed
 * one, so ids cannot be probed for.
 */
export function verificationRoutes(store: VerifyStore, opts: { retentionMs?: number } = {}): Route[] {
  const days = Math.round((opts.retentionMs ?? VERIFY_RETENTION_MS) / 86_400_000);
  return [{ method: 'GET', path: VERIFICATIONS_PATH, handler: (req, res) => serveLog(store, days, req, res) }];
}

async function serveLog(store: VerifyStore, days: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const id = LOG_PATH.exec(path)?.[1] ?? '';
  const log = await store.log(id);
  if (log === undefined) {
    // the id as given goes back only inside JSON, shortened: never as markup or a header
    const error = english(msg('verify.log-unknown', { id: JSON.stringify(id.slice(0, 64)), days }));
    return sendJson(res, 404, { error, code: 'NOT_FOUND' });
  }
  res.writeHead(200, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(log),
    // the log holds a container's output: never let a browser sniff it into HTML
    'x-content-type-options': 'nosniff',
    'cache-control': 'private, no-store',
    'referrer-policy': 'no-referrer',
  });
  res.end(log);
}
