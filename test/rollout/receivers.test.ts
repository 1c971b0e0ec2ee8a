import { createHmac } from 'node:crypto';
import { RECORDED_APPLICATION_EVENT } from './payloads.js';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RolloutEvent } from '../../src/rollout/events.js';
import { ARGOCD_PATH, FLUX_PATH, rolloutRoutes } from '../../src/rollout/routes.js';
import { silentLogger } from '../../src/util/logger.js';
import { serve } from '../http/serve.js';
import { renderGoTemplate } from './go-template.js';

const FLUX_SECRET = 'flux-hmac-token-0123456789abcdef';
const ARGO_TOKEN = 'argocd-notify-token-0123456789abcdef';
const SHA = '4f2a9c1d3e5b7a9c0d2e4f6a8b0c2d4e6f8a0b2c';
const OLD_SHA = '91be07d5c3a1f2e4d6b8a0c2e4f6a8b0c2d4e6f8';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/rollout/${name}`, import.meta.url), 'utf8');
/** The exact bytes notification-controller posted for a Kustomization that reconciled (Go's json.Marshal). */
const FLUX_BODY = fixture('flux-kustomization-succeeded.json');
const FLUX_EVENT = JSON.parse(FLUX_BODY) as Record<string, unknown>;
/** The recorded Application, as Argo CD Notifications hands it to the template (`.app`). */
const APPLICATION = JSON.parse(fixture('argocd-application.json')) as Record<string, unknown>;
/** The body of gantry's template, from the file users apply. */
const TEMPLATE_BODY = (() => {
  const cm = parse(readFileSync(new URL('../../deploy/argocd/notifications-cm.yaml', import.meta.url), 'utf8')) as { data: Record<string, string> };
  return (parse(cm.data['template.gantry']!) as { webhook: { gantry: { method: string; body: string } } }).webhook.gantry;
})();

/** `X-Signature` exactly as the generic-hmac Provider builds it (forwarder.go: sign). */
const signature = (body: string, secret = FLUX_SECRET, hash = 'sha256') => `${hash}=${createHmac(hash, secret).update(body).digest('hex')}`;
/** A variant of the recorded event, serialized the way Go does (compact, same field order). */
const fluxBody = (change: Record<string, unknown>) => JSON.stringify({ ...FLUX_EVENT, ...change });
/** The recorded Application with `status` fields replaced. */
const appWith = (status: Record<string, unknown>) => ({ ...APPLICATION, status: { ...(APPLICATION.status as object), ...status } });
const renderArgo = (app: unknown) => renderGoTemplate(TEMPLATE_BODY.body, { app });

describe('rollout receivers: POST /rollout/flux and /rollout/argocd', () => {
  let srv: Awaited<ReturnType<typeof serve>>;
  const passed: RolloutEvent[] = [];
  /** the clock of the receiver: 3 s after the recorded event */
  let now = Date.parse('2026-03-09T12:03:17Z');
  let failNext = false;

  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${srv.url}${path}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
    return { status: res.status, json: (await res.json()) as { error?: string; accepted?: boolean; ignored?: boolean } };
  };
  const postFlux = (body: string, headers: Record<string, string> = { 'x-signature': signature(body) }) =>
    post(FLUX_PATH, body, { 'content-type': 'application/json', 'gotk-component': 'kustomize-controller', ...headers });
  const postArgo = (body: string, token = ARGO_TOKEN) => post(ARGOCD_PATH, body, { authorization: `Bearer ${token}` });

  beforeAll(async () => {
    srv = await serve(
      rolloutRoutes({
        flux: { secret: FLUX_SECRET },
        argocd: { token: ARGO_TOKEN },
        onEvent: async (e) => {
          if (failNext) {
            failNext = false;
            throw new Error('state machine unavailable');
          }
          passed.push(e);
        },
        log: silentLogger,
        now: () => now,
      }),
    );
  });
  afterAll(async () => {
    await srv?.close();
  });
  beforeEach(() => {
    passed.length = 0;
    now = Date.parse('2026-03-09T12:03:17Z');
  });

  it('mounts only the receivers that have a secret', () => {
    const base = { onEvent: async () => undefined, log: silentLogger };
    expect(rolloutRoutes(base)).toEqual([]);
    expect(rolloutRoutes({ ...base, flux: { secret: 's' } }).map((r) => r.path)).toEqual([FLUX_PATH]);
    expect(rolloutRoutes({ ...base, argocd: { token: 't' } }).map((r) => r.path)).toEqual([ARGOCD_PATH]);
  });

  describe('Flux (generic-hmac Provider)', () => {
    it('passes on a signed Kustomization event with its revision, normalized', async () => {
      const r = await postFlux(FLUX_BODY);
      expect(r).toEqual({ status: 200, json: { accepted: true, phase: 'live' } });
      expect(passed).toEqual([
        {
          source: 'flux',
          object: { kind: 'Kustomization', namespace: 'flux-system', name: 'web-prod' },
          revision: SHA,
          phase: 'live',
          healthy: true,
          message: 'Reconciliation finished in 4.273s, next run in 10m0s',
          at: '2026-03-09T12:03:14.000Z',
        },
      ]);
    });

    it('reads the revision keys of older notification-controllers (main/<sha>) and prefers originRevision', async () => {
      const old = fluxBody({ metadata: { 'kustomize.toolkit.fluxcd.io/revision': `main/${OLD_SHA}` } });
      expect((await postFlux(old)).status).toBe(200);
      const oci = fluxBody({ metadata: { originRevision: `main@sha1:${SHA}`, revision: `latest@sha256:${'ab'.repeat(32)}` } });
      expect((await postFlux(oci)).status).toBe(200);
      const helm = fluxBody({ involvedObject: { kind: 'HelmRelease', namespace: 'web', name: 'web' }, reason: 'UpgradeSucceeded', metadata: { revision: '1.4.2' } });
      expect((await postFlux(helm)).status).toBe(200);
      expect(passed.map((e) => [e.object.kind, e.revision])).toEqual([
        ['Kustomization', OLD_SHA],
        ['Kustomization', SHA],
        ['HelmRelease', undefined],
      ]);
    });

    it('maps the documented reasons: Progressing → syncing, HealthCheckFailed → degraded, errors → failed; other info is ignored', async () => {
      const cases: [Record<string, unknown>, string | undefined][] = [
        [{ reason: 'Progressing', message: 'Deployment/web/web configured' }, 'syncing'],
        [{ reason: 'HealthCheckFailed', severity: 'error', message: 'health check failed after 5m: timeout waiting for: [Deployment/web/web status: InProgress]' }, 'degraded'],
        [{ reason: 'ReconciliationFailed', severity: 'error', message: 'kustomize build failed' }, 'failed'],
        [{ reason: 'BuildFailed', severity: 'error', message: 'kustomization.yaml: no such file' }, 'failed'],
        [{ reason: 'DriftDetected', message: 'drift' }, undefined],
        [{ reason: 'Progressing', severity: 'trace', message: 'trace' }, undefined],
      ];
      for (const [change, phase] of cases) {
        const r = await postFlux(fluxBody(change));
        expect(r, JSON.stringify(change)).toEqual({ status: 200, json: phase ? { accepted: true, phase } : { ignored: true } });
      }
      expect(passed.map((e) => [e.phase, e.healthy])).toEqual([
        ['syncing', undefined],
        ['degraded', false],
        ['failed', undefined],
        ['failed', undefined],
      ]);
    });

    it('refuses (401) a wrong signature, a missing one, a weaker hash, a changed body and a stale replay; passes nothing on', async () => {
      const refusals: [string, Record<string, string>, RegExp][] = [
        [FLUX_BODY, { 'x-signature': signature(FLUX_BODY, 'another-secret') }, /does not match/],
        [FLUX_BODY, {}, /unsigned/],
        [FLUX_BODY, { 'x-signature': signature(FLUX_BODY, FLUX_SECRET, 'sha1') }, /sha256, sha384, sha512/],
        [FLUX_BODY, { 'x-signature': signature(FLUX_BODY, FLUX_SECRET, 'sha224') }, /sha256, sha384, sha512/],
        [FLUX_BODY, { 'x-signature': signature(FLUX_BODY).slice(0, -2) }, /does not match/],
        [FLUX_BODY.replace('web-prod', 'web-prof'), { 'x-signature': signature(FLUX_BODY) }, /does not match/],
      ];
      for (const [body, headers, error] of refusals) {
        const r = await postFlux(body, headers);
        expect(r.status, JSON.stringify(headers)).toBe(401);
        expect(r.json.error).toMatch(error);
      }
      now += 60 * 60_000;
      const stale = await postFlux(FLUX_BODY);
      expect(stale.status).toBe(401);
      expect(stale.json.error).toMatch(/older than 10 minutes/);
      expect(passed).toEqual([]);
      // the documented verifier's longer hashes are taken
      now -= 60 * 60_000;
      expect((await postFlux(FLUX_BODY, { 'x-signature': signature(FLUX_BODY, FLUX_SECRET, 'sha512') })).status).toBe(200);
      expect(passed).toHaveLength(1);
    });

    it('says what and where for bad JSON, a bad field or a kind gantry does not follow (400)', async () => {
      const cases: [string, RegExp][] = [
        ['{"involvedObject":', /^the body is not valid JSON$/],
        [fluxBody({ involvedObject: { kind: 'Kustomization', name: 'Web Prod' } }), /^the Flux event: involvedObject\.name: must be a Kubernetes object name$/],
        [fluxBody({ severity: 'fatal' }), /^the Flux event: severity: /],
        [fluxBody({ timestamp: 'yesterday' }), /^the Flux event: timestamp: /],
        [fluxBody({ message: 'x'.repeat(39_001) }), /^the Flux event: message: /],
        [fluxBody({ involvedObject: { kind: 'GitRepository', namespace: 'flux-system', name: 'deploy' } }), /GitRepository is not a kind gantry follows \(Kustomization, HelmRelease\)/],
        ['{"__proto__":{"x":1}}', /__proto__/],
      ];
      for (const [body, error] of cases) {
        const r = await postFlux(body);
        expect(r.status, body.slice(0, 80)).toBe(400);
        expect(r.json.error).toMatch(error);
      }
      expect(passed).toEqual([]);
    });
  });

  describe('Argo CD (Notifications webhook with gantry\'s template)', () => {
    it('passes on the template rendered from a recorded Application, normalized', async () => {
      expect(TEMPLATE_BODY.method).toBe('POST');
      const body = renderArgo(APPLICATION);
      const r = await postArgo(body);
      expect(r).toEqual({ status: 200, json: { accepted: true, phase: 'live' } });
      expect(passed).toEqual([RECORDED_APPLICATION_EVENT]);
    });

    it('maps a failed sync (with the revision it tried), degraded health and a running sync', async () => {
      const failedOp = { ...(APPLICATION.status as { operationState: object }).operationState, phase: 'Failed', message: 'one or more objects failed to apply: "web" is invalid', syncResult: { revision: OLD_SHA } };
      const states = [
        appWith({ operationState: failedOp }),
        appWith({ health: { status: 'Degraded', message: 'Deployment "web" exceeded its progress deadline' } }),
        appWith({ sync: { status: 'OutOfSync', revision: OLD_SHA }, operationState: { phase: 'Running', message: 'waiting for healthy state of apps/Deployment/web' } }),
        // an Application never synced has no operationState: the template writes null
        appWith({ operationState: undefined, sync: { status: 'OutOfSync', revision: OLD_SHA }, health: { status: 'Missing' } }),
      ];
      for (const app of states) expect((await postArgo(renderArgo(app))).status).toBe(200);
      expect(passed.map((e) => [e.phase, e.healthy, e.revision, e.message])).toEqual([
        ['failed', undefined, OLD_SHA, 'one or more objects failed to apply: "web" is invalid'],
        ['degraded', false, SHA, 'Deployment "web" exceeded its progress deadline'],
        ['syncing', undefined, OLD_SHA, 'waiting for healthy state of apps/Deployment/web'],
        ['syncing', undefined, OLD_SHA, 'sync OutOfSync, health Missing'],
      ]);
    });

    it('refuses (401) a wrong or missing token without reading the body; passes nothing on', async () => {
      const body = renderArgo(APPLICATION);
      expect((await postArgo(body, `${ARGO_TOKEN}x`)).status).toBe(401);
      const none = await fetch(`${srv.url}${ARGOCD_PATH}`, { method: 'POST', body, signal: AbortSignal.timeout(5000) });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Bearer');
      expect(passed).toEqual([]);
    });

    it('says what and where for a body that is not the template\'s (400)', async () => {
      const bad = JSON.parse(renderArgo(APPLICATION)) as Record<string, unknown>;
      const cases: [string, RegExp][] = [
        ['not json', /^the body is not valid JSON$/],
        [JSON.stringify({ ...bad, healthStatus: 'Fine' }), /^the Argo CD notification: healthStatus: /],
        [JSON.stringify({ ...bad, app: undefined }), /^the Argo CD notification: app: /],
        [renderArgo(appWith({ reconciledAt: 'later' })), /^the Argo CD notification: reconciledAt: /],
      ];
      for (const [body, error] of cases) {
        const r = await postArgo(body);
        expect(r.status, body.slice(0, 80)).toBe(400);
        expect(r.json.error).toMatch(error);
      }
      expect(passed).toEqual([]);
    });
  });

  it('refuses a body over 64 KiB (413) on both receivers', async () => {
    const big = fluxBody({ message: 'x'.repeat(70 * 1024) });
    expect((await postFlux(big)).status).toBe(413);
    expect((await postArgo(JSON.stringify({ app: 'web-prod', pad: 'x'.repeat(70 * 1024) }))).status).toBe(413);
    expect(passed).toEqual([]);
  });

  it('answers 5xx when the event cannot be taken, so Flux and Argo CD deliver it again', async () => {
    failNext = true;
    expect((await postFlux(FLUX_BODY)).status).toBe(500);
    expect((await postFlux(FLUX_BODY)).status).toBe(200);
    expect(passed).toHaveLength(1);
  });
});
