import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import type { TestProject } from 'vitest/node';
import { tarballFromDirectory, type SourceFile } from './source-tarball.js';
import { startDockerServices as startServices } from './docker-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `unix:///…/docker.sock` of the tests' dockerd (absent until global setup provides it) */
    dockerHost: string;
    /** `127.0.0.1:<port>` of the tests' registry */
    registry: string;
  }
}

export interface TestDockerServices {
  dockerHost: string;
  registry: string;
  stop(): Promise<void>;
}

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'build');
export const BUSYBOX = '/bin/busybox';

let started: Promise<TestDockerServices> | undefined;

/**
 * A real dockerd and registry for the tests: DOCKER_HOST + GANTRY_REGISTRY when both are set,
 * else a private pair started once per process (calling again is free); `stop()` only stops
 * what this process started.
 */
export function startDockerServices(): Promise<TestDockerServices> {
  const host = process.env.DOCKER_HOST;
  const registry = process.env.GANTRY_REGISTRY;
  if (host && registry) return Promise.resolve({ dockerHost: host, registry, stop: async () => undefined });
  started ??= startServices().then((s) => ({
    dockerHost: s.dockerd.host,
    registry: s.registry.address,
    stop: async () => {
      started = undefined;
      await s.stop();
    },
  }));
  return started;
}

/** For test/support/global-setup.ts: starts the pair and provides it to every test file. */
export async function setupDockerServices(project: TestProject): Promise<() => Promise<void>> {
  const s = await startDockerServices();
  project.provide('dockerHost', s.dockerHost);
  project.provide('registry', s.registry);
  return () => s.stop();
}

/**
 * What a test file uses: the pair global setup provided, or (until global setup starts it) one
 * of its own, which the returned `stop` ends.
 */
export async function dockerServices(): Promise<TestDockerServices> {
  // imported here, not at the top: global setup imports this file outside any test worker
  const { inject } = await import('vitest');
  const host = inject('dockerHost') as string | undefined;
  const registry = inject('registry') as string | undefined;
  if (host && registry) return { dockerHost: host, registry, stop: async () => undefined };
  return startDockerServices();
}

export { dockerClient } from '../../src/images/docker.js';

/**
 * A GitHub-like source tarball (gzip, one top directory) of test/fixtures/build/<app>/ with
 * Debian's static busybox copied in at `busyboxAt` (default `busybox`), plus `extra` files.
 * The binary is copied at test time and never committed.
 */
export async function busyboxContext(
  app: string,
  opts: { busyboxAt?: string | string[]; extra?: Record<string, SourceFile>; top?: string } = {},
): Promise<Buffer> {
  const src = path.join(FIXTURES, app);
  if (!existsSync(src)) throw new Error(`no fixture ${src}`);
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install busybox-static`);
  const binary = await readFile(BUSYBOX);
  const extra: Record<string, SourceFile> = {};
  const at = opts.busyboxAt ?? 'busybox';
  for (const p of Array.isArray(at) ? at : [at]) extra[p] = { content: binary, mode: 0o755 };
  Object.assign(extra, opts.extra);
  return buffer(await tarballFromDirectory(src, { top: opts.top ?? `acme-${app}-1a2b3c4`, extra }));
}

/** Fetches a manifest by digest from a registry over HTTP, as a client pulling it would. */
export async function fetchManifest(registry: string, repository: string, reference: string, auth?: { username: string; password: string }) {
  const res = await fetch(`http://${registry}/v2/${repository}/manifests/${reference}`, {
    headers: {
      accept: [
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.oci.image.index.v1+json',
      ].join(', '),
      ...(auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {}),
    },
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, digestHeader: res.headers.get('docker-content-digest'), contentType: res.headers.get('content-type'), body };
}
