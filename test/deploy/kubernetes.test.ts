import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resolveEnvFiles, SECRET_VARS } from '../../src/config/env-files.js';
import { EnvSchema, readEnv } from '../../src/config/env.js';
import { loadConfig } from '../../src/config/load.js';
import { GithubEnvSchema, readGithubEnv } from '../../src/github/env.js';
import { healthRoutes, Readiness } from '../../src/http/health.js';
import { run } from '../../src/util/exec.js';
import { MAIN } from '../support/cli.js';
import { tempDir } from '../support/env.js';
import { ROOT } from '../support/harness.js';

/**
 * The Kubernetes base (deploy/kubernetes) and its example overlays, rendered by kubectl kustomize
 * as Argo CD and Flux render them, checked object by object against the Kubernetes schemas and
 * against what gantry itself serves, reads and needs.
 */

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

/** The schema of every kind the manifests may hold; a kind missing here fails the test. */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Service': Service,
};

function validateObject(obj: K8sObject): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`${obj.kind} ${obj.metadata?.name}: no schema for ${obj.apiVersion}/${obj.kind}`);
  new Model(obj).validate();
}

const DEPLOY = path.join(ROOT, 'deploy');
const BASE = path.join(DEPLOY, 'kubernetes');
const PRODUCTION = path.join(DEPLOY, 'kubernetes-examples', 'production');
const DIND = path.join(DEPLOY, 'kubernetes-examples', 'dind');

function render(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => {
    if (d.errors.length) throw d.errors[0];
    return d.toJS() as K8sObject;
  });
}

const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const deployment = (objs: K8sObject[], name: string) => {
  const d = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
  if (!d) throw new Error(`no Deployment ${name}`);
  return d;
};
const podOf = (d: K8sObject): IPodSpec => d.spec.template.spec;
const gantryContainer = (d: K8sObject): IContainer => podOf(d).containers.find((c) => c.name === 'gantry')!;
const envValue = (c: IContainer, name: string) => c.env?.find((e) => e.name === name)?.value;

