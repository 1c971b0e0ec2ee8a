import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackModule } from '../../src/chat/slack/module.js';
import { createHttpServer, listen } from '../../src/http/server.js';
import { silentLogger } from '../../src/util/logger.js';
import { redisUrl } from '../support/env.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startRecorder } from '../support/recorder.js';
import { faceDeps, postSlack, SIGNING_SECRET, slackApi, slashBody } from '../support/slack.js';
import { Redis } from 'ioredis';

const ALICE = 'U024BE7LH';
const LINK = /https:\/\/gantry\.example\.com\/login\/link\/[A-Za-z0-9_-]{43}/;

/**
 * `/gantry login` from Slack: the sign-in link reaches only the person who asked (an ephemeral
 * response, or an ephemeral message for a mention), and nothing is posted in the channel.
 */
describe('Slack: /gantry login answers privately', () => {
  let h: Harness;
  let server: Server;
  let events: string;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;

  beforeAll(async () => {
    recorder = await startRecorder(slackApi);
    h = await startHarness({ name: 'slack-login', workers: false, gantry: { publicUrl: 'https://gantry.example.com' } });
    const slack = await slackModule.create(faceDeps(h.gantry, silentLogger), { botToken: 'xoxb-test-token', signingSecret: SIGNING_SECRET, apiUrl: `${recorder.url}/api/`, resolveByEmail: false });
    server = createHttpServer(slack.routes, silentLogger);
    events = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}/slack/events`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await h.close();
    await recorder.close();
  });

  const links = async () => {
    const r = new Redis(redisUrl());
    try {
      return (await r.keys(`${h.gantry.prefix}:web:login-link:*`)).length;
    } finally {
      r.disconnect();
    }
  };

  it('/gantry login in a channel: an ephemeral response to the asker, no thread in the channel', async () => {
    const from = recorder.calls.length;
    const before = await links();
    const ack = await postSlack(events, slashBody({ command: '/gantry', text: 'login', user: ALICE, responseUrl: `${recorder.url}/response/login` }), 'form');
    expect(ack.status).toBe(200);
    const answer = await recorder.waitFor((c) => c.path === '/response/login', 'response_url answer');
    expect(answer.body.response_type).toBe('ephemeral');
    expect(answer.body.text).toMatch(LINK);
    expect(answer.body.text).toContain('keep it to yourself');
    expect(await links()).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(recorder.calls.slice(from).filter((c) => c.path === '/api/chat.postMessage')).toHaveLength(0);
  });

  it('@gantry login in a channel: chat.postEphemeral to the asker only', async () => {
    const from = recorder.calls.length;
    const body = JSON.stringify({
      token: 'x',
      team_id: 'T0001',
      api_app_id: 'A0GANTRY',
      type: 'event_callback',
      event_id: 'Ev0LOGIN01',
      event_time: Math.floor(Date.now() / 1000),
      event: { type: 'app_mention', user: ALICE, text: '<@UBOT> gantry login', ts: '1700000001.000100', channel: 'C0DEPLOYS', event_ts: '1700000001.000100' },
    });
    expect((await postSlack(events, body, 'json')).status).toBe(200);
    const eph = await recorder.waitFor((c) => c.path === '/api/chat.postEphemeral', 'ephemeral link');
    expect(eph.body.user).toBe(ALICE);
    expect(eph.body.channel).toBe('C0DEPLOYS');
    expect(eph.body.text).toMatch(LINK);
    await new Promise((r) => setTimeout(r, 200));
    expect(recorder.calls.slice(from).filter((c) => c.path === '/api/chat.postMessage')).toHaveLength(0);
  });

  it('a refused /gantry login (an argument) is private too, and issues no link', async () => {
    const from = recorder.calls.length;
    const before = await links();
    await postSlack(events, slashBody({ command: '/gantry', text: 'login now', user: ALICE, responseUrl: `${recorder.url}/response/bad` }), 'form');
    const answer = await recorder.waitFor((c) => c.path === '/response/bad', 'refusal');
    expect(answer.body.response_type).toBe('ephemeral');
    expect(answer.body.text).toContain('takes no arguments');
    expect(await links()).toBe(before);
    expect(recorder.calls.slice(from).filter((c) => c.path === '/api/chat.postMessage')).toHaveLength(0);
  });
});
