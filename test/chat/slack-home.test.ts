import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Face } from '../../src/chat/face.js';
import { slackModule } from '../../src/chat/slack/module.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import { silentLogger } from '../../src/util/logger.js';
import { ROOT, startHarness, type Harness } from '../support/harness.js';
import { startRecorder, type Recorded } from '../support/recorder.js';
import { faceDeps, postSlack, SIGNING_SECRET, slackApi } from '../support/slack.js';

const CAROL = 'UCAROL01'; // devs: may ask for prod, may not approve
const BOB = 'U0G9QF9C6'; // oncall: no approvals for him
const ALICE = 'U024BE7LH'; // lead: approver
const WANG = 'UWANG0001'; // reads Chinese
// long enough that the five commands of the burst test fall in one window on a busy machine
const DEBOUNCE_MS = 1500;

/** app_home_opened as Slack sends it (Events API, JSON). */
function homeOpenedBody(user: string, tab: 'home' | 'messages' = 'home'): string {
  return JSON.stringify({
    token: 'deprecated',
    team_id: 'T0001',
    api_app_id: 'A0GANTRY',
    type: 'event_callback',
    event_id: `Ev${Math.random().toString(36).slice(2, 12).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user, channel: 'D0HOME001', tab, event_ts: (Date.now() / 1000).toFixed(6) },
  });
}

/** A button clicked on the Home tab: block_actions with a view and no channel or message. */
function homeClickBody(user: string, actionId: string, value: string): string {
  const payload = {
    type: 'block_actions',
    team: { id: 'T0001', domain: 'acme' },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0GANTRY',
    token: 'deprecated',
    container: { type: 'view', view_id: 'V0HOME01' },
    trigger_id: '12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3',
    view: { id: 'V0HOME01', type: 'home', blocks: [], callback_id: '', hash: '1', state: { values: {} } },
    actions: [{ type: 'button', action_id: actionId, block_id: `approval-${value}`, value, action_ts: String(Date.now() / 1000) }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

describe('Slack App Home', () => {
  let h: Harness;
  let slack: Face;
  let server: Server;
  let events: string;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;

  beforeAll(async () => {
    recorder = await startRecorder((r) => (r.path === '/api/views.publish' ? { body: { ok: true, view: { id: 'V0HOME01' } } } : slackApi(r)));
    h = await startHarness({
      name: 'slack-home',
      workers: false,
      edit: (d) => {
        d.users.carol.ids.push(`slack:${CAROL}`);
        d.users.wang = { ids: [`slack:${WANG}`], locale: 'zh-CN', timeZone: 'Asia/Shanghai' };
        d.users.alice.locale = 'en';
      },
    });
    const deps = faceDeps(h.gantry, silentLogger);
    const settings = {
      botToken: 'xoxb-test-token',
      signingSecret: SIGNING_SECRET,
      apiUrl: `${recorder.url}/api/`,
      resolveByEmail: false,
      publicUrl: 'https://gantry.example.com',
      home: { debounceMs: DEBOUNCE_MS, spacingMs: 0 },
    };
    slack = await slackModule.create(deps, settings);
    await slack.start();
    h.gantry.startWorkers(undefined, { notifiers: [slackModule.notifier(deps, settings)!] });
    server = createHttpServer(slack.routes, silentLogger);
    events = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/slack/events`;
    await h.release('v1.2.3');
    for (const env of ['qa', 'staging']) expect((await h.run('carol', `/promote v1.2.3 ${env}`)).ok).toBe(true);
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await slack.stop();
    await h.close();
    await recorder.close();
  });

  const publishes = (user: string, from = 0) => recorder.calls.slice(from).filter((c) => c.path === '/api/views.publish' && c.body.user_id === user);
  const viewText = (c: Recorded) => JSON.stringify(c.body.view.blocks);
  const published = (user: string, from: number, pred: (text: string) => boolean, what: string) =>
    recorder.waitFor((c) => c.path === '/api/views.publish' && c.body.user_id === user && recorder.calls.indexOf(c) >= from && pred(viewText(c)), what);
  const open = async (user: string) => {
    const from = recorder.calls.length;
    const body = homeOpenedBody(user);
    expect((await postSlack(events, body, 'json')).status).toBe(200);
    return published(user, from, () => true, `Home of ${user}`);
  };
  const idle = () => new Promise((r) => setTimeout(r, DEBOUNCE_MS * 2 + 300));

  it('opening the Home tab publishes the matrix, and a promotion made in the shell shows up in it', async () => {
    const first = await open(BOB);
    expect(first.body.view.type).toBe('home');
    const text = viewText(first);
    expect(text).toContain('What runs where');
    expect(text).toContain('*qa* `v1.2.3`, promote by carol');
    expect(text).toContain('*staging* `v1.2.3`');
    expect(text).toContain('Nothing waits for your approval.');
    expect(text).toContain('<https://gantry.example.com|Open the dashboard>');
    expect(first.body.view.blocks.length).toBeLessThanOrEqual(100);

    const from = recorder.calls.length;
    await h.release('v1.2.4');
    expect((await h.run('carol', '/promote v1.2.4 qa')).ok).toBe(true);
    const again = await published(BOB, from, (t) => t.includes('*qa* `v1.2.4`'), 'Home republished after the promotion');
    // staging lags behind qa, at a glance
    expect(viewText(again)).toMatch(/\*staging\* `v1\.2\.3`[^"]*:arrow_up: qa has `v1\.2\.4`/);

    // in the viewer's language; the Messages tab publishes nothing
    expect(viewText(await open(WANG))).toContain('各环境运行的版本');
    const before = recorder.calls.length;
    await postSlack(events, homeOpenedBody(BOB, 'messages'), 'json');
    await new Promise((r) => setTimeout(r, 300));
    expect(publishes(BOB, before)).toHaveLength(0);
  });

  it('a forged app_home_opened is refused and publishes nothing', async () => {
    const from = recorder.calls.length;
    expect((await postSlack(events, homeOpenedBody(ALICE), 'json', { secret: 'not-the-secret' })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(recorder.calls.slice(from)).toHaveLength(0);
  });

  it('a pending request shows with its buttons to an approver, not to its requester; approving from Home deploys and drops it', async () => {
    await open(ALICE);
    await open(CAROL);
    const from = recorder.calls.length;
    const asked = await h.run('carol', '/promote v1.2.3 prod');
    expect(asked.ok).toBe(true);
    const id = /approval (\d+)/i.exec(asked.text)![1]!;

    const alices = await published(ALICE, from, (t) => t.includes(`Approval ${id}:`), "the request on alice's Home");
    const card = viewText(alices);
    expect(card).toContain('"action_id":"gantry_approve"');
    expect(card).toContain('"action_id":"gantry_deny"');
    expect(card).toContain('registry.example.com/acme/web:v1.0.0 → registry.example.com/acme/web:v1.2.3');
    expect(card).toContain('*Requested by* carol');
    await idle();
    const carols = publishes(CAROL, from);
    expect(carols.length).toBeGreaterThan(0);
    expect(viewText(carols.at(-1)!)).not.toContain('gantry_approve');
    expect(viewText(carols.at(-1)!)).toContain('Nothing waits for your approval.');

    // carol clicks a button she would not see (a stale or forged tab): refused in a direct message, nothing changes
    const head = await h.head();
    const refusedFrom = recorder.calls.length;
    expect((await postSlack(events, homeClickBody(CAROL, 'gantry_approve', id), 'form')).status).toBe(200);
    const refusal = await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && c.body.channel === CAROL && recorder.calls.indexOf(c) >= refusedFrom, 'refusal to carol');
    expect(refusal.body.text).toMatch(/yourself|not an approver/);
    expect(await h.head()).toBe(head);

    // alice approves from her Home: the deploy commit names her, she is told, her Home loses the request
    const clickFrom = recorder.calls.length;
    expect((await postSlack(events, homeClickBody(ALICE, 'gantry_approve', id), 'form')).status).toBe(200);
    await recorder.waitFor((c) => c.path === '/api/chat.postMessage' && c.body.channel === ALICE && recorder.calls.indexOf(c) >= clickFrom, 'answer to alice');
    const after = await published(ALICE, clickFrom, (t) => !t.includes(`Approval ${id}:`) && t.includes('*prod* `v1.2.3`'), "alice's Home after the deploy");
    expect(viewText(after)).toContain('Nothing waits for your approval.');
    expect(await h.head()).not.toBe(head);
    expect(await h.git('log', '-1', '--format=%B', 'main')).toContain(`Gantry-Approved-By: slack:${ALICE} (alice)`);
  });

  it('a burst of events is one publish per person, showing the state after the burst', async () => {
    await open(BOB);
    await idle();
    const from = recorder.calls.length;
    // whoever can write to Redis can publish on the events channel: what is no event is dropped,
    // and the listener goes on hearing the real ones
    for (const junk of ['not json', 'null', '"a string"', '{"no":"type"}']) await h.gantry.redis.publish(h.gantry.core.bus.channel, junk);
    for (const line of ['/lock staging one', '/unlock staging', '/lock staging two', '/unlock staging', '/lock staging three']) {
      expect((await h.run('alice', line)).ok, line).toBe(true);
    }
    await idle();
    // five events, coalesced: one publish each when the commands fall in one window; a machine so
    // busy that they straddle two windows gives two, never one per event
    const bobs = publishes(BOB, from);
    expect(bobs.length).toBeGreaterThanOrEqual(1);
    expect(bobs.length).toBeLessThanOrEqual(2);
    expect(viewText(bobs.at(-1)!)).toContain('*staging* locked by shell:alice (alice): three');
    expect(viewText(bobs.at(-1)!)).toContain(':lock: locked');
    expect(publishes(ALICE, from).length).toBe(bobs.length);
    expect((await h.run('alice', '/unlock staging')).ok).toBe(true);
  });

  it('the manifest enables the Home tab and subscribes app_home_opened', () => {
    const manifest = parse(readFileSync(path.join(ROOT, 'slack', 'manifest.yml'), 'utf8')) as {
      features: { app_home?: { home_tab_enabled?: boolean } };
      settings: { event_subscriptions: { bot_events: string[] } };
    };
    expect(manifest.features.app_home?.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
  });
});
