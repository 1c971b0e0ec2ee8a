import type { Config } from '../config/schema.js';
import { displayName } from '../domain/identity.js';
import type { EnvChange } from '../gitops/env-history.js';

/** One change of an environment's images, as /status, /history, the API and the dashboard show it. */
export interface DeployEntry {
  sha: string;
  /** committer date, ISO 8601 */
  date: string;
  /** `manual`: a commit gantry did not make (its git author is `by`) */
  action: 'promote' | 'rollback' | 'auto' | 'shift' | 'manual';
  /** the version after the change (absent: the files name no tagged image) */
  version?: string;
  /** the version before it, when it was another one */
  from?: string;
  /** the config user behind the requester, or the bare identity, or the git author */
  by: string;
  /** the requester's identity (`slack:U024BE7LH`) from the trailers; absent for a manual change */
  identity?: string;
  approvedBy: string[];
  override?: string;
}

/**
 * A change read from the files, named by person: never by a display name carried in a trailer,
 * which anyone who can push to the deploy repo could have written.
 */
export function deployEntry(config: Config, c: EnvChange): DeployEntry {
  const t = c.trailers;
  const entry: DeployEntry = {
    sha: c.sha,
    date: c.date,
    action: t ? t.action : 'manual',
    by: t ? displayName(config, t.requestedBy.id) : c.author,
    approvedBy: t ? t.approvedBy.map((a) => displayName(config, a.id)) : [],
  };
  // a blue-green commit says which colour's version it was about (a promotion to the idle colour changes no live version)
  const version = t?.color ? t.version : c.after.version;
  if (version !== undefined) entry.version = version;
  if (c.before.version !== undefined && c.before.version !== c.after.version) entry.from = c.before.version;
  if (t) entry.identity = t.requestedBy.id;
  if (t?.override) entry.override = t.override;
  return entry;
}
