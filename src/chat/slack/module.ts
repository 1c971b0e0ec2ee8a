import { webApi } from '@slack/bolt';
import { USAGE } from '../../commands/grammar.js';
import type { FaceModule } from '../face.js';
import { createSlack } from './app.js';
import { SlackMessageStore } from './messages.js';
import { SlackNotifier } from './notifier.js';
import { slackSettings, type SlackSettings } from './settings.js';

/**
 * Slack behind the face contract. Every command of the grammar is a slash command of its own,
 * and `/gantry <anything>` is the umbrella; slack/manifest.yml declares the same list (a test
 * compares them).
 */
export const slackModule: FaceModule<SlackSettings> = {
  platform: 'slack',
  settings: slackSettings,
  // no bare /login: too common a name for a workspace's slash commands; `/gantry login` reaches it
  commands: () => [...Object.keys(USAGE).filter((c) => c !== 'login'), 'gantry'],
  create: (deps, settings) => createSlack(deps, settings, slackModule.commands()),
  notifier(deps, settings) {
    if (!settings) return undefined;
    const client = new webApi.WebClient(settings.botToken, settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {});
    return new SlackNotifier(deps, client, new SlackMessageStore(deps.redis, deps.keys));
  },
};
