import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the recorder received. */
export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  raw: string;
  /** JSON bodies parsed; form bodies as an object, with JSON-looking fields (blocks, …) parsed */
  body: Record<string, any>;
}

type Answer = { status?: number; body: unknown } | undefined;
/** An answer now, or later (a slow API: the test holds it until something else happened). */
export type Responder = (r: Recorded) => Answer | Promise<Answer>;

/**
 * A local HTTP server standing in for a chat platform's API: it records every request and
 * answers through `respond`. A request nobody answers gets 404, so an unexpected call shows.
 */
export async function startRecorder(respond: Responder): Promise<{ url: string; calls: Recorded[]; waitFor(pred: (r: Recorded) => boolean, what: string, timeoutMs?: number): Promise<Recorded>; close(): Promise<void> }> {
  const calls: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rec: Recorded = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, raw, body: parseBody(raw, req.headers['content-type'] ?? '') };
      calls.push(rec);
      void Promise.resolve(respond(rec)).then((answer) => {
        const status = answer?.status ?? (answer ? 200 : 404);
        const text = JSON.stringify(answer?.body ?? { ok: false, error: 'unknown_method' });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    async waitFor(pred, what, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = calls.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got: ${calls.map((c) => c.path).join(', ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function parseBody(raw: string, type: string): Record<string, any> {
  if (!raw) return {};
  if (type.includes('json')) return JSON.parse(raw) as Record<string, any>;
  if (type.includes('x-www-form-urlencoded')) {
    const out: Record<string, any> = {};
    for (const [k, v] of new URLSearchParams(raw)) out[k] = /^[[{]/.test(v) ? safeJson(v) : v;
    return out;
  }
  return { raw };
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
