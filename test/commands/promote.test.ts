import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pendingApprovals } from '../../src/queries/approvals.js';
import { parseDeployTrailers } from '../../src/gitops/trailers.js';
import { startHarness, type Harness } from '../support/harness.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('/promote through the shell adapter', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ name: 'promote' });
    for (const v of ['v1.1.0', 'v1.2.0', 'v1.2.3', 'v1.2.10', 'v1.20.0', 'v1.2.11-rc.1']) await h.release(v);
  });
  afterEach(async () => h.close());

  it('edits the qa manifest, commits with trailers and pushes to the deploy repo', async () => {
    const before = await h.file('apps/web/qa/deployment.yaml');
    const reply = await h.run('carol', '/promote v1.2 qa');
    expect(reply.ok, reply.text).toBe(true);
    expect(reply.text).toContain('promoted web v1.2.10 to qa (v1.2 resolved to v1.2.10) (was v1.0.0)');
    const after = await h.file('apps/web/qa/deployment.yaml');
    // only the two image lines of our image changed; the envoy sidecar and comments stayed
    expect(after).toBe(before.replaceAll('registry.example.com/acme/web:v1.0.0', 'registry.example.com/acme/web:v1.2.10'));
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message.split('\n')[0]).toBe('promote web v1.2.10 to qa');
    const t = parseDeployTrailers(message)!;
    expect(t).toMatchObject({ app: 'web', env: 'qa', version: 'v1.2.10', action: 'promote', previousVersion: 'v1.0.0' });
    expect(t.requestedBy).toEqual({ id: 'shell:carol', name: 'carol' });
    expect(message).toContain('Gantry-Requested-By: shell:carol (carol)');
    expect(reply.result?.commit).toBe(await h.head());
    // the warm clone's tracking ref moved with the push, so a later reset cannot drop the commit
    const { run } = await import('../../src/util/exec.js');
    const tracking = await run('git', ['-C', h.gantry.core.repo.dir, 'rev-parse', 'refs/remotes/origin/main']);
    expect(tracking.stdout.trim()).toBe(await h.head());
  });

  it('refuses a version out of order, then allows it once it ran in the environment before', async () => {
    const refused = await h.run('carol', '/promote v1.2.3 staging');
    expect(refused).toMatchObject({ ok: false, code: 'ORDER_VIOLATION' });
    expect(refused.text).toContain('has not run in qa yet');
    expect((await h.run('carol', '/promote v1.2.3 qa')).ok).toBe(true);
    const ok = await h.run('carol', '/promote web v1.2.3 staging');
    expect(ok.ok, ok.text).toBe(true);
    expect(await h.file('apps/web/staging/kustomization.yaml')).toContain('newTag: v1.2.3');
  });

  it('asks for approval in prod, refuses self-approval and people who are not approvers, deploys on approval', async () => {
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote v1.2.3 ${env}`)).ok).toBe(true);
    const head = await h.head();
    const asked = await h.run('carol', '/promote v1.2.3 prod');
    expect(asked.ok, asked.text).toBe(true);
    const id = asked.approval!.id;
    expect(asked.text).toContain(`approval ${id} requested: promote web v1.2.3 to prod (now v1.0.0) needs 1 approval from leads`);
    expect(asked.text).toContain('apps/web/prod/values.yaml:6');
    expect(await h.head()).toBe(head); // nothing written while waiting
    // the pending-approvals read model shows it as chat does
    expect((await pendingApprovals(h.gantry.services.queries)).filter((v) => v.id === id)).toMatchObject([{ status: 'pending', env: 'prod', to: 'v1.2.3', from: 'v1.0.0', requestedBy: 'carol' }]);

    expect(await h.run('carol', `/approve ${id}`)).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    expect(await h.run('bob', `/approve ${id}`)).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    expect(await h.head()).toBe(head);

    const approved = await h.run('alice', `/approve ${id}`);
    expect(approved.ok, approved.text).toBe(true);
    expect(approved.text).toContain('approved by alice');
    expect((await pendingApprovals(h.gantry.services.queries)).map((v) => v.id)).not.toContain(id);
    const values = await h.file('apps/web/prod/values.yaml');
    expect(values).toContain('tag: "v1.2.3"'); // quoting kept
    expect(await h.file('apps/web/marathon/prod-deploy.json')).toContain('"image": "registry.example.com/acme/web:v1.2.3"');
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toContain('Gantry-Approved-By: shell:alice (alice)');
    expect(message).toContain(`Gantry-Request: approval-${id}`);
    // a second click is harmless
    expect(await h.run('dave', `/approve ${id}`)).toMatchObject({ ok: false, code: 'APPROVAL_CLOSED' });
    expect((await h.gantry.core.approvals.get(id))!.status).toBe('executed');
  });

  it('a lead asking for prod still needs another approver; /deny ends the request', async () => {
    for (const env of ['qa', 'staging']) await h.run('carol', `/promote v1.2.3 ${env}`);
    const asked = await h.run('alice', '/promote v1.2.3 prod');
    const id = asked.approval!.id;
    expect(await h.run('alice', `/approve ${id}`)).toMatchObject({ ok: false, code: 'SELF_APPROVAL' });
    const denied = await h.run('dave', `/deny ${id} not during the incident`);
    expect(denied.text).toContain('denied by dave: not during the incident');
    expect(await h.run('dave', `/approve ${id}`)).toMatchObject({ ok: false, code: 'APPROVAL_CLOSED' });
    expect(await h.file('apps/web/prod/values.yaml')).toContain('tag: "v1.0.0"');
  });

  it('locks stop promotions until unlocked; --force needs break-glass rights and lands in the commit', async () => {
    expect((await h.run('bob', '/lock qa db migration')).ok).toBe(true);
    const head = await h.head();
    const refused = await h.run('carol', '/promote v1.2.3 qa');
    expect(refused).toMatchObject({ ok: false, code: 'ENV_LOCKED' });
    expect(refused.text).toContain('qa is locked by shell:bob (bob)');
    expect(await h.run('carol', '/promote v1.2.3 qa --force "hotfix"')).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    expect(await h.head()).toBe(head);
    // alice is a lead: break-glass in prod only, so qa stays closed to her too
    expect(await h.run('alice', '/promote v1.2.3 qa --force "hotfix"')).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    expect((await h.run('bob', '/unlock qa')).ok).toBe(true);
    expect((await h.run('carol', '/promote v1.2.3 qa')).ok).toBe(true);
  });

  it('pins digests when configured and refuses a release without one', async () => {
    await h.close();
    h = await startHarness({ name: 'promote-pin', edit: (d) => (d.environments.qa.pinDigest = true) });
    await h.release('v2.0.0', { digest: DIGEST });
    await h.release('v2.0.1');
    expect((await h.run('carol', '/promote v2.0.0 qa')).ok).toBe(true);
    expect(await h.file('apps/web/qa/deployment.yaml')).toContain(`image: registry.example.com/acme/web:v2.0.0@${DIGEST}\n`);
    expect(await h.run('carol', '/promote v2.0.1 qa')).toMatchObject({ ok: false, code: 'INPUT_INVALID' });
  });

  it('blocked releases cannot be promoted anywhere', async () => {
    expect((await h.run('bob', '/block v1.2.3 corrupts sessions')).ok).toBe(true);
    const refused = await h.run('carol', '/promote v1.2.3 qa');
    expect(refused).toMatchObject({ ok: false, code: 'RELEASE_BLOCKED' });
    expect(refused.text).toContain('corrupts sessions');
    expect(await h.run('carol', '/block v1.2.3')).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    expect((await h.run('bob', '/unblock v1.2.3')).ok).toBe(true);
    expect((await h.run('carol', '/promote v1.2.3 qa')).ok).toBe(true);
  });

  it('answers /status, /history, /releases and /diff from the deploy repo', async () => {
    await h.run('carol', '/promote v1.2.3 qa');
    await h.run('carol', '/promote v1.2.10 qa');
    const status = await h.run('carol', '/status');
    expect(status.text).toMatch(/^qa\n {2}web v1\.2\.10 {2}registry\.example\.com\/acme\/web:v1\.2\.10, promote by carol /m);
    // prod's files were written by the seed commit, not through gantry: its git author is shown
    expect(status.text).toMatch(/^prod\n {2}web v1\.0\.0 {2}registry\.example\.com\/acme\/web:v1\.0\.0, manual change by gantry <gantry@localhost> \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC$/m);
    const history = await h.run('carol', '/history qa');
    const lines = history.text.split('\n');
    expect(lines[0]).toBe('web in qa, newest first:');
    expect(lines[1]).toMatch(/^[0-9a-f]{7} \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC promote v1\.2\.10 \(from v1\.2\.3\) by carol$/);
    expect(lines[2]).toMatch(/^[0-9a-f]{7} \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC promote v1\.2\.3 \(from v1\.0\.0\) by carol$/);
    expect((await h.run('carol', '/history qa 1')).text.split('\n')).toHaveLength(2);
    const releases = await h.run('carol', '/releases');
    expect(releases.text.split('\n')[1]).toMatch(/^v1\.2\.11-rc\.1 /);
    const diff = await h.run('carol', '/diff qa staging');
    expect(diff.text).toContain('web: qa vs staging: different');
    expect(diff.text).toContain('registry.example.com/acme/web:v1.2.10 ≠ registry.example.com/acme/web:v1.0.0');
  });
});
