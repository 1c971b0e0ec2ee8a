import type { TestProject } from 'vitest/node';
import { startRedis, type LocalRedis } from '../../src/runtime/redis-server.js';
import { setupDockerServices } from './docker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * Starts the real services the tests use, once for the whole run: a private redis-server on a
 * free port (unless REDIS_URL points at one), and a private dockerd and docker-registry (unless
 * DOCKER_HOST and GANTRY_REGISTRY point at a pair). Each test file namespaces its Redis keys.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let redis: LocalRedis | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    redis = await startRedis();
    url = redis.url;
  }
  project.provide('redisUrl', url);
  const stopDocker = await setupDockerServices(project);
  return async () => {
    await stopDocker();
    await redis?.stop();
  };
}
