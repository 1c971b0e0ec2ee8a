import type { TestProject } from 'vitest/node';
import { startRedis, type LocalRedis } from '../../src/runtime/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * Starts the real services the tests use: a private redis-server on a free port (unless
 * REDIS_URL points at one already). Each test file namespaces its keys with its own prefix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let redis: LocalRedis | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    redis = await startRedis();
    url = redis.url;
  }
  project.provide('redisUrl', url);
  return async () => {
    await redis?.stop();
  };
}
