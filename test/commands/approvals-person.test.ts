import type { Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dingtalkModule } from '../../src/chat/dingtalk/module.js';
import { deployMessage } from '../../src/gitops/trailers.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import { run } from '../../src/util/exec.js';
import { silentLogger } from '../../src/util/logger.js';
import { APP_SECRET, faceDepsOf, postCallback } from '../support/dingtalk.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startRecorder } from '../support/recorder.js';

const ALICE_SLACK = 'slack:U024BE7LH';
const ALICE_DINGTALK = 'dingtalk:manager4220';

/**
 * One person, one vote: approvals go by the config user behind an identity (config/demo/gantry.yml
 * `users:`), not by the platform identity, and an identity no user owns is named by its id only.
 */
describe('approvals count people, not platform identities', () => {
  let h: Harness;
  let server: Server;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let callback: string;

  beforeAll(async () => {
    recorder = await startRecorder((r) => (r.path.startsWith('/session/') ? { body: { errcode: 0 } } : undefined));
    h = await startHarness({
      name: 'approvals-person',
      edit: (d) => {
        d.environments.prod.approvals.required = 2;
        d.users.carol.ids.push('slack:UCAROL01');
        d.dingtalk = { robots: {}, sessionWebhookHosts: [new URL(recorder.url).host] };
        d.i18n = { platforms: { dingtalk: { locale: 'en', timeZone: 'UTC' } } }; // the replies below are read in English
      },
    });
    server = createHttpServer((await dingtalkModule.create(faceDepsOf(h.gantry), { appSecret: APP_SECRET })).routes, silentLogger);
    callback = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/dingtalk/callback`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await h?.close();
    await recorder?.close();
  });

  async function ready(version: string): Promise<void> {
    await h.release(version);
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote ${version} ${env}`)).ok).toBe(true);
  }

  it('alice cannot approve her own request from another platform', async () => {
    await ready('v1.2.3');
    const asked = await h.run(ALICE_SLACK, '/promote v1.2.3 prod');
    expect(asked.ok, asked.text).toBe(true);
    const id = asked.approval!.id;
    const head = await h.head();
    for (const as of [ALICE_DINGTALK, 'alice', ALICE_SLACK]) {
      const r = await h.run(as, `/approve ${id}`);
      expect(r, as).toMatchObject({ ok: false, code: 'SELF_APPROVAL' });
      expect(r.text).toContain(`as ${ALICE_SLACK}`);
    }
    expect(await h.gantry.core.approvals.get(id)).toMatchObject({ status: 'pending', votes: [] });
    expect(await h.head()).toBe(head);
    expect((await h.run('dave', `/deny ${id} self-approval test`)).ok).toBe(true);
  });

  it('two identities of one approver are one vote: alice alone cannot complete a request that needs two', async () => {
    await ready('v1.2.4');
    const asked = await h.run('carol', '/promote v1.2.4 prod');
    const id = asked.approval!.id;
    const head = await h.head();
    const first = await h.run(ALICE_SLACK, `/approve ${id}`);
    expect(first.text).toBe(`approval ${id}: approved by alice; 1 more needed`);
    for (const as of [ALICE_DINGTALK, 'alice']) {
      const again = await h.run(as, `/approve ${id}`);
      expect(again, as).toMatchObject({ ok: false, code: 'APPROVAL_CLOSED' });
      expect(again.text).toContain(`you already approved ${id}; waiting for 1 more`);
    }
    const stored = (await h.gantry.core.approvals.get(id))!;
    expect(stored.status).toBe('pending');
    expect(stored.votes.map((v) => [v.actor.id, v.person])).toEqual([[ALICE_SLACK, 'alice']]);
    expect(await h.head()).toBe(head);

    const done = await h.run('dave', `/approve ${id}`);
    expect(done.ok, done.text).toBe(true);
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message.match(/^Gantry-Approved-By: .*$/gm)).toEqual([`Gantry-Approved-By: ${ALICE_SLACK} (alice)`, 'Gantry-Approved-By: shell:dave (dave)']);
  });

  it('the requester may withdraw their request from any of their identities; others need approver rights', async () => {
    await ready('v1.2.5');
    const asked = await h.run('slack:UCAROL01', '/promote v1.2.5 prod');
    const id = asked.approval!.id;
    // bob is no approver and not the requester
    expect(await h.run('bob', `/deny ${id}`)).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    // carol is no approver either, but it is her request, asked from Slack
    const withdrawn = await h.run('carol', `/deny ${id} wrong version`);
    expect(withdrawn.ok, withdrawn.text).toBe(true);
    expect(withdrawn.text).toContain(`approval ${id} denied by carol: wrong version`);
    expect((await h.gantry.core.approvals.get(id))!.status).toBe('denied');
  });

  it('an unmapped identity whose platform name is "alice" is shown by its id in replies, trailers, /status and /history', async () => {
    await h.release('v1.2.6');
    const say = (text: string) => postCallback(callback, { staffId: 'evil999', nick: 'alice', text, sessionWebhook: `${recorder.url}/session/evil` });
    const reply = (pattern: RegExp, what: string) => recorder.waitFor((c) => c.path === '/session/evil' && pattern.test(JSON.stringify(c.body)), what);
    expect(await say('@gantry /promote v1.2.6 qa')).toBe(200);
    await reply(/promoted web v1\.2\.6 to qa/, 'the promotion reply');
    const message = await h.git('log', '-1', '--format=%B', 'main');
    expect(message).toMatch(/^Gantry-Requested-By: dingtalk:evil999$/m);

    expect(await say('@gantry /lock qa maintenance')).toBe(200);
    const locked = await reply(/qa locked by/, 'the lock reply');
    expect(JSON.stringify(locked.body)).toContain('qa locked by dingtalk:evil999: maintenance');

    const status = (await h.run('carol', '/status qa')).text;
    expect(status).toContain('locked by dingtalk:evil999: maintenance');
    expect(status).toMatch(/promote by dingtalk:evil999 /);
    expect(status).not.toContain('alice');
    expect((await h.run('carol', '/history qa 1')).text).toMatch(/ promote v1\.2\.6 \(from v1\.2\.5\) by dingtalk:evil999$/m);
    expect((await h.run('alice', '/unlock qa')).ok).toBe(true);
  });

  it('a trailer that carries a display name for an unmapped identity (older commits) is shown by the id', async () => {
    const work = path.join(h.dir, 'hand-clone');
    const git = async (...args: string[]) => {
      const r = await run('git', args, { cwd: work });
      if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    };
    expect((await run('git', ['clone', '-q', h.bare, work])).code).toBe(0);
    const file = path.join(work, 'apps/web/qa/deployment.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('acme/web:v1.2.6', 'acme/web:v1.2.7'));
    const msg = deployMessage({ app: 'web', env: 'qa', version: 'v1.2.7', action: 'promote', previousVersion: 'v1.2.6', requestedBy: { id: 'slack:UEVIL999', name: 'alice' }, approvedBy: [{ id: 'slack:UEVIL998', name: 'dave' }] });
    expect(msg).toContain('Gantry-Requested-By: slack:UEVIL999 (alice)');
    await git('-c', 'user.name=someone', '-c', 'user.email=someone@example.com', 'commit', '-qam', msg);
    await git('push', '-q', 'origin', 'HEAD:main');
    await h.gantry.core.repo.refresh();
    const history = (await h.run('carol', '/history qa 1')).text;
    expect(history).toMatch(/ promote v1\.2\.7 \(from v1\.2\.6\) by slack:UEVIL999, approved by slack:UEVIL998$/m);
    const status = (await h.run('carol', '/status qa')).text;
    expect(status).toMatch(/promote by slack:UEVIL999 /);
    expect(`${history}\n${status}`).not.toMatch(/alice|dave/);
  });
});