/** The secret keys the docs list: the rows of the tables under "## Secrets" in deploy/kubernetes/README.md. */
function documentedSecretKeys(): { required: Set<string>; optional: Set<string>; secrets: Set<string> } {
  const readme = readFileSync(path.join(BASE, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Secrets'))!;
  const required = new Set<string>();
  const optional = new Set<string>();
  for (const m of section.matchAll(/^\| `([A-Z0-9_]+)` \| (yes|no) \|/gm)) (m[2] === 'yes' ? required : optional).add(m[1]!);
  const secrets = new Set([...section.matchAll(/^\| (?:key in )?Secret `([a-z0-9-]+)`/gm)].map((m) => m[1]!));
  return { required, optional, secrets };
}

/** Writes a rendered ConfigMap's files into a directory, as the kubelet mounts them. */
function mountConfigMap(cm: K8sObject, dir: string): void {
  for (const [name, text] of Object.entries(cm.data as Record<string, string>)) writeFileSync(path.join(dir, name), text);
}

/** The mount (of the gantry container) a path lies on, and its volume. */
function volumeAt(pod: IPodSpec, c: IContainer, file: string) {
  const mount = (c.volumeMounts ?? [])
    .filter((m) => file === m.mountPath || file.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  return mount && { mount, volume: pod.volumes!.find((v) => v.name === mount.name)! };
}

describe('Kubernetes base (deploy/kubernetes)', () => {
  let base: K8sObject[];
  let production: K8sObject[];
  let dind: K8sObject[];
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    base = render(BASE);
    production = render(PRODUCTION);
    dind = render(DIND);
    tmp = tempDir('kubernetes');
  });
  afterAll(() => tmp?.remove());

  it('renders objects that are all valid against the Kubernetes schemas, in the base, the production example and the dind example', () => {
    for (const objs of [base, production, dind]) for (const o of objs) validateObject(o);
    expect(base.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '-<hash>')}`).sort()).toEqual([
      'ConfigMap/gantry-config-<hash>',
      'Deployment/gantry-web',
      'Deployment/gantry-worker',
      'PodDisruptionBudget/gantry-web',
      'Service/gantry-web',
    ]);
    expect(production.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Deployment', 'Ingress', 'Namespace', 'PodDisruptionBudget', 'Service']);
  });

  it('the validator refuses a broken object and a kind it has no schema for', () => {
    const web = structuredClone(deployment(base, 'gantry-web'));
    expect(() => validateObject(web)).not.toThrow();
    web.spec.replicas = '2';
    expect(() => validateObject(web)).toThrow(/replicas must be integer/);
    const probe = structuredClone(deployment(base, 'gantry-web'));
    probe.spec.template.spec.containers[0].livenessProbe.httpGet.port = { name: 'http' };
    expect(() => validateObject(probe)).toThrow();
    const unknown = { apiVersion: 'external-secrets.io/v1beta1', kind: 'ExternalSecret', metadata: { name: 'gantry' } };
    expect(() => validateObject(unknown)).toThrow(/no schema for external-secrets.io\/v1beta1\/ExternalSecret/);
  });

  it('sets no namespace and labels every object app.kubernetes.io/name=gantry; the overlay sets the namespace', () => {
    for (const o of base) {
      expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBeUndefined();
      expect(o.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'gantry', 'app.kubernetes.io/part-of': 'gantry' });
    }
    for (const o of production.filter((o) => o.kind !== 'Namespace')) expect(o.metadata.namespace).toBe('gantry');
  });

  it('runs gantry as non-root 10001 with a read-only root, no privilege escalation, no capabilities, seccomp RuntimeDefault', () => {
    for (const objs of [base, production, dind]) {
      for (const d of byKind(objs, 'Deployment')) {
        const pod = podOf(d);
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.containers.map((c) => c.name)).toEqual(['gantry']);
        const c = gantryContainer(d);
        expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } });
        expect(c.securityContext?.capabilities?.add).toBeUndefined();
        // the image's entrypoint (tini, then node) stays; the role is the argument
        expect(c.command).toBeUndefined();
        expect(c.image).toMatch(/^ghcr\.io\/gantry-dev\/gantry:/);
        expect(c.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        expect(c.resources?.limits?.memory).toEqual(expect.any(String));
      }
      // the only privileged container anywhere is the opt-in dind sidecar
      const privileged = byKind(objs, 'Deployment').flatMap((d) => [...podOf(d).containers, ...(podOf(d).initContainers ?? [])].filter((c) => c.securityContext?.privileged));
      expect(privileged.map((c) => c.name)).toEqual(objs === dind ? ['dind'] : []);
    }
  });

  it('each role runs a gantry subcommand that exists', async () => {
    expect(gantryContainer(deployment(base, 'gantry-web')).args).toEqual(['web']);
    expect(gantryContainer(deployment(base, 'gantry-worker')).args).toEqual(['worker']);
    for (const role of ['web', 'worker', 'no-such-role']) {
      // commander answers --help of an unknown command with the top-level usage
      const r = await run(process.execPath, [MAIN, role, '--help']);
      expect(r.stdout.startsWith(`Usage: gantry ${role} `), role).toBe(role !== 'no-such-role');
    }
  });

  it('probes ask /healthz and /readyz, the paths gantry serves, on the port and address it listens on', () => {
    const served = healthRoutes(new Readiness({ redis: { ping: async () => 'PONG' }, repo: { url: '.', branch: 'main' }, log: undefined as never })).map((r) => r.path);
    for (const objs of [base, production, dind]) {
      for (const d of byKind(objs, 'Deployment')) {
        const c = gantryContainer(d);
        const port = c.ports!.find((p) => p.name === 'http')!.containerPort;
        expect(String(port)).toBe(envValue(c, 'PORT'));
        // bound to 127.0.0.1 (the config's default), the kubelet's probes would never reach it
        expect(envValue(c, 'GANTRY_HOST')).toBe('0.0.0.0');
        for (const [probe, pathServed] of [[c.livenessProbe, '/healthz'], [c.readinessProbe, '/readyz'], [c.startupProbe, '/healthz']] as const) {
          expect(probe?.httpGet).toEqual({ path: pathServed, port: 'http' });
          expect(served).toContain(probe!.httpGet!.path);
        }
        // readiness runs git ls-remote (up to 5 s plus margin) before it answers
        expect(c.readinessProbe!.timeoutSeconds).toBeGreaterThan(5.5);
      }
    }
  });

  it('gives pods longer to stop than GANTRY_SHUTDOWN_GRACE, as gantry parses it, plus the preStop pause', () => {
    for (const objs of [base, production, dind]) {
      for (const d of byKind(objs, 'Deployment')) {
        const c = gantryContainer(d);
        const grace = envValue(c, 'GANTRY_SHUTDOWN_GRACE');
        expect(grace, d.metadata.name).toBeDefined();
        const { shutdownGraceMs } = readGithubEnv({ GITHUB_APP_ID: '1', GITHUB_PRIVATE_KEY: 'k', GITHUB_WEBHOOK_SECRET: 's', GANTRY_SHUTDOWN_GRACE: grace });
        const pause = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
        // at least 10 s for deploys in flight to commit and for the process to exit
        expect(podOf(d).terminationGracePeriodSeconds!).toBeGreaterThanOrEqual(shutdownGraceMs / 1000 + pause + 10);
      }
    }
    expect(gantryContainer(deployment(base, 'gantry-web')).lifecycle?.preStop?.sleep?.seconds).toBeGreaterThan(0);
  });

  it('the PodDisruptionBudget and the Service select the web pods and no worker pod', () => {
    for (const objs of [base, production]) {
      const webLabels = deployment(objs, 'gantry-web').spec.template.metadata.labels;
      const workerLabels = deployment(objs, 'gantry-worker').spec.template.metadata.labels;
      const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
      const [pdb] = byKind(objs, 'PodDisruptionBudget');
      const [svc] = byKind(objs, 'Service');
      for (const selector of [pdb!.spec.selector.matchLabels, svc!.spec.selector]) {
        expect(matches(selector, webLabels)).toBe(true);
        expect(matches(selector, workerLabels)).toBe(false);
      }
      expect(pdb!.spec.maxUnavailable).toBeLessThan(deployment(objs, 'gantry-web').spec.replicas);
    }
    const ingress = byKind(production, 'Ingress')[0]!;
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    const svc = byKind(production, 'Service')[0]!;
    expect(backend.name).toBe(svc.metadata.name);
    expect(svc.spec.ports.map((p: { name: string }) => p.name)).toContain(backend.port.name);
  });

  it('refers only to the Secrets and keys the docs list, each a variable gantry reads; with the required keys gantry accepts the environment', () => {
    const docs = documentedSecretKeys();
    const readsVariable = (name: string) => name in EnvSchema.shape || name in GithubEnvSchema.shape || (SECRET_VARS as readonly string[]).includes(name);
    for (const objs of [base, production]) {
      for (const d of byKind(objs, 'Deployment')) {
        const pod = podOf(d);
        const c = gantryContainer(d);
        for (const v of pod.volumes!.filter((v) => v.secret)) expect(docs.secrets, v.secret!.secretName).toContain(v.secret!.secretName);
        const files = new Map<string, string>();
        const env: NodeJS.ProcessEnv = {};
        const used = new Set<string>();
        for (const e of c.env!) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref) {
            expect(ref.name).toBe('gantry');
            expect(ref.key, 'a secretKeyRef is the variable it sets').toBe(e.name);
            expect(readsVariable(ref.key), ref.key).toBe(true);
            expect(ref.optional ?? false, `${ref.key}: optional as documented`).toBe(docs.optional.has(ref.key));
            used.add(ref.key);
            if (!ref.optional) env[e.name] = '12345';
          } else if (e.name.endsWith('_FILE')) {
            const name = e.name.slice(0, -'_FILE'.length);
            expect(SECRET_VARS, e.name).toContain(name);
            const at = volumeAt(pod, c, e.value!);
            expect(at?.volume.secret?.secretName, `${e.value} is on Secret gantry`).toBe('gantry');
            expect(at!.volume.secret!.optional ?? false).toBe(false);
            const key = path.relative(at!.mount.mountPath, e.value!);
            expect(docs.required, key).toContain(key);
            used.add(key);
            env[e.name] = e.value;
            files.set(e.value!, name === 'REDIS_URL' ? 'redis://redis.redis:6379/0' : `value of ${key}`);
          } else {
            env[e.name] = e.value;
          }
        }
        // every documented key is used, and nothing undocumented
        expect([...used].sort()).toEqual([...docs.required, ...docs.optional].sort());
        // the pod's environment as gantry reads it, with only the required keys in the Secret
        resolveEnvFiles(env, (p) => {
          const content = files.get(p);
          if (content === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
          return Buffer.from(content);
        });
        const parsed = readEnv(env);
        expect(parsed.REDIS_URL).toBe('redis://redis.redis:6379/0');
        expect(parsed.GANTRY_CONFIG).toBe('/etc/gantry');
        expect(readGithubEnv(env).webhookSecret).toBe('value of GITHUB_WEBHOOK_SECRET');
      }
    }
  });

  it('the ConfigMap mounted at GANTRY_CONFIG passes gantry\'s loader, and its warm clone, the state dir and /tmp are on emptyDirs', () => {
    for (const [name, objs] of [['base', base], ['production', production]] as const) {
      const dir = path.join(tmp.dir, name);
      execFileSync('mkdir', ['-p', dir]);
      const [cm] = byKind(objs, 'ConfigMap');
      mountConfigMap(cm!, dir);
      const { config } = loadConfig(dir);
      for (const d of byKind(objs, 'Deployment')) {
        const pod = podOf(d);
        const c = gantryContainer(d);
        const configMount = volumeAt(pod, c, envValue(c, 'GANTRY_CONFIG')!);
        expect(configMount?.volume.configMap?.name).toBe(cm!.metadata.name);
        for (const writable of [config.deployRepo.workdir, envValue(c, 'GANTRY_STATE_DIR')!, '/tmp']) {
          expect(path.isAbsolute(writable), writable).toBe(true);
          expect(volumeAt(pod, c, writable)?.volume.emptyDir, `${d.metadata.name}: ${writable} is writable`).toBeDefined();
        }
      }
      if (name === 'base') {
        expect(Object.keys(config.users)).toEqual([]);
        expect(Object.keys(config.groups)).toEqual([]);
      }
    }
  });

  it('builds on a remote Docker Engine over TLS by default; the dind component runs a privileged engine in the worker pod instead', () => {
    const worker = deployment(base, 'gantry-worker');
    const c = gantryContainer(worker);
    expect(envValue(c, 'DOCKER_HOST')).toMatch(/^tcp:\/\/[^/]+:2376$/);
    expect(envValue(c, 'DOCKER_TLS_VERIFY')).toBe('1');
    const certs = volumeAt(podOf(worker), c, envValue(c, 'DOCKER_CERT_PATH')!);
    expect(certs?.volume.secret).toMatchObject({ secretName: 'gantry-docker-tls', optional: true });
    expect(envValue(gantryContainer(deployment(base, 'gantry-web')), 'DOCKER_HOST')).toBeUndefined();

    const dindWorker = deployment(dind, 'gantry-worker');
    const dc = gantryContainer(dindWorker);
    expect(envValue(dc, 'DOCKER_HOST')).toBe('tcp://127.0.0.1:2375');
    expect(dc.env!.map((e) => e.name)).not.toContain('DOCKER_CERT_PATH');
    expect(dc.env!.map((e) => e.name)).not.toContain('DOCKER_TLS_VERIFY');
    expect(podOf(dindWorker).volumes!.map((v) => v.name)).not.toContain('docker-tls');
    const sidecar = podOf(dindWorker).initContainers!.find((i) => i.name === 'dind')!;
    // a native sidecar: started before gantry, stopped after it
    expect(sidecar.restartPolicy).toBe('Always');
    expect(sidecar.args).toContain('--host=tcp://127.0.0.1:2375');
    // the web pods stay unprivileged and untouched
    expect(podOf(deployment(dind, 'gantry-web'))).toEqual(podOf(deployment(base, 'gantry-web')));
  });
});
