import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { approvalCard, eventMessage as dingtalkEvent, replyMessage as dingtalkReply } from '../../src/chat/dingtalk/render.js';
import { shellText } from '../../src/chat/shell/render.js';
import { approvalMessage, eventMessage as slackEvent, replyMessage as slackReply } from '../../src/chat/slack/render.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { LOCALES, Voice, type Locale } from '../../src/i18n/voice.js';
import type { ApprovalView } from '../../src/queries/approvals.js';
import { approvalMail, eventMail } from '../../src/notify/email-templates.js';
import { webhookBody } from '../../src/notify/webhook.js';
import { ROOT } from '../support/harness.js';
import { approval, EVENTS, SAMPLES } from './samples.js';

/**
 * Every reply kind in every face, every approval state on every card, every event in every
 * notification format, in both languages, compared with golden files in test/fixtures/golden/.
 * A reply kind without a sample does not compile (samples.ts); a rendering without a golden file
 * fails; `GOLDEN_UPDATE=1 npx vitest run test/render/golden.test.ts` writes them anew, to review
 * in the diff.
 */
const GOLDEN = path.join(ROOT, 'test', 'fixtures', 'golden');
const UPDATE = process.env.GOLDEN_UPDATE === '1';
const VOICES: Record<Locale, Voice> = { en: new Voice('en', 'UTC'), 'zh-CN': new Voice('zh-CN', 'Asia/Shanghai') };
const config = ConfigSchema.parse({
  deployRepo: { url: 'https://github.com/acme/deploy.git', branch: 'main' },
  environments: { qa: {}, prod: {} },
  apps: { web: { images: { web: { repository: 'reg.example/web' } }, deploy: { qa: [{ file: 'apps/web/qa/deployment.yaml', format: 'kubernetes' }] } } },
  webhooks: { ops: { url: 'https://hooks.example/gantry', locale: 'zh-CN', timeZone: 'Asia/Shanghai' }, audit: { url: 'https://audit.example/gantry' } },
});

/** Each face's rendering of one case, as the text stored in its golden file. */
type Render = (voice: Voice) => unknown;

const cases = new Map<string, Render>();
const add = (name: string, render: Render) => cases.set(name, render);

for (const [kind, replies] of Object.entries(SAMPLES)) {
  replies.forEach((reply, i) => {
    add(`shell/${kind}-${i}.txt`, (v) => shellText(reply, v));
    add(`slack/${kind}-${i}.json`, (v) => slackReply(reply, v));
    add(`dingtalk/${kind}-${i}.json`, (v) => dingtalkReply(reply, v, 'staff01'));
  });
}
const STATES: ApprovalView[] = [
  approval,
  { ...approval, status: 'approved', votes: ['alice'] },
  { ...approval, status: 'executed', votes: ['alice'], result: { commit: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d', commitUrl: 'https://github.com/acme/deploy/commit/1a2b3c4' } },
  { ...approval, status: 'failed', votes: ['alice'], result: { error: 'the deploy repo kept moving' } },
  { ...approval, status: 'denied', denied: { by: 'bob', reason: 'not *today*' } },
  { ...approval, status: 'expired', to: undefined, from: undefined, compareUrl: undefined, action: 'rollback' },
];
for (const view of STATES) {
  add(`slack/card-${view.status}.json`, (v) => approvalMessage(view, v));
  add(`dingtalk/card-${view.status}.json`, (v) => approvalCard(view, v));
  add(`email/card-${view.status}.json`, (v) => approvalMail(view, v));
}
for (const [type, event] of Object.entries(EVENTS)) {
  add(`slack/event-${type}.json`, (v) => slackEvent(event, v, { links: { commit: 'https://github.com/acme/deploy/commit/1a2b3c4' }, promoteTo: 'prod' }) ?? null);
  add(`dingtalk/event-${type}.json`, (v) => dingtalkEvent(event, v, 'https://github.com/acme/deploy/commit/1a2b3c4') ?? null);
  add(`email/event-${type}.json`, (v) => eventMail(event, v, { commit: 'https://github.com/acme/deploy/commit/1a2b3c4' }) ?? null);
}
// a webhook speaks its own configured language, whoever reads the golden file
for (const [type, event] of Object.entries(EVENTS)) {
  add(`webhook/event-${type}.json`, () => ({ ops: webhookBody(config, 'ops', config.webhooks.ops!, event), audit: webhookBody(config, 'audit', config.webhooks.audit!, event) }));
}

const asText = (rendered: unknown): string => (typeof rendered === 'string' ? `${rendered}\n` : `${JSON.stringify(rendered, null, 2)}\n`);

describe('golden renderings of every reply, card and event', () => {
  for (const locale of LOCALES) {
    it(`${locale}: every face renders every case exactly as its golden file`, () => {
      const mismatched: string[] = [];
      for (const [name, render] of cases) {
        const file = path.join(GOLDEN, locale, name);
        const text = asText(render(VOICES[locale]));
        if (UPDATE) {
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, text);
        } else if (!existsSync(file) || readFileSync(file, 'utf8') !== text) mismatched.push(name);
      }
      expect(mismatched, `renderings that differ from test/fixtures/golden/${locale}/ (GOLDEN_UPDATE=1 rewrites them)`).toEqual([]);
    });

    it(`${locale}: no golden file is left over from a case that no longer exists`, () => {
      const dir = path.join(GOLDEN, locale);
      const stored = readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
      expect(stored.filter((f) => !cases.has(f))).toEqual([]);
    });
  }

  it('the zh-CN renderings are Chinese, and differ from the English ones', () => {
    // an event a face says nothing about (null: a vote only updates the card) has no words to translate
    const same = [...cases.keys()].filter(
      (name) => !name.startsWith('webhook/') && cases.get(name)!(VOICES.en) !== null && asText(cases.get(name)!(VOICES.en)) === asText(cases.get(name)!(VOICES['zh-CN'])),
    );
    // a refusal whose text is no catalog message (said as it is in every language), where the face adds no words of its own
    expect(same).toEqual(['slack/refused-1.json', 'dingtalk/refused-1.json']);
  });
});
