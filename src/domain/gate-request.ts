import type { Config } from '../config/schema.js';
import type { EnvLock, GateInput, GateResult } from './policy.js';
import { gate } from './policy.js';

/** What a deploy or bundle request says about itself that the policy gate looks at. */
export interface GatedRequest {
  action: GateInput['action'];
  env: string;
  requestedBy: { id: string };
  force?: string;
}

/**
 * `gate()` for a request as things stand now: the environment's lock is read fresh, so the chat
 * command that asks and the worker that re-checks a queued job decide on the same inputs.
 */
export async function gateRequest(
  config: Config,
  req: GatedRequest,
  now: {
    at: Date;
    locks: { get(env: string): Promise<EnvLock | null> };
    /** the block mark of what is deployed (null: none, or checked per app elsewhere) */
    blocked: GateInput['blocked'];
    /** what the refusal messages call the thing deployed */
    version: string;
    automatic?: boolean;
    shift?: GateInput['shift'];
  },
): Promise<GateResult> {
  return gate(config, {
    action: req.action,
    env: req.env,
    actorId: req.requestedBy.id,
    ...(req.force !== undefined ? { force: req.force } : {}),
    now: now.at,
    lock: await now.locks.get(req.env),
    blocked: now.blocked,
    version: now.version,
    ...(now.automatic ? { automatic: true } : {}),
    ...(now.shift ? { shift: now.shift } : {}),
  });
}
