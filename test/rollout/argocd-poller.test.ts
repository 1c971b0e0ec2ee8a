import { readFileSync } from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GantryError } from '../../src/domain/errors.js';
import { ArgoCdPoller } from '../../src/rollout/argocd.js';
import { listen } from '../../src/http/server.js';
import { RECORDED_APPLICATION_EVENT } from './payloads.js';

const TOKEN = 'argocd-api-token-0123456789abcdef';
const SHA = '4f2a9c1d3e5b7a9c0d2e4f6a8b0c2d4e6f8a0b2c';
/** `GET /api/v1/applications/web-prod` as Argo CD answered it (trimmed of managedFields' content). */
const APPLICATION = readFileSync(new URL('../fixtures/rollout/argocd-application.json', import.meta.url), 'utf8');

/** What a local stand-in for Argo CD's API server answers, and what it was asked. */
interface Seen {
  path: string;
  authorization: string | undefined;
}

describe('ArgoCdPoller: GET {server}/api/v1/applications/{name}', () => {
  let server: http.Server;
  let base: string;
  const seen: Seen[] = [];
  let answer: (name: string) => { status: number; body: string } = () => ({ status: 200, body: APPLICATION });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
      // Argo CD's API server: a session token, else 401 with its gRPC-gateway error body
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"invalid session: token signature is invalid","code":16,"message":"invalid session: token signature is invalid"}');
        return;
      }
      const m = /^(?:\/argocd)?\/api\/v1\/applications\/([^/]+)$/.exec(url.pathname);
      const name = m ? decodeURIComponent(m[1]!) : '';
      const a = name === 'web-prod' ? answer(name) : { status: 404, body: `{"error":"applications.argoproj.io \\"${name}\\" not found","code":5}` };
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body);
    });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
    answer = () => ({ status: 200, body: APPLICATION });
  });

  const poller = (o: { server?: string; token?: string } = {}) =>
    new ArgoCdPoller({ server: o.server ?? base, token: o.token ?? TOKEN, timeoutMs: 5000, now: () => new Date('2026-03-09T12:06:00Z') });
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GantryError);
    return err as GantryError;
  };

  it('reads the recorded Application as a live, healthy rollout of its synced revision', async () => {
    const e = await poller().application('web-prod');
    expect(e).toEqual(RECORDED_APPLICATION_EVENT);
    expect(seen).toEqual([{ path: '/api/v1/applications/web-prod', authorization: `Bearer ${TOKEN}` }]);
  });

  it('asks for an application in another namespace, and under a root path', async () => {
    await poller().application('web-prod', 'team-web');
    await poller({ server: `${base}/argocd/` }).application('web-prod');
    expect(seen.map((s) => s.path)).toEqual(['/api/v1/applications/web-prod?appNamespace=team-web', '/argocd/api/v1/applications/web-prod']);
  });

  it('follows what the answer says: a degraded application, a sync in progress', async () => {
    const app = JSON.parse(APPLICATION) as { status: Record<string, unknown> };
    answer = () => ({ status: 200, body: JSON.stringify({ ...app, status: { ...app.status, health: { status: 'Degraded', message: 'Deployment "web" exceeded its progress deadline' } } }) });
    expect(await poller().application('web-prod')).toMatchObject({ phase: 'degraded', healthy: false, message: 'Deployment "web" exceeded its progress deadline', revision: SHA });
    const { reconciledAt: _drop, ...withoutTime } = app.status;
    answer = () => ({ status: 200, body: JSON.stringify({ ...app, status: { ...withoutTime, health: { status: 'Progressing' } } }) });
    // no reconciledAt: the time of the poll
    expect(await poller().application('web-prod')).toMatchObject({ phase: 'syncing', at: '2026-03-09T12:06:00.000Z' });
  });

  it('says what went wrong: a refused token, an unknown application, a malformed or oversized answer, no server', async () => {
    expect((await refusal(poller({ token: 'wrong' }).application('web-prod'))).message).toBe(`Argo CD at ${base} answered HTTP 401 for application web-prod`);
    const missing = await refusal(poller().application('api-prod'));
    expect(missing.message).toBe(`Argo CD at ${base} answered HTTP 404 for application api-prod`);
    expect(missing.code).toBe('INPUT_INVALID');

    answer = () => ({ status: 200, body: APPLICATION.replace('"status": "Healthy",\n      "lastTransitionTime"', '"status": "Fine",\n      "lastTransitionTime"') });
    expect((await refusal(poller().application('web-prod'))).message).toMatch(/^Argo CD's answer for application web-prod: status\.health\.status: /);
    answer = () => ({ status: 200, body: '<html>login</html>' });
    expect((await refusal(poller().application('web-prod'))).message).toBe("Argo CD's answer for application web-prod is not valid JSON");
    answer = () => ({ status: 200, body: `{"pad":"${'x'.repeat(9 * 1024 * 1024)}"}` });
    expect((await refusal(poller().application('web-prod'))).message).toMatch(/sent more than 8388608 bytes/);

    const closed = http.createServer();
    const port = await listen(closed, 0, '127.0.0.1');
    await new Promise((r) => closed.close(r));
    expect((await refusal(poller({ server: `http://127.0.0.1:${port}` }).application('web-prod'))).message).toMatch(/^cannot reach Argo CD at http:\/\/127\.0\.0\.1:\d+ for application web-prod: /);
  });

  it('refuses a name that is no Kubernetes name before asking anything', async () => {
    expect((await refusal(poller().application('../settings'))).message).toMatch(/^the Argo CD application name: /);
    expect(seen).toEqual([]);
  });
});
