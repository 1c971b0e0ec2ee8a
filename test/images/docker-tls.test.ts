import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient } from '../../src/images/docker.js';
import { tempDir } from '../support/env.js';

/**
 * A remote Docker Engine (the Kubernetes base's builder) is reached over TLS with a client
 * certificate, as DOCKER_TLS_VERIFY and DOCKER_CERT_PATH say. The engine here is an HTTPS server
 * that, like dockerd --tlsverify, answers /_ping only to clients its CA signed.
 */
describe('dockerClient over TLS', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: Server;
  let host: string;
  const certs = () => path.join(tmp.dir, 'client');
  beforeAll(async () => {
    tmp = tempDir('docker-tls');
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: tmp.dir, stdio: 'pipe' });
    execFileSync('mkdir', ['-p', certs()]);
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test ca', '-keyout', 'ca-key.pem', '-out', 'client/ca.pem');
    const sign = (name: string, subject: string, ext: string) => {
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`);
      execFileSync('sh', ['-c', `printf '%s\\n' '${ext}' > ${name}.ext`], { cwd: tmp.dir });
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'client/ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
    };
    sign('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1');
    sign('client', '/CN=gantry', 'extendedKeyUsage=clientAuth');
    execFileSync('cp', ['client.pem', 'client/cert.pem'], { cwd: tmp.dir });
    execFileSync('cp', ['client-key.pem', 'client/key.pem'], { cwd: tmp.dir });
    const file = (name: string) => readFileSync(path.join(tmp.dir, name));
    server = createServer({ key: file('server-key.pem'), cert: file('server.pem'), ca: file('client/ca.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      res.writeHead(req.url === '/_ping' ? 200 : 404, { 'content-type': 'text/plain' }).end(req.url === '/_ping' ? 'OK' : '');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    tmp?.remove();
  });

  it('pings an engine that requires a client certificate with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH', async () => {
    const docker = dockerClient(host, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs() });
    expect(String(await docker.ping())).toBe('OK');
  });

  it('without TLS settings it speaks plain HTTP, which such an engine refuses', async () => {
    await expect(dockerClient(host, {}).ping()).rejects.toThrow();
  });

  it('names the missing setting or file, never guessing', () => {
    expect(() => dockerClient(host, { DOCKER_TLS_VERIFY: '1' })).toThrow(/DOCKER_CERT_PATH must name the directory/);
    expect(() => dockerClient(host, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tmp.dir })).toThrow(/cannot read .*ca\.pem \(ENOENT\)/);
  });
});
