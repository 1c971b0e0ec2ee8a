import { createHash } from 'node:crypto';

/**
 * Reads one manifest from a registry over its HTTP API v2, with the credentials the push uses:
 * what a tag names right now, before gantry pushes over it. Basic and bearer-token auth (the
 * `WWW-Authenticate` challenge, as Docker Hub, GHCR and Harbor answer) are both handled.
 * Loopback registries are spoken to over http (as dockerd does), every other one over https.
 */

export interface RemoteManifest {
  /** the manifest digest the registry serves the tag as (Docker-Content-Digest) */
  digest: string;
  /** the image config digest, which is the engine's image id; absent for a manifest list or index */
  configDigest?: string;
}

export interface RegistryAuth {
  username: string;
  password: string;
}

const ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');
const TIMEOUT_MS = 30_000;

/** `host[:port]/path` → where to ask; a reference without a host is Docker Hub's, as docker reads it. */
export function registryEndpoint(repository: string): { base: string; name: string } {
  const [first, ...rest] = repository.split('/');
  const hasHost = rest.length > 0 && (first!.includes('.') || first!.includes(':') || first === 'localhost');
  if (!hasHost) return { base: 'https://registry-1.docker.io', name: rest.length ? repository : `library/${repository}` };
  const hostname = first!.replace(/:\d+$/, '');
  const loopback = hostname === 'localhost' || /^127\./.test(hostname) || hostname === '[::1]';
  return { base: `${loopback ? 'http' : 'https'}://${first}`, name: rest.join('/') };
}

/** What `repository:tag` names in the registry, or undefined when the tag does not exist. Throws on any other answer. */
export async function remoteManifest(repository: string, tag: string, o: { auth?: RegistryAuth; signal?: AbortSignal } = {}): Promise<RemoteManifest | undefined> {
  const { base, name } = registryEndpoint(repository);
  const url = `${base}/v2/${name}/manifests/${encodeURIComponent(tag)}`;
  const signal = o.signal ? AbortSignal.any([o.signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS);
  const get = (authorization?: string) => fetch(url, { headers: { accept: ACCEPT, ...(authorization ? { authorization } : {}) }, signal });
  let res = await get();
  if (res.status === 401) {
    const authorization = await answerChallenge(res.headers.get('www-authenticate') ?? '', o.auth, signal);
    await res.body?.cancel();
    if (authorization) res = await get(authorization);
  }
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`the registry answered ${res.status} for ${repository}:${tag}`);
  }
  const body = Buffer.from(await res.arrayBuffer());
  const digest = res.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const parsed = JSON.parse(body.toString('utf8')) as { config?: { digest?: unknown } };
  const configDigest = typeof parsed.config?.digest === 'string' ? parsed.config.digest : undefined;
  return configDigest ? { digest, configDigest } : { digest };
}

/** The Authorization header a 401's challenge asks for, if it can be met. */
async function answerChallenge(challenge: string, auth: RegistryAuth | undefined, signal: AbortSignal): Promise<string | undefined> {
  const basic = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : undefined;
  const scheme = challenge.split(' ')[0]?.toLowerCase();
  if (scheme === 'basic') return basic;
  if (scheme !== 'bearer') return undefined;
  const params = new Map<string, string>();
  for (const m of challenge.matchAll(/(\w+)="([^"]*)"/g)) params.set(m[1]!.toLowerCase(), m[2]!);
  const realm = params.get('realm');
  if (!realm) return undefined;
  const tokenUrl = new URL(realm);
  for (const key of ['service', 'scope']) {
    const v = params.get(key);
    if (v !== undefined) tokenUrl.searchParams.set(key, v);
  }
  const res = await fetch(tokenUrl, { headers: basic ? { authorization: basic } : {}, signal });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`the registry's token service answered ${res.status}`);
  }
  const t = (await res.json()) as { token?: string; access_token?: string };
  const token = t.token ?? t.access_token;
  return token ? `Bearer ${token}` : undefined;
}
