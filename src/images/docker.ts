import Docker from 'dockerode';

/** A dockerode client for `unix://…` or `tcp://host:port` (DOCKER_HOST's forms; default: the system socket). */
export function dockerClient(dockerHost = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'): Docker {
  if (dockerHost.startsWith('unix://')) return new Docker({ socketPath: dockerHost.slice('unix://'.length) });
  const u = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return new Docker({ host: u.hostname, port: Number(u.port || 2375) });
}
