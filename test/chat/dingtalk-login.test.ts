import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postCallback, startDingtalkGantry, type DingtalkGantry } from '../support/dingtalk.js';
import { redisUrl } from '../support/env.js';
import { startRecorder } from '../support/recorder.js';

const LINK = /https:\/\/gantry\.example\.com\/login\/link\/[A-Za-z0-9_-]{43}/;

/** `/gantry login` from DingTalk: a link in a one-to-one chat only; in a group, a refusal and no link. */
describe('DingTalk: /gantry login only in a one-to-one chat', () => {
  let world: DingtalkGantry;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;

  beforeAll(async () => {
    recorder = await startRecorder((r) => (r.path.startsWith('/session/') ? { body: { errcode: 0 } } : undefined));
    const host = new URL(recorder.url).host;
    world = await startDingtalkGantry({
      name: 'dingtalk-login',
      notifiers: () => [],
      gantry: { publicUrl: 'https://gantry.example.com' },
      edit: (d) => {
        d.dingtalk = { sessionWebhookHosts: [host] };
        d.i18n = { platforms: { dingtalk: { locale: 'en', timeZone: 'UTC' } } };
      },
    });
  });
  afterAll(async () => {
    await world?.close();
    await recorder?.close();
  });

  const links = async () => {
    const r = new Redis(redisUrl());
    try {
      return (await r.keys(`${world.h.gantry.prefix}:web:login-link:*`)).length;
    } finally {
      r.disconnect();
    }
  };

  it('in a group: refused, saying to message the robot directly; no link is made', async () => {
    const before = await links();
    expect(await postCallback(world.callback, { staffId: 'manager4220', nick: 'alice', text: '@gantry /gantry login', sessionWebhook: `${recorder.url}/session/group` })).toBe(200);
    const said = await recorder.waitFor((c) => c.path === '/session/group', 'group answer');
    const text = JSON.stringify(said.body);
    expect(text).toContain('only in a one-to-one chat');
    expect(text).not.toMatch(/login\/link/);
    expect(await links()).toBe(before);
  });

  it('in a one-to-one chat: the link, for that staff id', async () => {
    const before = await links();
    expect(await postCallback(world.callback, { staffId: 'manager4220', nick: 'alice', text: 'login', sessionWebhook: `${recorder.url}/session/direct`, oneToOne: true })).toBe(200);
    const said = await recorder.waitFor((c) => c.path === '/session/direct', 'direct answer');
    expect(said.body.msgtype).toBe('markdown');
    expect(said.body.markdown.text).toMatch(LINK);
    expect(await links()).toBe(before + 1);
  });
});
