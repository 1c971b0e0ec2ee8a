import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { slackModule } from '../../src/chat/slack/module.js';
import { isCommandName, USAGE } from '../../src/commands/grammar.js';
import { en } from '../../src/i18n/messages-en.js';
import { ROOT } from '../support/harness.js';

interface SlashCommand {
  command: string;
  url: string;
  description: string;
  usage_hint?: string;
}

const manifest = parse(readFileSync(path.join(ROOT, 'slack', 'manifest.yml'), 'utf8')) as {
  features: { slash_commands: SlashCommand[] };
  settings: { interactivity: { request_url: string }; event_subscriptions: { request_url: string } };
};

/** What Slack is told must be what gantry answers: the manifest cannot drift from the grammar and the catalog. */
describe('slack/manifest.yml', () => {
  const declared = manifest.features.slash_commands;

  it('declares exactly the slash commands the Slack face answers, each once, at the route it serves', () => {
    expect(declared.map((c) => c.command).sort()).toEqual(slackModule.commands().map((c) => `/${c}`).sort());
    for (const c of declared) expect(new URL(c.url).pathname, c.command).toBe('/slack/events');
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe('/slack/events');
    expect(new URL(manifest.settings.event_subscriptions.request_url).pathname).toBe('/slack/events');
  });

  it('describes each command with its English help line and hints its usage without the command word', () => {
    for (const c of declared) {
      const name = c.command.slice(1);
      if (name === 'gantry') continue;
      expect(isCommandName(name), c.command).toBe(true);
      if (!isCommandName(name)) continue;
      expect(c.description, c.command).toBe(en[`help.${name}`]);
      expect(USAGE[name].startsWith(`${c.command}`), c.command).toBe(true);
      expect(c.usage_hint ?? '', c.command).toBe(USAGE[name].slice(c.command.length).trim());
    }
  });

  it('keeps the umbrella /gantry with a description of its own', () => {
    const umbrella = declared.find((c) => c.command === '/gantry');
    expect(umbrella?.description).toMatch(/\S/);
    expect(umbrella?.usage_hint).toBe('<command> [args]');
  });
});
