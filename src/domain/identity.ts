import type { Config } from '../config/schema.js';
import { own } from './own.js';

/** Someone acting on gantry: an identity on one platform plus the name gantry knows them by. */
export interface Actor {
  /** `<platform>:<id>`, e.g. `slack:U024BE7LH` */
  id: string;
  /**
   * the config user's name; absent for an identity no config user owns, which is shown by its
   * id alone (a platform display name is chosen by its owner and may copy a configured user's)
   */
  name?: string;
}

/** `slack:U024BE7LH (alice)`: the form used in commit trailers and replies. */
export function formatActor(a: Actor): string {
  return a.name ? `${a.id} (${a.name})` : a.id;
}

/** Parses the trailer form back (`slack:U024BE7LH (alice)`). */
export function parseActor(s: string): Actor {
  const m = /^(\S+)(?: \((.*)\))?$/.exec(s.trim());
  return m ? { id: m[1]!, ...(m[2] ? { name: m[2] } : {}) } : { id: s.trim() };
}

/**
 * Identities a platform vouched for as belonging to a config user although the config does not
 * list them (Slack users matched by their profile e-mail). Keyed by identity, so it holds only
 * what a platform said about its own users.
 */
const resolved = new Map<string, string>();

export function rememberUser(id: string, user: string): void {
  resolved.set(id, user);
}

/** The config user an identity belongs to, if any. */
export function userOf(config: Config, id: string): string | undefined {
  for (const [name, user] of Object.entries(config.users)) if (user.ids.includes(id)) return name;
  const r = resolved.get(id);
  return r !== undefined && Object.hasOwn(config.users, r) ? r : undefined;
}

/**
 * The config user whose `email` is `address`, if any: the reader of a mail to that address.
 * Compared without case, as mail systems treat addresses.
 */
export function userByEmail(config: Config, address: string): string | undefined {
  const wanted = address.toLowerCase();
  for (const [name, user] of Object.entries(config.users)) if (user.email?.toLowerCase() === wanted) return name;
  return undefined;
}

/**
 * The person behind an identity, for self-approval and vote counting: the config user it belongs
 * to, or, unmapped, the identity itself (user names have no `:`, so the two never collide).
 */
export function personOf(config: Config, id: string): string {
  return userOf(config, id) ?? id;
}

/** How replies name an identity: its config user's name, else the bare identity (`slack:UEVIL999`). */
export function displayName(config: Config, id: string): string {
  const user = userOf(config, id);
  return user === undefined ? id : (config.users[user]!.name ?? user);
}

/** Resolves an identity to the actor gantry knows: the name comes from the config only. */
export function actorFor(config: Config, id: string): Actor {
  return userOf(config, id) === undefined ? { id } : { id, name: displayName(config, id) };
}

/**
 * Whether `id` is matched by any of the principals: `*`, the identity itself, the user it
 * belongs to, or a group that (transitively) contains one of those. `user` may be given when it
 * was resolved elsewhere (a vote records its person where the platform vouched for it).
 */
export function matchesAny(config: Config, principals: readonly string[], id: string, user = userOf(config, id)): boolean {
  const seen = new Set<string>();
  const visit = (p: string): boolean => {
    if (p === '*' || p === id || (user !== undefined && p === user)) return true;
    const members = own(config.groups, p);
    if (!members || seen.has(p)) return false;
    seen.add(p);
    return members.some(visit);
  };
  return principals.some(visit);
}

/** Every identity the principals name (expanding groups and users), for notifying approvers. */
export function expandIdentities(config: Config, principals: readonly string[]): string[] {
  const out = new Set<string>();
  const seen = new Set<string>();
  const visit = (p: string): void => {
    if (seen.has(p)) return;
    seen.add(p);
    const user = own(config.users, p);
    const group = own(config.groups, p);
    if (user) user.ids.forEach((i) => out.add(i));
    else if (group) group.forEach(visit);
    else if (p !== '*') out.add(p);
  };
  principals.forEach(visit);
  return [...out];
}
