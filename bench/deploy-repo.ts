import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigSchema, type Config } from '../src/config/schema.js';
import { deployMessage } from '../src/gitops/trailers.js';
import { run } from '../src/util/exec.js';

/**
 * A generated deploy repo: `apps` apps × `envs` Kubernetes Deployments
 * (`apps/app-<i>/<env>/deployment.yaml`, image `registry.example.com/acme/app-<i>:v1.0.<n>`) and
 * `commits` commits of history, written with one `git fast-import`. Most commits are gantry
 * deploys with trailers; the rest are hand edits (replica counts). One app (`hot`) is deployed to
 * one environment every `hot.every` commits, so `/history <hot.app> <hot.env>` finds its ten
 * newest deployments spread over the last couple of thousand commits, as in a busy repo.
 * Generated once per spec and cached under `bench/work/deploy-repo/<hash>/`.
 */
export interface DeployRepoSpec {
  apps: number;
  envs: readonly string[];
  commits: number;
  /** share of commits that are gantry deploys (the rest are hand edits) */
  deployShare: number;
  hot: { app: string; env: string; every: number };
  seed: number;
}

export interface DeployRepoMeta {
  files: number;
  commits: number;
  deploys: number;
  hotDeploys: number;
  /** the image tag every file carries at the tip, by path */
  tags: Record<string, string>;
}

export interface GeneratedRepo {
  /** the cached bare repo: copy it before writing to it */
  bare: string;
  meta: DeployRepoMeta;
  cached: boolean;
}

/** Bump when the generated content changes, so old caches are not reused. */
const GENERATOR = 3;
const BRANCH = 'main';

export const appName = (i: number) => `app-${i}`;
export const imageRepo = (app: string) => `registry.example.com/acme/${app}`;
export const manifestPath = (app: string, env: string) => `apps/${app}/${env}/deployment.yaml`;

/** The config of a generated repo: every app in every environment, with no approvals or order. */
export function specConfig(spec: DeployRepoSpec, bare: string): Config {
  return ConfigSchema.parse(specConfigData(spec, bare));
}

/**
 * The same config as plain data (what a config file holds), for every app of the spec or only
 * `only` of them: a team's gantry that manages a slice of a shared deploy repo.
 */
export function specConfigData(spec: DeployRepoSpec, bare: string, only?: readonly string[]): Record<string, unknown> {
  const apps: Record<string, unknown> = {};
  for (const app of only ?? Array.from({ length: spec.apps }, (_, i) => appName(i))) {
    apps[app] = {
      images: { [app]: { repository: imageRepo(app) } },
      deploy: Object.fromEntries(spec.envs.map((env) => [env, [{ file: manifestPath(app, env), format: 'kubernetes' }]])),
    };
  }
  return {
    deployRepo: { url: bare, branch: BRANCH },
    environments: Object.fromEntries(spec.envs.map((env) => [env, { promote: ['*'], rollback: ['*'] }])),
    apps,
  };
}

export function manifest(app: string, env: string, tag: string, replicas: number): string {
  return `# ${app} in ${env}: rolled out by Argo CD from this repo; gantry edits the image lines.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  namespace: ${env}
  labels:
    app: ${app}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${app}
  template:
    metadata:
      labels:
        app: ${app}
    spec:
      containers:
        - name: ${app}
          image: ${imageRepo(app)}:${tag}
          ports:
            - containerPort: 8080
          resources:
            requests: { cpu: 100m, memory: 128Mi }
            limits: { cpu: 500m, memory: 256Mi }
        - name: proxy
          image: envoyproxy/envoy:v1.30.1  # sidecar: not ours, never touched
---
apiVersion: v1
kind: Service
metadata:
  name: ${app}
  namespace: ${env}
spec:
  selector:
    app: ${app}
  ports:
    - port: 80
      targetPort: 8080
`;
}

