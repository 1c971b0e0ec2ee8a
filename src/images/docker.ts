import Docker from 'dockerode';
import { ENV_VARS } from '../config/env-vars.js';

/** A dockerode client for `unix://…` or `tcp://host:port` (DOCKER_HOST's forms; default: the system socket). */
export function dockerClient(dockerHost = process.env.DOCKER_HOST || ENV_VARS.DOCKER_HOST.default): Docker {
  if (dockerHost.startsWith('unix://')) return new Docker({ socketPath: dockerHost.slice('unix://'.length) });
  const u = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return new Docker({ host: u.hostname, port: Number(u.port || 2375) });
}
