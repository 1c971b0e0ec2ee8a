import { readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { ENV_VARS } from '../config/env-vars.js';
import { GantryError } from '../domain/errors.js';

/**
 * A dockerode client for `unix://…` or `tcp://host:port` (DOCKER_HOST's forms; default: the system
 * socket). As the docker CLI does, DOCKER_TLS_VERIFY=1 speaks TLS with the client certificate in
 * DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem): a remote engine must never accept anonymous clients,
 * since whoever reaches it is root on its host.
 */
export function dockerClient(dockerHost = process.env.DOCKER_HOST || ENV_VARS.DOCKER_HOST.default, env: NodeJS.ProcessEnv = process.env): Docker {
  if (dockerHost.startsWith('unix://')) return new Docker({ socketPath: dockerHost.slice('unix://'.length) });
  const u = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  if (!env.DOCKER_TLS_VERIFY || env.DOCKER_TLS_VERIFY === '0') return new Docker({ host: u.hostname, port: Number(u.port || 2375) });
  const dir = env.DOCKER_CERT_PATH;
  if (!dir) throw new GantryError('CONFIG_INVALID', 'DOCKER_TLS_VERIFY is set: DOCKER_CERT_PATH must name the directory with ca.pem, cert.pem and key.pem');
  const read = (name: string) => {
    try {
      return readFileSync(path.join(dir, name));
    } catch (e) {
      throw new GantryError('CONFIG_INVALID', `DOCKER_CERT_PATH: cannot read ${path.join(dir, name)} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  };
  return new Docker({ protocol: 'https', host: u.hostname, port: Number(u.port || 2376), ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') });
}
