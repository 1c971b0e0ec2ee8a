import type { Env } from '../../config/env.js';
import { GantryError } from '../../domain/errors.js';
import type { HomeOptions } from './home.js';

/** How this process talks to Slack, from the environment (src/config/env.ts documents each variable). */
export interface SlackSettings {
  botToken: string;
  /** HTTP mode: requests are verified with it */
  signingSecret?: string;
  /** Socket Mode (no public URL): an app-level token `xapp-…` */
  appToken?: string;
  /** another Web API base URL (tests, proxies) */
  apiUrl?: string;
  /** match Slack users to config users by profile e-mail (needs users:read.email) */
  resolveByEmail: boolean;
  /** where `gantry web` is reached (GANTRY_PUBLIC_URL): the Home tab links to the dashboard */
  publicUrl?: string;
  /** the Home tab's refresh pacing, when not the defaults (src/chat/slack/home.ts; tests shorten it) */
  home?: Partial<Omit<HomeOptions, 'publicUrl'>>;
}

/** Slack settings, when a bot token and a way in (signing secret or app token) are set. */
export function slackSettings(env: Env): SlackSettings | undefined {
  if (!env.SLACK_BOT_TOKEN) return undefined;
  if (!env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    throw new GantryError('CONFIG_INVALID', 'SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is');
  }
  return {
    botToken: env.SLACK_BOT_TOKEN,
    ...(env.SLACK_SIGNING_SECRET ? { signingSecret: env.SLACK_SIGNING_SECRET } : {}),
    ...(env.SLACK_APP_TOKEN ? { appToken: env.SLACK_APP_TOKEN } : {}),
    ...(env.SLACK_API_URL ? { apiUrl: env.SLACK_API_URL } : {}),
    resolveByEmail: env.SLACK_RESOLVE_BY_EMAIL === 'true',
    ...(env.GANTRY_PUBLIC_URL ? { publicUrl: env.GANTRY_PUBLIC_URL } : {}),
  };
}
