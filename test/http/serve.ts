import type { Server } from 'node:http';
import { createHttpServer, listen, type Route } from '../../src/http/server.js';
import { silentLogger } from '../../src/util/logger.js';

/** gantry's own HTTP server with `routes`, on a free port of 127.0.0.1. */
export async function serve(routes: Route[]): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createHttpServer(routes, silentLogger);
  const port = await listen(server, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Polls `pred` every 50 ms for at most `ms`; the last value is returned either way. */
export async function until<T>(f: () => Promise<T>, pred: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await f();
  while (!pred(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    v = await f();
  }
  return v;
}
