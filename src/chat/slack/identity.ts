import type { webApi } from '@slack/bolt';

type WebClient = webApi.WebClient;
import type { Config } from '../../config/schema.js';
import { actorFor, rememberUser, userOf, type Actor } from '../../domain/identity.js';

/**
 * Slack user → gantry actor. A user listed in the config with `slack:U…` is that user; otherwise,
 * when `resolveByEmail` is on, the Slack profile's e-mail is matched against the config users'
 * e-mails (cached); anyone else acts as the bare identity `slack:U…` (allowed only where a policy
 * says `*`), shown by that id and never by the Slack display name, which its owner chooses.
 */
export class SlackIdentities {
  private readonly cache = new Map<string, { actor: Actor; at: number }>();

  constructor(
    private readonly config: Config,
    private readonly resolveByEmail: boolean,
  ) {}

  async actor(client: WebClient, userId: string): Promise<Actor> {
    const id = `slack:${userId}`;
    if (userOf(this.config, id) || !this.resolveByEmail) return actorFor(this.config, id);
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < 10 * 60_000) return hit.actor;
    let actor = actorFor(this.config, id);
    try {
      const info = await client.users.info({ user: userId });
      const email = info.user?.profile?.email?.toLowerCase();
      const match = email && Object.entries(this.config.users).find(([, u]) => u.email?.toLowerCase() === email);
      // the Slack identity stays (trailers say who clicked where); policy sees the config user
      if (match) {
        rememberUser(id, match[0]);
        actor = actorFor(this.config, id);
      }
    } catch {
      // users.info refused (scope missing): fall back to the bare Slack identity
    }
    this.cache.set(userId, { actor, at: Date.now() });
    return actor;
  }
}
