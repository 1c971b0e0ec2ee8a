import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { renderGoTemplate } from './go-template.js';

/** The rollout payloads in their documented shapes, for tests that post them to gantry web. */

const fixture = (name: string) => readFileSync(new URL(`../fixtures/rollout/${name}`, import.meta.url), 'utf8');
/** The exact event notification-controller posted for a Kustomization that reconciled (Go's json.Marshal). */
export const FLUX_EVENT = JSON.parse(fixture('flux-kustomization-succeeded.json')) as Record<string, any>;
/** The recorded Application, as Argo CD Notifications hands it to the template (`.app`). */
export const APPLICATION = JSON.parse(fixture('argocd-application.json')) as Record<string, any>;
/** The body of gantry's Argo CD template, from the file users apply. */
export const ARGO_TEMPLATE = (() => {
  const cm = parse(readFileSync(new URL('../../deploy/argocd/notifications-cm.yaml', import.meta.url), 'utf8')) as { data: Record<string, string> };
  return (parse(cm.data['template.gantry']!) as { webhook: { gantry: { body: string } } }).webhook.gantry.body;
})();

/** The recorded Application as gantry's normalized rollout event: a webhook and a poll of it say the same. */
export const RECORDED_APPLICATION_EVENT = {
  source: 'argocd',
  object: { kind: 'Application', namespace: 'argocd', name: 'web-prod' },
  revision: '4f2a9c1d3e5b7a9c0d2e4f6a8b0c2d4e6f8a0b2c',
  phase: 'live',
  healthy: true,
  message: 'successfully synced (all tasks run)',
  at: '2026-03-09T12:05:31.000Z',
} as const;

/** Go's time.Time in JSON as Flux writes it: seconds, UTC. */
export const goTime = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The recorded Flux event for Kustomization `name` reconciled at `at` to `commit` (Go's field order). */
export function fluxBody(name: string, commit: string, at: Date, reason = 'ReconciliationSucceeded'): string {
  return JSON.stringify({
    ...FLUX_EVENT,
    involvedObject: { ...FLUX_EVENT.involvedObject, name },
    timestamp: goTime(at),
    reason,
    metadata: { ...FLUX_EVENT.metadata, revision: `main@sha1:${commit}` },
  });
}

/** `X-Signature` as Flux's generic-hmac Provider signs: HMAC of the body, hex. */
export const fluxSignature = (body: string, secret: string, hash = 'sha256') => `${hash}=${createHmac(hash, secret).update(body).digest('hex')}`;

/** gantry's Argo CD template rendered for the recorded Application synced at `commit`, its health, reconciled at `at`. */
export function argoBody(commit: string, at: Date, health: 'Healthy' | 'Degraded' = 'Healthy', message?: string): string {
  const s = APPLICATION.status;
  const status = {
    ...s,
    sync: { ...s.sync, status: 'Synced', revision: commit },
    health: { ...s.health, status: health, ...(message ? { message } : {}) },
    operationState: { ...s.operationState, phase: 'Succeeded', syncResult: { ...s.operationState.syncResult, revision: commit } },
    reconciledAt: goTime(at),
  };
  return renderGoTemplate(ARGO_TEMPLATE, { app: { ...APPLICATION, status } });
}
