import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { fill, verifyVars } from '../../src/rollout/verify-config.js';
import { tempDir } from '../support/env.js';
import { ROOT } from '../support/harness.js';

const DEFAULT = readFileSync(path.join(ROOT, 'config', 'demo', 'gantry.yml'), 'utf8');

/** `environments.<env>.verify` as the loader sees it: default.yml plus a file of checks, file and line in every error. */
describe('verify config', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('verify-config');
    writeFileSync(path.join(tmp.dir, 'default.yml'), DEFAULT);
  });
  afterEach(() => tmp.remove());

  const load = (yaml: string) => {
    writeFileSync(path.join(tmp.dir, 'verify.yml'), yaml);
    return loadConfig(tmp.dir).config;
  };
  const refused = (yaml: string): string => {
    try {
      load(yaml);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('expected the config to be refused');
  };
  const file = () => path.join(tmp.dir, 'verify.yml');

  it('takes container and http checks with their defaults', () => {
    const cfg = load(`environments:
  qa:
    url: https://qa.acme.example/
    verify:
      - name: smoke
        container: { image: "127.0.0.1:5000/acme/smoke:1.2", command: [sh, -c, "wget -qO- $GANTRY_URL"], env: { TARGET: "\${GANTRY_URL}/api?v=\${GANTRY_VERSION}" } }
      - name: health
        http: { url: "\${GANTRY_URL}/healthz?app=\${GANTRY_APP}" }
`);
    expect(cfg.environments.qa!.verify).toEqual([
      {
        name: 'smoke',
        container: { image: '127.0.0.1:5000/acme/smoke:1.2', command: ['sh', '-c', 'wget -qO- $GANTRY_URL'], env: { TARGET: '${GANTRY_URL}/api?v=${GANTRY_VERSION}' }, timeout: '5m' },
      },
      { name: 'health', http: { url: '${GANTRY_URL}/healthz?app=${GANTRY_APP}', status: 200, retries: 3, interval: '5s', timeout: '10s' } },
    ]);
    expect(cfg.environments.prod!.verify).toEqual([]);
    // GANTRY_URL loses its trailing slash; in a URL the other values are percent-encoded
    const vars = verifyVars({ url: 'https://qa.acme.example/', env: 'qa', app: 'web', version: 'v1.2.3+a/b', commit: 'c0ffee' });
    expect(fill('${GANTRY_URL}/healthz?v=${GANTRY_VERSION}', vars, true)).toBe('https://qa.acme.example/healthz?v=v1.2.3%2Ba%2Fb');
    expect(fill('${GANTRY_URL} ${GANTRY_VERSION}', vars)).toBe('https://qa.acme.example v1.2.3+a/b');
  });

  it('refuses a placeholder gantry does not fill, naming file, line and key', () => {
    const msg = refused(`environments:
  qa:
    url: https://qa.acme.example
    verify:
      - name: health
        http: { url: "\${GANTRY_URL}/healthz" }
      - name: smoke
        container:
          image: registry.example.com/acme/smoke:1
          env:
            HOME_DIR: "\${HOME}/x"
            OPEN: "\${GANTRY_APP"
`);
    expect(msg).toContain(`${file()} line 11: environments.qa.verify.1.container.env.HOME_DIR "\${HOME}" is not a placeholder gantry fills: use one of \${GANTRY_URL}`);
    expect(msg).toContain(`${file()} line 12: environments.qa.verify.1.container.env.OPEN "\${GANTRY_APP" is not a placeholder gantry fills`);
    expect(refused(`environments:\n  qa:\n    verify:\n      - { name: h, http: { url: "http://x.example/\${PATH}" } }\n`)).toMatch(
      /verify\.yml line 4: environments\.qa\.verify\.0\.http\.url "\$\{PATH\}" is not a placeholder gantry fills/,
    );
  });

  it('refuses ${GANTRY_URL} in an environment without url', () => {
    const msg = refused(`environments:
  staging:
    verify:
      - name: health
        http: { url: "\${GANTRY_URL}/healthz" }
      - name: smoke
        container: { image: "registry.example.com/acme/smoke:1", env: { BASE: "\${GANTRY_URL}" } }
`);
    expect(msg).toMatch(/verify\.yml line 5: environments\.staging\.verify\.0\.http\.url uses \$\{GANTRY_URL\} but environments\.staging\.url is not set/);
    expect(msg).toMatch(/verify\.yml line 7: environments\.staging\.verify\.1\.container\.env\.BASE uses \$\{GANTRY_URL\} but environments\.staging\.url is not set/);
  });

  it('refuses duplicate names, both kinds or neither, bad images, env names and URLs', () => {
    const msg = refused(`environments:
  qa:
    verify:
      - { name: health, http: { url: "https://qa.example/a" } }
      - { name: health, http: { url: "https://qa.example/b" } }
`);
    expect(msg).toMatch(/verify\.yml line 5: environments\.qa\.verify\.1\.name another check of this environment is named "health"/);
    expect(refused(`environments:\n  qa:\n    verify:\n      - { name: a, http: { url: "https://x.example" }, container: { image: "x:1" } }\n`)).toMatch(
      /environments\.qa\.verify\.0 needs exactly one of container or http/,
    );
    expect(refused(`environments:\n  qa:\n    verify:\n      - { name: a }\n`)).toMatch(/environments\.qa\.verify\.0 needs exactly one of container or http/);
    expect(refused(`environments:\n  qa:\n    verify:\n      - { name: a, container: { image: "Acme/Smoke:1 --privileged" } }\n`)).toMatch(
      /environments\.qa\.verify\.0\.container\.image must be an image reference/,
    );
    expect(refused(`environments:\n  qa:\n    verify:\n      - { name: a, container: { image: "x:1", env: { "A-B": "1", GANTRY_ENV: "x" } } }\n`)).toMatch(
      /container\.env\.A-B must be an environment variable name[\s\S]*container\.env\.GANTRY_ENV GANTRY_ENV is set by gantry/,
    );
    expect(refused(`environments:\n  qa:\n    verify:\n      - { name: a, http: { url: "file:///etc/passwd" } }\n`)).toMatch(
      /environments\.qa\.verify\.0\.http\.url must be an http or https URL/,
    );
    expect(refused(`environments:\n  qa:\n    verify:\n      - { name: a, http: { url: "https://ops:pw@x.example/h" } }\n`)).toMatch(
      /environments\.qa\.verify\.0\.http\.url must be an http or https URL without user or password/,
    );
    expect(refused(`environments:\n  qa:\n    verify:\n      - { name: a, http: { url: "https://x.example", retries: 21 } }\n`)).toMatch(
      /environments\.qa\.verify\.0\.http\.retries/,
    );
  });

  it('refuses from: { verified: true } from an environment without checks', () => {
    expect(refused(`environments:\n  staging:\n    from: { env: qa, verified: true }\n`)).toMatch(
      /verify\.yml line 3: environments\.staging\.from\.verified environment "qa" has no verify checks/,
    );
    const cfg = load(`environments:\n  qa:\n    verify: [{ name: a, http: { url: "https://qa.example" } }]\n  staging:\n    from: { env: qa, verified: true }\n`);
    expect(cfg.environments.staging!.from).toEqual({ env: 'qa', verified: true });
  });
});
