import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/util/exec.js';
import { MAIN, writeTestConfig } from '../support/cli.js';
import { redisUrl, tempDir, uniquePrefix, wipePrefix } from '../support/env.js';
import { startRecorder } from '../support/recorder.js';

/** `gantry doctor` says whether each followed environment can be heard, and asks Argo CD when it may. */
describe('gantry doctor: rollout following', () => {
  let tmp: ReturnType<typeof tempDir>;
  let argo: Awaited<ReturnType<typeof startRecorder>>;
  let config: string;
  const prefix = uniquePrefix('doctor-rollout');
  const application = JSON.parse(readFileSync(new URL('../fixtures/rollout/argocd-application.json', import.meta.url), 'utf8')) as Record<string, any>;

  beforeAll(async () => {
    tmp = tempDir('doctor-rollout');
    argo = await startRecorder((r) => {
      if (r.headers.authorization !== 'Bearer argocd-read-token') return { status: 401, body: { error: 'invalid session' } };
      if (r.path === '/api/v1/applications/web-prod') return { body: application };
      return r.path.startsWith('/api/v1/applications/') ? { status: 404, body: { error: 'not found', code: 5 } } : undefined;
    });
    config = await writeTestConfig(tmp.dir, 'doctor-rollout', (d) => {
      d.environments.qa.rollout = { flux: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps-qa' } };
      d.environments.staging.rollout = { argocd: { application: 'web-staging' } };
      d.environments.prod.rollout = { argocd: { application: 'web-prod' } };
      d.environments.prod.url = 'https://web.example.com';
      d.environments.prod.verify = [{ name: 'health', http: { url: '${GANTRY_URL}/healthz' } }];
      d.environments.staging.url = 'https://staging.web.example.com';
      d.environments.staging.verify = [{ name: 'health', http: { url: '${GANTRY_URL}/healthz' } }];
      d.apps.web.rollout = { staging: { argocd: { application: 'web-staging' } } };
      delete d.environments.staging.rollout;
    });
  });
  afterAll(async () => {
    await argo?.close();
    await wipePrefix(prefix);
    tmp?.remove();
  });

  const doctor = (extra: Record<string, string>) =>
    run('node', [MAIN, 'doctor'], { cwd: tmp.dir, env: { ...process.env, GANTRY_CONFIG: config, REDIS_URL: redisUrl(), GANTRY_REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', ...extra }, timeoutMs: 60_000 });

  it('warns where no event can arrive', async () => {
    const r = await doctor({});
    expect(r.stdout).not.toMatch(/verify (prod|staging)/);
    expect(r.stdout).toMatch(/^warn +rollout web\/qa: mapped to Flux Kustomization flux-system\/apps-qa, but GANTRY_FLUX_WEBHOOK_SECRET is unset/m);
    expect(r.stdout).toMatch(/^warn +rollout web\/prod: mapped to Argo CD application web-prod, but neither GANTRY_ARGOCD_WEBHOOK_TOKEN nor GANTRY_ARGOCD_URL\/TOKEN is set/m);
  });

  it('with the secrets and the poller: ok, and each application is asked for', async () => {
    const r = await doctor({ GANTRY_FLUX_WEBHOOK_SECRET: 'flux-doctor-secret-0123456789abcdef', GANTRY_ARGOCD_URL: argo.url, GANTRY_ARGOCD_TOKEN: 'argocd-read-token' });
    expect(r.stdout).toMatch(/^ok +rollout web\/qa: followed through Flux Kustomization flux-system\/apps-qa/m);
    expect(r.stdout).toMatch(/^ok +rollout web\/prod: Argo CD answers for web-prod: live at 4f2a9c1$/m);
    expect(r.stdout).toMatch(new RegExp(`^FAIL +rollout web/staging: Argo CD at ${argo.url.replace(/[.]/g, '\\.')} answered HTTP 404 for application web-staging`, 'm'));
    expect(r.code).toBe(1);
    expect(argo.calls.filter((c) => c.path.startsWith('/api/v1/applications/')).map((c) => c.path).sort()).toEqual(['/api/v1/applications/web-prod', '/api/v1/applications/web-staging']);
  });

  it('warns where verify checks have no rollout to follow: they would run only by /verify', async () => {
    const unmapped = await writeTestConfig(tmp.dir, 'doctor-verify', (d) => {
      d.environments.qa.url = 'https://qa.web.example.com';
      d.environments.qa.verify = [{ name: 'health', http: { url: '${GANTRY_URL}/healthz' } }];
    });
    const r = await run('node', [MAIN, 'doctor'], { cwd: tmp.dir, env: { ...process.env, GANTRY_CONFIG: unmapped, REDIS_URL: redisUrl(), GANTRY_REDIS_PREFIX: prefix, LOG_LEVEL: 'warn' }, timeoutMs: 60_000 });
    expect(r.stdout).toMatch(/^warn +verify qa: qa has verify checks, but nothing shows how web roll out there: the checks run only when someone types \/verify$/m);
  });
});