/** Returns the cached repo for `spec`, generating it first when there is none. */
export async function ensureDeployRepo(workDir: string, spec: DeployRepoSpec): Promise<GeneratedRepo> {
  const key = createHash('sha256').update(JSON.stringify({ GENERATOR, ...spec })).digest('hex').slice(0, 12);
  const dir = path.join(workDir, 'deploy-repo', key);
  const metaFile = path.join(dir, 'meta.json');
  if (existsSync(metaFile)) {
    return { bare: path.join(dir, 'deploy.git'), meta: JSON.parse(readFileSync(metaFile, 'utf8')) as DeployRepoMeta, cached: true };
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const bare = path.join(tmp, 'deploy.git');
    await git(['init', '-q', '--bare', `--initial-branch=${BRANCH}`, bare]);
    const { stream, meta } = history(spec);
    await git(['fast-import', '--quiet'], bare, stream);
    await git(['repack', '-a', '-d', '-q'], bare);
    const count = Number((await git(['rev-list', '--count', BRANCH], bare)).trim());
    if (count !== spec.commits) throw new Error(`generated ${count} commits, expected ${spec.commits}`);
    writeFileSync(path.join(tmp, 'meta.json'), JSON.stringify(meta));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { bare: path.join(dir, 'deploy.git'), meta: JSON.parse(readFileSync(metaFile, 'utf8')) as DeployRepoMeta, cached: false };
}

/** A private copy of a bare repo (benchmarks write to it). */
export function copyRepo(bare: string, to: string): string {
  cpSync(bare, to, { recursive: true });
  return to;
}

/** The fast-import stream: one commit with every file, then `commits - 1` single-file commits. */
function history(spec: DeployRepoSpec): { stream: string; meta: DeployRepoMeta } {
  const rand = mulberry32(spec.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const state = new Map<string, { app: string; env: string; n: number; replicas: number }>();
  const out: string[] = [];
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let time = 1_700_000_000;
  const commit = (who: string, message: string, files: string[]) => {
    time += 600 + Math.floor(rand() * 1200);
    out.push(`commit refs/heads/${BRANCH}\n`, `author ${who} ${time} +0000\n`, `committer ${who} ${time} +0000\n`, data(message));
    for (const p of files) {
      const f = state.get(p)!;
      out.push(`M 100644 inline ${p}\n`, data(manifest(f.app, f.env, `v1.0.${f.n}`, f.replicas)));
    }
  };

  for (let i = 0; i < spec.apps; i++) {
    for (const env of spec.envs) state.set(manifestPath(appName(i), env), { app: appName(i), env, n: 0, replicas: 2 });
  }
  commit('alice <alice@acme.example>', 'initial manifests\n', [...state.keys()]);

  const people = ['alice', 'bob', 'carol', 'dave'];
  let deploys = 0;
  let hotDeploys = 0;
  for (let k = 1; k < spec.commits; k++) {
    const hot = k % spec.hot.every === 0;
    const app = hot ? spec.hot.app : appName(Math.floor(rand() * spec.apps));
    const env = hot ? spec.hot.env : pick(spec.envs);
    const p = manifestPath(app, env);
    const f = state.get(p);
    if (!f) throw new Error(`hot app ${app}/${env} is not in the generated repo`);
    if (hot || rand() < spec.deployShare) {
      const previous = `v1.0.${f.n}`;
      f.n += 1 + Math.floor(rand() * 3);
      const who = pick(people);
      const message = deployMessage({
        app,
        env,
        version: `v1.0.${f.n}`,
        action: env === spec.envs[0] ? 'auto' : 'promote',
        requestedBy: { id: `slack:U${who.toUpperCase()}`, name: who },
        approvedBy: env === 'prod' ? [{ id: 'slack:ULEAD', name: 'lead' }] : [],
        previousVersion: previous,
        request: `promote-bench-${k}`,
      });
      commit('gantry <gantry@localhost>', message, [p]);
      deploys++;
      if (hot) hotDeploys++;
    } else {
      f.replicas = 1 + Math.floor(rand() * 6);
      const who = pick(people);
      commit(`${who} <${who}@acme.example>`, `scale ${app} in ${env} to ${f.replicas} replicas\n`, [p]);
    }
  }
  const tags = Object.fromEntries([...state].map(([p, f]) => [p, `v1.0.${f.n}`]));
  return { stream: out.join(''), meta: { files: state.size, commits: spec.commits, deploys, hotDeploys, tags } };
}

/** A small seeded PRNG, so a spec always yields the same repo. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** git, failing loudly. */
export async function git(args: string[], cwd?: string, input?: string): Promise<string> {
  const r = await run('git', args, { ...(cwd ? { cwd } : {}), ...(input !== undefined ? { input } : {}) });
  if (r.code !== 0) throw new Error(`git ${args.slice(0, 2).join(' ')} failed (${r.code}): ${r.stderr.trim().slice(0, 500)}`);
  return r.stdout;
}
